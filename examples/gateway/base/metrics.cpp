#include "base/metrics.hpp"

#include <cstdio>

namespace rdwh::gateway {

namespace {
void bump(std::map<std::string, uint64_t, std::less<>> &m, std::string_view key, uint64_t n) {
  auto it = m.find(key);
  if (it == m.end()) it = m.emplace(std::string(key), 0).first;
  it->second += n;
}

// Label values escape backslash, double quote and newline (Prometheus text format 0.0.4).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

using prometheus::header;

void per_webhook(std::string &out, const char *name, const char *help,
                 const std::map<std::string, uint64_t, std::less<>> &m) {
  header(out, name, "counter", help);
  for (const auto &[hook, n] : m) out += std::string(name) + "{webhook=\"" + label(hook) + "\"} " + std::to_string(n) + "\n";
}
} // namespace

void prometheus::header(std::string &out, const char *name, const char *type, const char *help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}
void prometheus::sample(std::string &out, std::string_view series, int64_t value) {
  out += std::string(series) + " " + std::to_string(value) + "\n";
}
void prometheus::sample(std::string &out, std::string_view series, uint64_t value) {
  out += std::string(series) + " " + std::to_string(value) + "\n";
}

void Metrics::delivery(std::string_view webhook, int http_status) {
  std::lock_guard lock(mu_);
  ++deliveries_[{std::string(webhook), http_status}];
}
void Metrics::signature_failure(std::string_view webhook) {
  std::lock_guard lock(mu_);
  bump(sig_failures_, webhook, 1);
}
void Metrics::jobs_queued(std::string_view webhook, uint64_t n) {
  std::lock_guard lock(mu_);
  bump(queued_, webhook, n);
}
void Metrics::jobs_duplicate(std::string_view webhook, uint64_t n) {
  std::lock_guard lock(mu_);
  bump(duplicates_, webhook, n);
}
void Metrics::job_run(std::string_view webhook, double seconds) {
  std::lock_guard lock(mu_);
  bump(run_, webhook, 1);
  observe(seconds);
}
void Metrics::job_retried(std::string_view webhook, double seconds) {
  std::lock_guard lock(mu_);
  bump(retried_, webhook, 1);
  observe(seconds);
}
void Metrics::job_refused(std::string_view webhook, double seconds) {
  std::lock_guard lock(mu_);
  bump(refused_, webhook, 1);
  observe(seconds);
}
void Metrics::jobs_skipped(std::string_view webhook, uint64_t n) {
  std::lock_guard lock(mu_);
  bump(skipped_, webhook, n);
}
void Metrics::job_reconciled(std::string_view webhook, bool found) {
  std::lock_guard lock(mu_);
  bump(found ? reconciled_found_ : reconciled_not_found_, webhook, 1);
}
void Metrics::rundeck_auth_failure() {
  std::lock_guard lock(mu_);
  ++auth_failures_;
}
void Metrics::execution_ended(std::string_view status) {
  std::lock_guard lock(mu_);
  bump(executions_ended_, status, 1);
}
void Metrics::note_sent(std::string_view outcome) {
  std::lock_guard lock(mu_);
  bump(notes_, outcome, 1);
}
void Metrics::delivery_not_recorded() {
  std::lock_guard lock(mu_);
  ++not_recorded_;
}
void Metrics::config_reload(bool ok) {
  std::lock_guard lock(mu_);
  bump(reloads_, ok ? "ok" : "error", 1);
}

void Metrics::observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++bucket_counts_[i];
  ++latency_count_;
  latency_sum_ += seconds;
}

std::string Metrics::render(const Gauges &gauges) const {
  std::lock_guard lock(mu_);
  std::string out;
  render_counters(out);
  header(out, "rdwh_gateway_rundeck_auth_failing", "gauge", "1 while Rundeck refuses the API token (dispatch paused).");
  out += std::string("rdwh_gateway_rundeck_auth_failing ") + (gauges.rundeck_auth_failing ? "1" : "0") + "\n";
  header(out, "rdwh_gateway_degraded", "gauge", "1 while /healthz says degraded for this reason (intake goes on).");
  for (const auto &[reason, on] : {std::pair{"rundeck_auth", gauges.degraded_rundeck_auth},
                                   std::pair{"delivery_store", gauges.degraded_delivery_store},
                                   std::pair{"clock_ahead", gauges.degraded_clock_ahead}})
    out += std::string("rdwh_gateway_degraded{reason=\"") + reason + "\"} " + (on ? "1" : "0") + "\n";
  render_latency(out);
  header(out, "rdwh_gateway_config_reloads_total", "counter", "Config reloads (SIGHUP), by result.");
  for (const auto &[result, n] : reloads_)
    out += "rdwh_gateway_config_reloads_total{result=\"" + result + "\"} " + std::to_string(n) + "\n";

  header(out, "rdwh_gateway_webhook_handlers_built_total", "counter",
         "Webhook handlers built (at start, SIGHUP, and one per webhook created or changed through the console).");
  out += "rdwh_gateway_webhook_handlers_built_total " + std::to_string(gauges.webhook_handlers_built) + "\n";
  header(out, "rdwh_gateway_http_requests_in_flight", "gauge", "HTTP requests being handled (body received, not yet answered), this scrape included.");
  out += "rdwh_gateway_http_requests_in_flight " + std::to_string(gauges.http_in_flight) + "\n";
  return out;
}

void Metrics::render_counters(std::string &out) const {
  header(out, "rdwh_gateway_deliveries_total", "counter", "Webhook deliveries answered, by webhook and HTTP status.");
  for (const auto &[key, n] : deliveries_)
    out += "rdwh_gateway_deliveries_total{webhook=\"" + label(key.first) + "\",code=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(n) + "\n";
  per_webhook(out, "rdwh_gateway_signature_failures_total", "Deliveries refused for a missing or invalid signature.",
              sig_failures_);
  per_webhook(out, "rdwh_gateway_jobs_queued_total", "Job requests committed to the outbox.", queued_);
  per_webhook(out, "rdwh_gateway_jobs_duplicate_total", "Job requests ignored because a redelivery had queued them before.",
              duplicates_);
  per_webhook(out, "rdwh_gateway_jobs_run_total", "Jobs Rundeck accepted to run.", run_);
  per_webhook(out, "rdwh_gateway_jobs_retried_total", "Job run attempts that failed and will be retried.", retried_);
  per_webhook(out, "rdwh_gateway_jobs_refused_total", "Jobs Rundeck refused for good (kept as 'refused').", refused_);
  per_webhook(out, "rdwh_gateway_jobs_skipped_total", "Jobs not run because their event was older than maxEventAge.",
              skipped_);
  per_webhook(out, "rdwh_gateway_jobs_reconciled_found_total",
              "Jobs of unknown outcome that Rundeck's executions showed had run (not run again).", reconciled_found_);
  per_webhook(out, "rdwh_gateway_jobs_reconciled_not_found_total",
              "Jobs of unknown outcome that Rundeck's executions showed had not run (run then).", reconciled_not_found_);
  // Every final status is there from the start (at 0), so a rate or an alert has a series to read.
  header(out, "rdwh_gateway_executions_total", "counter",
         "Executions this gateway followed to their end, by Rundeck's final status.");
  std::map<std::string, uint64_t, std::less<>> ended = executions_ended_;
  for (const char *s : {"succeeded", "failed", "aborted", "timedout", "failed-with-retry", "other"}) ended.try_emplace(s, 0);
  for (const auto &[status, n] : ended)
    out += "rdwh_gateway_executions_total{status=\"" + label(status) + "\"} " + std::to_string(n) + "\n";
  header(out, "rdwh_gateway_notes_total", "counter",
         "Notes and resolves written back to PagerDuty, by outcome (failed: PagerDuty refused it for good).");
  std::map<std::string, uint64_t, std::less<>> notes = notes_;
  for (const char *s : {"posted", "failed", "retried"}) notes.try_emplace(s, 0);
  for (const auto &[outcome, n] : notes)
    out += "rdwh_gateway_notes_total{outcome=\"" + label(outcome) + "\"} " + std::to_string(n) + "\n";
  header(out, "rdwh_gateway_rundeck_auth_failures_total", "counter",
         "Rundeck calls refused for the API token (401/403): jobs stay queued.");
  out += "rdwh_gateway_rundeck_auth_failures_total " + std::to_string(auth_failures_) + "\n";
  header(out, "rdwh_gateway_deliveries_not_recorded_total", "counter",
         "Deliveries the console's delivery store could not record (the database fell behind or failed).");
  out += "rdwh_gateway_deliveries_not_recorded_total " + std::to_string(not_recorded_) + "\n";
}

void Metrics::render_latency(std::string &out) const {
  header(out, "rdwh_gateway_dispatch_duration_seconds", "histogram", "Duration of one job run call to Rundeck.");
  for (size_t i = 0; i < kBuckets.size(); ++i)
    out += "rdwh_gateway_dispatch_duration_seconds_bucket{le=\"" + number(kBuckets[i]) + "\"} " +
           std::to_string(bucket_counts_[i]) + "\n";
  out += "rdwh_gateway_dispatch_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count_) + "\n";
  out += "rdwh_gateway_dispatch_duration_seconds_sum " + number(latency_sum_) + "\n";
  out += "rdwh_gateway_dispatch_duration_seconds_count " + std::to_string(latency_count_) + "\n";
}

} // namespace rdwh::gateway
