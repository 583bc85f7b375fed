// /metrics: the outbox's part, rendered after Metrics' own.
#include <catch2/catch.hpp>

#include "intake/outbox_metrics.hpp"

using namespace rdwh::gateway;

TEST_CASE("metrics: the outbox's gauges, omitted when it cannot be read, its counters always") {
  OutboxGauges outbox;
  outbox.ok = true;
  outbox.queued = 2;
  outbox.running = 1;
  outbox.intake_commits = 4;
  const std::string text = render_outbox_metrics(outbox);
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_outbox_depth 3\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_outbox_jobs{status=\"running\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_outbox_commits_total 4\n"));
  outbox.ok = false;
  const std::string unread = render_outbox_metrics(outbox);
  CHECK_THAT(unread, Catch::Contains("rdwh_gateway_outbox_commits_total 4\n"));
  CHECK_THAT(unread, !Catch::Contains("rdwh_gateway_outbox_depth"));
}
