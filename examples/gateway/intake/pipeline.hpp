// The one way a delivery is processed, live (intake/listener.cpp) or replayed (the console's
// replays, console/admin/deliveries.cpp), so a replay is processed exactly as a delivery is: the
// plugin judges it, an accepted one becomes jobs, each with the identity the outbox de-duplicates
// by, and the jobs are committed with the record the delivery store keeps, in one transaction.
// What differs stays with the callers: how the delivery is admitted (token, authorization) and
// how a failure is answered.
#pragma once

#include "base/metrics.hpp"
#include "base/text.hpp" // utf8_clean
#include "config/key_values.hpp"
#include "store/delivery_store.hpp"
#include "http/server.hpp"
#include "hostkit.hpp"
#include "store/outbox.hpp"

#include <rdwh/rdwh.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

struct JobOptions {
  int64_t now_ms = 0; // 0: when the plugin has answered (a live delivery's jobs are stored then)
  int64_t max_event_age_ms = 0; // older events are stored as skipped; 0: no limit
  // Prepended to every job's delivery key: a replay the operator chose to run again gets new
  // identities (so jobs that already ran run again). "" for a delivery.
  std::string identity_prefix;
};

// What is stored of a judged delivery, and when.
enum class Commit {
  none,      // a dry run: nothing is stored
  with_jobs, // a delivery: its jobs with its record; a record without jobs stays the caller's (the
             // recorder writes it in the background, so a delivery that runs nothing never waits)
  always,    // a replay: its record is stored at once, with its jobs or alone (its id is shown)
  verified,  // a delivery verified again: as `always`, unless its signature still fails (nothing stored)
};

// One delivery on its way through the pipeline.
struct Intake {
  const WebhookConfig &webhook;
  const host::Handler &handler;     // the webhook's (or, for a tried config, one made for it)
  // What key storage gave `handler` (nullptr: nothing): hidden in all the pipeline keeps or
  // returns, the jobs' run bodies marked so the dispatcher puts the values back (key_values.hpp).
  const ServedKeys *keys;
  host::Handler::Request request;   // plugin_request()
  JobOptions options;
  // Completed with the verdict, the answer, the explanation and the jobs when the pipeline stores
  // it (see Commit), else with the explanation only. nullptr: no record kept.
  DeliveryRecord *record = nullptr;
  Commit commit = Commit::with_jobs;
};

// What became of it. The pipeline stops at the first failure; what it had found stays filled in.
struct Processed {
  enum class Failure { none, plugin, store };
  Failure failure = Failure::none;
  std::string error;         // the failure's message (the plugin call's, the commit's)
  int64_t verdict = -1;      // the plugin's; -1 when the call failed
  size_t job_count = 0;      // the jobs the plugin asked for
  HttpResponse answer;       // the plugin's answer (JSON when it names no content type)
  std::vector<NewJob> jobs;  // an accepted delivery's
  uint64_t too_old = 0;      // of `jobs`: stored as skipped (older than maxEventAge)
  int64_t judged_at_ms = 0;  // the clock (this gateway's) the events' ages were judged on
  bool stored = false;       // the commit happened (with the record when it was the pipeline's)
  EnqueueResult enqueued;
};

// Thread-safe: the listener's threads share one (the outbox batches their commits).
class IntakePipeline {
public:
  // jobs_added: called when a commit queued new jobs (wakes the dispatcher). metrics: the per-webhook
  // counters of deliveries PagerDuty sent; nullptr for replays, which are not counted.
  IntakePipeline(Outbox &outbox, std::function<void()> jobs_added, Metrics *metrics = nullptr)
      : outbox_(outbox), jobs_added_(std::move(jobs_added)), metrics_(metrics) {}

  Processed process(const Intake &in) const;

private:
  void judge(const Intake &in, const rdwh_result_t &result, Processed &out) const;
  void commit(const Intake &in, int64_t now, Processed &out) const;

  Outbox &outbox_;
  std::function<void()> jobs_added_;
  Metrics *metrics_;
};

// The job requests of `result` (an accepted delivery's), with their identities: the webhook's key,
// the event's key from the plugin (else the delivery id with the event's position), the rule's
// key. `too_old` counts those stored as skipped. Their run bodies hold no value of `keys`.
std::vector<NewJob> jobs_of(const rdwh_result_t &result, const WebhookConfig &webhook, std::string_view delivery_id,
                            const JobOptions &options, uint64_t &too_old, const ServedKeys *keys = nullptr);

// What the plugin is handed for a delivery to `webhook`: the headers but Authorization (the
// gateway checks it; not the plugin's business), the body, the delivery's metadata.
host::Handler::Request plugin_request(const WebhookConfig &webhook,
                                      const std::vector<std::pair<std::string, std::string>> &headers,
                                      std::string body, std::string_view delivery_id, std::string_view sender,
                                      int64_t received_ms, bool explain);

// The body of Rundeck's job run call for one job, as the outbox stores it:
// {"options":{...},"filter":"...","asUser":"..."}, the values of `keys` marked (rundeck/run_request.hpp).
std::string run_request_json(const rdwh_job_t &job, const ServedKeys *keys = nullptr);

// For logs and the store: "accepted", "signature_invalid"...; "" when the plugin was not reached (-1).
const char *verdict_name(int64_t verdict);

// A record of what arrived (time, webhook, sender, headers with secrets redacted and within 2 KiB,
// the body cut at `max_body`); the caller fills in the answer. `webhook` may be null (unknown
// token: no body kept).
DeliveryRecord record_of(const HttpRequest &req, const WebhookConfig *webhook, std::string_view delivery_id,
                         size_t max_body);
// Fills the record's answer: status, and for 4xx/5xx the outcome and the error the body holds. A
// refused (4xx) record is cut to 4 KiB in all: anyone can send those; one that keeps its signature
// (refused for it, signature_headers_json) to 16 KiB, so its body is kept whole to be verified again.
void record_answer(DeliveryRecord &record, const HttpResponse &response);
// The record's jobs, as [{eventIndex, ruleIndex, rule, ruleKey, deliveryKey, jobId, request}].
std::string jobs_json(const std::vector<NewJob> &jobs);

// Whether the plugin refused a delivery for its signature (verdict_name(): signature_missing or
// signature_invalid): a record the operator can verify again once the secret is fixed.
bool is_signature_refusal(std::string_view verdict);
// The signature headers of a delivery (names holding "signature"), whole, as [[name, value], ...]:
// what a record refused for its signature keeps apart (DeliveryRecord::signature_headers_json) to
// verify it again. "" when there are none, or when they are longer than 4 KiB (a cut signature
// verifies nothing).
std::string signature_headers_json(const std::vector<std::pair<std::string, std::string>> &headers);
// The error a 4xx/5xx answer holds (its JSON "err", else its first 1000 bytes), UTF-8 clean.
std::string answer_error(const HttpResponse &response);

// Whether a header's value is a secret the store must not keep (Authorization, cookies,
// signatures, tokens).
bool is_secret_header(std::string_view name);
// The stored body as it arrived (decoded from base64 when it was stored so).
std::string stored_body(const DeliveryRecord &record);

} // namespace rdwh::gateway
