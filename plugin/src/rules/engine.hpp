// Evaluation of a compiled config against the events of one delivery: batch split, event ids,
// every enabled rule on every event (all matching rules fire), rendering of the fired jobs, and
// the explanation of why each rule did or did not fire.
#pragma once

#include "rules/config.hpp"
#include "rules/context.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::rules {

// A slice of Evaluation::text. All the strings one delivery renders share that one buffer, so a
// fired job costs no allocation of its own.
struct Text {
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Job {
  const Rule *rule = nullptr; // name, index, key and option names: the compiled config's
  uint32_t event_index = 0;
  Text event_id;
  Text event_key;     // the event's identity for de-duplication (see rdwh_job_t.event_key)
  Text resource_id;   // the resource (incident) the event is about
  int64_t event_time_unix_ms = 0; // 0: unknown
  Text job_id;
  uint32_t first_option = 0; // rule->options.size() values from Evaluation::option_values
  Text filter;
  Text as_user;
};

// How one condition tree node came out, kept only when explaining.
struct NodeTrace {
  const Node *node = nullptr;
  bool satisfied = false;
  json::Selection field; // what the condition's path selected
  std::string error;
  std::vector<NodeTrace> children;
};

struct RuleTrace {
  const Rule *rule = nullptr;
  bool satisfied = false;
  NodeTrace root;
  std::string error; // e.g. the rule fired but has no job
};

struct EventTrace {
  uint32_t index = 0;
  std::string event_id;
  std::vector<RuleTrace> rules;
};

struct Evaluation {
  std::string text;               // every string the jobs refer to
  std::vector<Text> option_values;
  std::vector<Job> jobs;
  std::vector<EventTrace> events; // filled when explaining
  std::string error;              // a delivery-level problem (batch key found nothing)
  bool limit_exceeded = false;    // too many batch items, or a value over max_value_bytes

  std::string_view str(Text t) const noexcept { return std::string_view(text).substr(t.offset, t.size); }
  std::string_view option_value(const Job &job, std::size_t i) const noexcept {
    return str(option_values[job.first_option + i]);
  }
};

// Where a provider finds, in each event, its own id, the resource it is about and its time
// (V3: $.event.id, $.event.data.id, $.event.occurred_at). Each may be null.
struct EventPaths {
  const json::JsonPath *own_id = nullptr;
  const json::JsonPath *resource_id = nullptr;
  const json::JsonPath *time = nullptr;
};

// Splits `payload` into events (batch key, flattened) and evaluates every rule on each.
// Fired rules with debug: true are logged through `log` (may be empty).
Evaluation evaluate(const Config &config, const json::Value &payload, const Delivery &delivery,
                    const EventPaths &paths, bool explain,
                    const std::function<void(const std::string &)> &log_debug_rule);

// The explanation as a JSON array (see docs/config-reference.md, "Explanations").
std::string explanation_json(const Evaluation &evaluation);

} // namespace rdwh::rules
