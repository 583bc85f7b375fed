// /metrics: Prometheus text.
#include <catch2/catch.hpp>

#include "base/metrics.hpp"

using namespace rdwh::gateway;

TEST_CASE("metrics: Prometheus text with escaped labels") {
  Metrics m;
  m.delivery("Pager\"Duty", 200);
  m.delivery("", 400);
  m.job_run("Pager\"Duty", 0.02);
  Gauges g;
  const std::string text = m.render(g);
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_deliveries_total{webhook=\"Pager\\\"Duty\",code=\"200\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_deliveries_total{webhook=\"\",code=\"400\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_dispatch_duration_seconds_bucket{le=\"0.025\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_dispatch_duration_seconds_count 1\n"));
}
