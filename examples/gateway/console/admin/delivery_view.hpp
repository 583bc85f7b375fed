// A stored delivery explained: per event, per rule, per condition (the plugin's explanation),
// the jobs it asked for with their dispatch state from the outbox, headers and body decoded. The
// console's delivery page and Rundeck's debug API (WebhookEvaluation) both show this one model.
#pragma once

#include "store/delivery_store.hpp"
#include "store/outbox.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::gateway {

struct ConditionView {
  bool group = false;
  std::string policy;                 // group: all | any
  std::string path, condition, value; // leaf
  bool negate = false, satisfied = false;
  bool has_received = false, found = false;
  std::string received;               // leaf: what the path selected, as JSON text
  std::string error;
  std::vector<ConditionView> children;
};

struct JobView {
  uint32_t event_index = 0, rule_index = 0;
  std::string rule, rule_key, delivery_key, job_id;
  std::vector<std::pair<std::string, std::string>> options; // rendered, in config order
  std::string filter, as_user;
  std::optional<OutboxJob> state; // nullopt: not in the outbox (never stored, or purged)
  std::optional<NoteRow> note;    // its note on the PagerDuty incident (followUp.note), when one was made

  // Rundeck's JobRunStatus: STARTED, NOT_STARTED, NOT_FOUND or UNKNOWN_ERROR.
  const char *run_status() const;
  // In words: "done: execution 1003", "refused by Rundeck (HTTP 400): ...", "queued: ..."
  std::string state_text() const;
  // Its execution as followed: "" (not followed), "running", "succeeded in 4.2 s", "failed in
  // 1 s", "other: not found: ...", "gave-up: ...".
  std::string execution_text() const;
  // Its note on the incident in words: "" (none), "posted", "waiting: HTTP 500 ...", "stopped: ...".
  std::string note_text() const;
  // Rundeck's page of the execution, when it is an http(s) URL; else "".
  std::string permalink() const;
};

struct RuleView {
  std::string name;
  uint32_t index = 0;
  bool enabled = true, satisfied = false;
  std::string policy;
  std::vector<ConditionView> conditions;
  std::string error;
  int job = -1; // index in DeliveryView::jobs of the job it fired, -1: none
};

struct EventView {
  uint32_t index = 0;
  std::string event_id;
  std::vector<RuleView> rules;
};

struct DeliveryView {
  DeliveryRecord record;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // as received (decoded), possibly cut
  std::string note;  // the explanation's delivery-level error (a batch key that found nothing...)
  std::vector<EventView> events;
  std::vector<JobView> jobs;
};

// Reads the record's explanation and jobs, and each job's state from `outbox`.
DeliveryView explain_delivery(DeliveryRecord record, Outbox &outbox);

// What the delivery did, in one sentence or two, for the console's "Why": refused, no rule held,
// or how many fired; a rule whose conditions held but that ran nothing (no job, a value that
// could not render) is named with the plugin's reason, never counted as "none held".
std::string why_summary(const DeliveryView &v);

// The search both the deliveries page and the API read from a query: `outcome` (one of
// outcome::all), `q` (an incident, event or delivery id, exactly), `from` and `to` (UTC,
// YYYY-MM-DDTHH:MM[:SS], as a datetime-local input sends it; `to` takes in that whole minute or
// second). Sets them in `f`; returns what is wrong with one ("" when all are fine).
std::string read_delivery_search(const std::function<std::optional<std::string_view>(std::string_view)> &arg,
                                 DeliveryFilter &f);

// ISO-8601 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string iso_time(int64_t unix_ms);

} // namespace rdwh::gateway
