// Whether this gateway's clock looks ahead of PagerDuty's (intake/clock_skew.hpp), from the
// apparent ages of the events that arrive.
#include <catch2/catch.hpp>

#include "intake/clock_skew.hpp"

using namespace rdwh::gateway;

namespace {

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kMaxAge = 49 * kHour;

} // namespace

TEST_CASE("clock skew: fresh events keep intake healthy, and a late redelivery among them") {
  SkewWatch w;
  CHECK_FALSE(w.note(2'000, false, kMaxAge));
  CHECK_FALSE(w.note(20 * kMinute, false, kMaxAge)); // PagerDuty retried it: older, still run
  CHECK_FALSE(w.note(60 * kHour, true, kMaxAge));    // a replay among fresh events: rightly skipped
  CHECK(w.degraded_reason().empty());
}

TEST_CASE("clock skew: events skipped only because our clock is ahead make intake degraded, with the reason") {
  SkewWatch w;
  CHECK(w.note(50 * kHour + 3'000, true, kMaxAge)); // a fresh event, 50 h ahead: skipped
  CHECK_FALSE(w.note(50 * kHour + 1'000, true, kMaxAge)); // already degraded
  const std::string why = w.degraded_reason();
  CHECK_THAT(why, Catch::StartsWith("this gateway's clock looks 3000 minutes ahead of PagerDuty's"));
  CHECK_THAT(why, Catch::Contains("maxEventAge"));
  // The clock set right: the next fresh event clears it.
  CHECK_FALSE(w.note(1'000, false, kMaxAge));
  CHECK(w.degraded_reason().empty());
}

TEST_CASE("clock skew: a lead within the tolerance, or one that skips nothing, is not reported") {
  SkewWatch w;
  w.note(4 * kMinute, false, kMaxAge);
  CHECK(w.degraded_reason().empty());
  SkewWatch ahead;
  ahead.note(3 * kHour, false, kMaxAge); // 3 h ahead: nothing skipped (yet)
  CHECK(ahead.degraded_reason().empty());
}

TEST_CASE("clock skew: only the last events count") {
  SkewWatch w;
  w.note(50 * kHour, true, kMaxAge);
  CHECK_FALSE(w.degraded_reason().empty());
  for (size_t i = 0; i < SkewWatch::kWindow; ++i) w.note(51 * kHour, false, kMaxAge); // none skipped
  CHECK(w.degraded_reason().empty());
}
