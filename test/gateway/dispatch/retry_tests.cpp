// The dispatcher's retry schedule.
#include <catch2/catch.hpp>

#include "dispatch/dispatcher.hpp"

#include <random>

using namespace rdwh::gateway;

TEST_CASE("retry delays grow exponentially, with jitter, up to the cap") {
  std::mt19937_64 rng(42);
  const RetrySettings r{1000, 300000};
  for (int i = 0; i < 100; ++i) {
    const int64_t first = retry_delay_ms(1, r, rng);
    CHECK((first >= 500 && first <= 1000));
    const int64_t fourth = retry_delay_ms(4, r, rng);
    CHECK((fourth >= 4000 && fourth <= 8000));
    const int64_t late = retry_delay_ms(60, r, rng);
    CHECK((late >= 150000 && late <= 300000));
  }
}
