// Counters and a latency histogram, rendered in the Prometheus text format (GET /metrics).
// All methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace rdwh::gateway {

// Gauges read when /metrics is scraped. (The outbox's are rendered by its caller after these:
// intake/outbox_metrics.hpp.)
struct Gauges {
  int64_t http_in_flight = 0; // requests being handled (body received), the scrape included
  bool rundeck_auth_failing = false;
  // What makes /healthz say "degraded", each 0 or 1: rdwh_gateway_degraded{reason=...}.
  bool degraded_rundeck_auth = false;   // Rundeck refuses the API token (dispatch paused)
  bool degraded_delivery_store = false; // the delivery store is not recording
  bool degraded_clock_ahead = false;    // this gateway's clock looks ahead of PagerDuty's
  uint64_t webhook_handlers_built = 0; // a counter kept by the runtime (Runtime::handlers_built)
};

// The Prometheus text format (0.0.4), for metrics rendered beside Metrics.
namespace prometheus {
// The "# HELP" and "# TYPE" lines of metric `name`.
void header(std::string &out, const char *name, const char *type, const char *help);
// One sample: `series` (the name and its labels, if any) and its value.
void sample(std::string &out, std::string_view series, int64_t value);
void sample(std::string &out, std::string_view series, uint64_t value);
} // namespace prometheus

class Metrics {
public:
  // webhook: the webhook's name; "" when the token matched none.
  void delivery(std::string_view webhook, int http_status);
  void signature_failure(std::string_view webhook);
  void jobs_queued(std::string_view webhook, uint64_t n);
  void jobs_duplicate(std::string_view webhook, uint64_t n);
  void job_run(std::string_view webhook, double seconds);
  void job_retried(std::string_view webhook, double seconds);
  void job_refused(std::string_view webhook, double seconds);
  void jobs_skipped(std::string_view webhook, uint64_t n); // too old (maxEventAge)
  // found: Rundeck had run the job of unknown outcome (else it runs now).
  void job_reconciled(std::string_view webhook, bool found);
  void rundeck_auth_failure();
  // A followed execution seen ending with Rundeck's final `status` (dispatch/follower.hpp).
  void execution_ended(std::string_view status);
  // What became of a note or resolve sent to PagerDuty (dispatch/note_sender.hpp): posted, failed
  // (stopped: PagerDuty refused it for good) or retried.
  void note_sent(std::string_view outcome);
  // A delivery the delivery store could not record (the database fell behind or failed).
  void delivery_not_recorded();
  void config_reload(bool ok);

  std::string render(const Gauges &gauges) const;

private:
  static constexpr std::array<double, 12> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10,  30};
  void observe(double seconds); // caller holds mu_
  // Parts of render(), caller holds mu_.
  void render_counters(std::string &out) const;
  void render_latency(std::string &out) const;

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t, std::less<>> deliveries_;
  std::map<std::string, uint64_t, std::less<>> sig_failures_, queued_, duplicates_, run_, retried_, refused_,
      skipped_, reconciled_found_, reconciled_not_found_;
  std::map<std::string, uint64_t, std::less<>> executions_ended_, notes_;
  uint64_t auth_failures_ = 0;
  uint64_t not_recorded_ = 0;
  std::map<std::string, uint64_t, std::less<>> reloads_;
  std::array<uint64_t, kBuckets.size()> bucket_counts_{};
  uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

} // namespace rdwh::gateway
