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

TEST_CASE("metrics: rdwh_gateway_degraded says which reason makes /healthz degraded") {
  Metrics m;
  Gauges g;
  g.degraded_delivery_store = true;
  const std::string text = m.render(g);
  CHECK_THAT(text, Catch::Contains("# TYPE rdwh_gateway_degraded gauge\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_degraded{reason=\"rundeck_auth\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_degraded{reason=\"delivery_store\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_degraded{reason=\"clock_ahead\"} 0\n"));
}
