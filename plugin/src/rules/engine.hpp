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

struct Job {
  std::string rule;
  uint32_t rule_index = 0;
  uint32_t event_index = 0;
  std::string event_id;
  std::string job_id;
  std::vector<std::pair<std::string, std::string>> options;
  std::string filter;
  std::string as_user;
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
  std::vector<Job> jobs;
  std::vector<EventTrace> events; // filled when explaining
  std::string error;              // a delivery-level problem (batch key found nothing)
  bool limit_exceeded = false;    // too many batch items, or a value over max_value_bytes
};

// Splits `payload` into events (batch key, flattened) and evaluates every rule on each.
// `own_event_id` is the provider's fallback id path (V3: $.event.id), may be null.
// Fired rules with debug: true are logged through `log` (may be empty).
Evaluation evaluate(const Config &config, const json::Value &payload, const Delivery &delivery,
                    const json::JsonPath *own_event_id, bool explain,
                    const std::function<void(const std::string &)> &log_debug_rule);

// The explanation as a JSON array (see docs/config-reference.md, "Explanations").
std::string explanation_json(const Evaluation &evaluation);

} // namespace rdwh::rules
