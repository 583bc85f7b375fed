#include "intake/outbox_metrics.hpp"

#include "base/metrics.hpp"

namespace rdwh::gateway {

std::string render_outbox_metrics(const OutboxGauges &outbox) {
  using prometheus::header, prometheus::sample;
  std::string out;
  header(out, "rdwh_gateway_outbox_commits_total", "counter",
         "Durable outbox commits of deliveries' jobs (each waits for the disk once).");
  sample(out, "rdwh_gateway_outbox_commits_total", outbox.intake_commits);
  header(out, "rdwh_gateway_outbox_committed_deliveries_total", "counter",
         "Deliveries whose jobs those commits stored (divided by the commits: deliveries per commit).");
  sample(out, "rdwh_gateway_outbox_committed_deliveries_total", outbox.intake_committed_deliveries);
  header(out, "rdwh_gateway_outbox_dispatch_commits_total", "counter",
         "The dispatcher's transactions (each records the outcomes reported since the last and claims due jobs).");
  sample(out, "rdwh_gateway_outbox_dispatch_commits_total", outbox.dispatch_commits);
  if (!outbox.ok) return out;
  header(out, "rdwh_gateway_outbox_depth", "gauge", "Jobs waiting to run on Rundeck (queued or running).");
  sample(out, "rdwh_gateway_outbox_depth", outbox.queued + outbox.running);
  header(out, "rdwh_gateway_outbox_jobs", "gauge", "Jobs in the outbox, by status.");
  sample(out, "rdwh_gateway_outbox_jobs{status=\"queued\"}", outbox.queued);
  sample(out, "rdwh_gateway_outbox_jobs{status=\"running\"}", outbox.running);
  sample(out, "rdwh_gateway_outbox_jobs{status=\"refused\"}", outbox.refused);
  sample(out, "rdwh_gateway_outbox_jobs{status=\"done\"}", outbox.done);
  sample(out, "rdwh_gateway_outbox_jobs{status=\"skipped\"}", outbox.skipped);
  header(out, "rdwh_gateway_outbox_uncertain", "gauge",
         "Queued or running jobs whose last run call had an unknown outcome (reconciled before any new run).");
  sample(out, "rdwh_gateway_outbox_uncertain", outbox.uncertain);
  header(out, "rdwh_gateway_oldest_unfinished_execution_age_seconds", "gauge",
         "Age of the oldest execution still followed (not finished on Rundeck); 0 when none.");
  sample(out, "rdwh_gateway_oldest_unfinished_execution_age_seconds", outbox.oldest_unfinished_execution_ms / 1000);
  header(out, "rdwh_gateway_notes_waiting", "gauge",
         "Notes and resolves not yet written back to PagerDuty (waiting, or being sent).");
  sample(out, "rdwh_gateway_notes_waiting", outbox.notes_waiting);
  return out;
}

} // namespace rdwh::gateway
