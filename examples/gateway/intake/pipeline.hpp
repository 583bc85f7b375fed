// What a handled delivery becomes: the jobs to store, each with the identity the outbox
// de-duplicates by, and the record the delivery store keeps. Shared by the webhook listener
// (intake/listener.cpp) and the console's replays, so a replay is processed exactly as a delivery is.
#pragma once

#include "store/delivery_store.hpp"
#include "http/server.hpp"
#include "hostkit.hpp"
#include "store/outbox.hpp"

#include <rdwh/rdwh.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

struct JobOptions {
  int64_t now_ms = 0;
  int64_t max_event_age_ms = 0; // older events are stored as skipped; 0: no limit
  // Prepended to every job's delivery key: a replay the operator chose to run again gets new
  // identities (so jobs that already ran run again). "" for a delivery.
  std::string identity_prefix;
};

// The job requests of `result` (an accepted delivery's), with their identities: the webhook's key,
// the event's key from the plugin (else the delivery id with the event's position), the rule's
// key. `too_old` counts those stored as skipped.
std::vector<NewJob> jobs_of(const rdwh_result_t &result, const WebhookConfig &webhook, std::string_view delivery_id,
                            const JobOptions &options, uint64_t &too_old);

// What the plugin is handed for a delivery to `webhook`: the headers but Authorization (the
// gateway checks it; not the plugin's business), the body, the delivery's metadata.
host::Handler::Request plugin_request(const WebhookConfig &webhook,
                                      const std::vector<std::pair<std::string, std::string>> &headers,
                                      std::string body, std::string_view delivery_id, std::string_view sender,
                                      int64_t received_ms, bool explain);

// The body of Rundeck's job run call for one job: {"options":{...},"filter":"...","asUser":"..."}.
std::string run_request_json(const rdwh_job_t &job);

// For logs and the store: "accepted", "signature_invalid"...; "" when the plugin was not reached (-1).
const char *verdict_name(int64_t verdict);

// A record of what arrived (time, webhook, sender, headers with secrets redacted, the body cut at
// `max_body`); the caller fills in the answer. `webhook` may be null (unknown token: no body kept).
DeliveryRecord record_of(const HttpRequest &req, const WebhookConfig *webhook, std::string_view delivery_id,
                         size_t max_body);
// Fills the record's answer: status, and for 4xx/5xx the outcome and the error the body holds.
void record_answer(DeliveryRecord &record, const HttpResponse &response);
// The record's jobs, as [{eventIndex, ruleIndex, rule, ruleKey, deliveryKey, jobId, request}].
std::string jobs_json(const std::vector<NewJob> &jobs);

// Whether a header's value is a secret the store must not keep (Authorization, cookies,
// signatures, tokens).
bool is_secret_header(std::string_view name);
// The stored body as it arrived (decoded from base64 when it was stored so).
std::string stored_body(const DeliveryRecord &record);
// `text` with every byte sequence that is not UTF-8 (and NUL) replaced by U+FFFD, so a database
// text column takes it.
std::string utf8_clean(std::string_view text);

} // namespace rdwh::gateway
