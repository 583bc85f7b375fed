// The delivery store: every delivery the gateway answered (jobs queued, nothing matched, refused
// with 4xx, failed with 5xx), with what the console and Rundeck's debug API show about it: time,
// webhook, sender, headers (secrets redacted), body (capped), status, verdict, the plugin's
// explanation and the identities of the jobs it asked for. A delivery with jobs is written by
// Outbox::enqueue in the same transaction as its jobs; one without is written in the background
// (DeliveryRecorder -> Outbox::record), many per transaction, without waiting for the disk. The
// jobs' dispatch state is read from the jobs table when a delivery is shown. Bounded: rows older than
// console.deliveries.retainHours are purged, and the oldest are evicted when the rows' sizes add up
// to more than console.deliveries.maxBytes (both in small transactions, by the recorder's thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// What became of a delivery (the filters of the deliveries page and API use these names). The
// intake stores the first six; a delivery with jobs then shows what became of them (jobs_*).
namespace outcome {
inline constexpr const char *queued = "queued";       // new jobs were queued
inline constexpr const char *duplicate = "duplicate"; // every job it asked for was already stored (a redelivery)
inline constexpr const char *skipped = "skipped";     // its jobs were stored as skipped (older than maxEventAge)
inline constexpr const char *nothing = "nothing";     // accepted; no rule fired
inline constexpr const char *refused = "refused";     // answered 4xx: token, signature, body, disabled...
inline constexpr const char *failed = "failed";       // answered 5xx: the jobs could not be stored, plugin failure
// Its jobs, the first that applies: one Rundeck refused (HTTP 4xx: unknown job, bad options), one
// that failed without Rundeck's answer (not sent: a key gone), one running, one waiting for a retry
// (an earlier call failed, or Rundeck refused the API token), one not yet sent; else all ran.
inline constexpr const char *jobs_refused = "jobs_refused";
inline constexpr const char *jobs_failed = "jobs_failed";
inline constexpr const char *jobs_running = "jobs_running";
inline constexpr const char *jobs_retrying = "jobs_retrying";
inline constexpr const char *jobs_waiting = "jobs_waiting";
inline constexpr const char *jobs_done = "jobs_done";
// A filter only (never a delivery's outcome): one of its jobs' executions ended failed, aborted,
// timedout or failed-with-retry (store/outbox.hpp, execution_failed).
inline constexpr const char *execution_failed = "execution-failed";
// Every name above, for a filter's check.
inline constexpr const char *all[] = {queued,      duplicate,    skipped,       nothing,      refused,
                                      failed,      jobs_refused, jobs_failed,   jobs_running, jobs_retrying,
                                      jobs_waiting, jobs_done,   execution_failed};
} // namespace outcome

// How many of a delivery's jobs (those it asked for: queued by it, or already stored) are in each
// state, read from the outbox. A job purged from the outbox counts as done (or skipped, for a
// delivery whose jobs were skipped): only those are purged.
struct JobStates {
  int64_t waiting = 0, retrying = 0, running = 0, done = 0, refused = 0, failed = 0, skipped = 0;
  int64_t total() const { return waiting + retrying + running + done + refused + failed + skipped; }
  // The delivery's outcome from its jobs (outcome::jobs_*, or skipped); `stored` when it has none.
  std::string outcome(const std::string &stored) const;
};

struct DeliveryRecord {
  int64_t id = 0;                // set when stored
  int64_t received_ms = 0;
  int64_t webhook_id = 0;        // 0: the token matched no webhook
  std::string webhook_name, project, webhook_key;
  std::string delivery_id;       // X-Webhook-Id, or the random id the gateway gave it
  std::string sender;
  std::string headers_json;      // [[name, value], ...], secrets redacted
  std::string body;              // as received (cut at the cap); base64 when not valid UTF-8 text
  bool body_base64 = false;
  int64_t body_bytes = 0;        // the size received
  bool body_truncated = false;
  int64_t status = 0;            // the HTTP status answered
  std::string verdict;           // the plugin's (accepted, signature_invalid...), "" when not reached
  std::string outcome;           // see `outcome`; for deliveries with jobs, set by the enqueue
  std::string error;             // the error answered, for 4xx/5xx
  int64_t job_count = 0;         // jobs the plugin asked for
  std::string evaluation;        // the plugin's explanation (JSON array), "" when none
  std::string jobs_json;         // [{eventIndex, ruleIndex, rule, ruleKey, deliveryKey, jobId, request}]
  int64_t replay_of = 0;         // a replay or a verification again: the delivery it replays
  // Only for a delivery refused for its signature: the signature headers ([[name, value], ...]),
  // so it can be verified again once the secret is fixed (--reverify). Written, never read back
  // with the record: only DeliveryStore::kept_signature() reads it, so no view can show it.
  std::string signature_headers_json;
  // What the body says it is (describe_event): its first event's type and id, and its incident.
  std::string event_type;        // incident.triggered (V3), incident.trigger (V2)...
  std::string event_id;          // the event's own id (V3 event.id, V2 messages[0].id)
  std::string incident_id, incident_title;
  int64_t incident_number = 0;   // 0: none given
  // Read, not stored: its jobs' states, and what became of it (`outcome`, or its jobs' outcome).
  JobStates job_states;
  std::string state;
};

// Fills the record's event_type, event_id and incident_* from a PagerDuty body (V3, V2 or V1): its
// first event's (a V2 batch's other messages are not named); leaves them empty for any other body.
// Each value is cut to a bounded size and made valid UTF-8 (a column takes it).
void describe_event(DeliveryRecord &d, std::string_view body);

// What a record counts for the store's cap (its texts and the row's overhead).
int64_t stored_bytes(const DeliveryRecord &d);

struct DeliveryFilter {
  int64_t webhook_id = -1;       // -1: any; 0: unknown tokens
  std::string project;           // "": any
  std::string outcome;           // "": any; a stored outcome, or jobs_*: one of its jobs is so (jobs_done: all ran)
  // only deliveries that started no job: nothing, skipped, refused, failed, or every job refused,
  // failed or skipped
  bool ran_nothing = false;
  int64_t before_id = 0;         // paging: ids below this (0: from the newest)
  int64_t since_ms = 0;          // received at or after
  int64_t until_ms = 0;          // received before (0: no bound)
  std::string search;            // "": any; else its incident id, event id or delivery id, exactly
  size_t limit = 50;
};

class DeliveryStore {
public:
  virtual ~DeliveryStore() = default;
  // Newest first, without body, headers, explanation or jobs (the list's columns). Throws OutboxError.
  virtual std::vector<DeliveryRecord> list(const DeliveryFilter &filter) = 0;
  // Newest first, whole (the debug API's events). Throws OutboxError.
  virtual std::vector<DeliveryRecord> list_full(const DeliveryFilter &filter) = 0;
  virtual std::optional<DeliveryRecord> get(int64_t id) = 0;
  // The signature headers kept for delivery `id` (signature_headers_json; "" when none). Only the
  // verification again reads this. Throws OutboxError.
  virtual std::string kept_signature(int64_t id) = 0;
  // Oldest first, the ids of the deliveries refused for their signature (signature_missing or
  // signature_invalid; not verifications again themselves) received at or after `since_ms`, of
  // the webhooks named `webhook_name` ("": any). Throws OutboxError.
  virtual std::vector<int64_t> refused_for_signature(std::string_view webhook_name, int64_t since_ms) = 0;
  // The first delivery recorded as delivery `id` verified again (replay_of = id, its signature
  // verified), or 0. Throws OutboxError.
  virtual int64_t verified_again(int64_t id) = 0;
  // Deletes deliveries received before `before_ms`, at most `max_rows` of the oldest; returns how many.
  virtual int64_t purge(int64_t before_ms, int64_t max_rows) = 0;
  // What the stored rows count for the cap (stored_bytes, summed). Throws OutboxError.
  virtual int64_t total_bytes() = 0;
  // Deletes the oldest rows, at most `max_rows`, until `bytes` are freed; returns the bytes freed.
  virtual int64_t evict_oldest(int64_t bytes, int64_t max_rows) = 0;
};

} // namespace rdwh::gateway
