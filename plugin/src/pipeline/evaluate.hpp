// Stage 5: every enabled rule on every event (all matching rules fire, in config order), with a
// trace of how each condition came out when explaining or when a rule has debug: true.
#pragma once

#include "base/reject.hpp"
#include "json/jsonpath.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/split.hpp"
#include "rules/config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rdwh::pipeline {

// How one condition tree node came out.
struct NodeTrace {
  const rules::Node *node = nullptr;
  bool satisfied = false;
  json::Selection field; // what the condition's path selected
  std::string error;
  std::vector<NodeTrace> children;
};

struct RuleTrace {
  const rules::Rule *rule = nullptr;
  uint32_t event_index = 0;
  bool satisfied = false;
  NodeTrace root;
  std::string error; // e.g. the rule fired but has no job (set by render)
};

struct Evaluation {
  std::vector<Job> jobs;                    // the rules that fired: event order, then rule order
  std::vector<std::vector<RuleTrace>> traces; // [event][rule index], when explaining
  std::vector<RuleTrace> debug;             // the traces of rules with debug: true, in order

  // The trace of `rule` on event `e`, or nullptr when not explaining.
  RuleTrace *trace(uint32_t e, const rules::Rule &rule) { return traces.empty() ? nullptr : &traces[e][rule.index]; }
};

// Refuses the delivery only when a condition's path goes over its limits.
Checked<Evaluation> evaluate(const rules::Config &config, const Split &split, const Delivery &delivery,
                             Selections &selections, bool explain);

} // namespace rdwh::pipeline
