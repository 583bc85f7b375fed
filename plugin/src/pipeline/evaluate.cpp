#include "pipeline/evaluate.hpp"

namespace rdwh::pipeline {
namespace {

using rules::Node;
using rules::Policy;

// Whether the node holds on the event; with `trace`, every child is evaluated (no short cut) and
// recorded.
Checked<bool> evaluate_node(const Node &node, const Event &event, int64_t now, NodeTrace *trace,
                            Selections &selections);

Checked<bool> evaluate_group(const Node &node, const Event &event, int64_t now, NodeTrace *trace,
                             Selections &selections) {
  bool satisfied = node.policy == Policy::all || node.children.empty();
  if (trace) trace->children.resize(node.children.size());
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    Checked<bool> held = evaluate_node(node.children[i], event, now, trace ? &trace->children[i] : nullptr, selections);
    if (!held) return held;
    if (node.policy == Policy::all && !*held) satisfied = false;
    if (node.policy == Policy::any && *held) satisfied = true;
    // Without a trace, stop as soon as the outcome is settled.
    if (!trace && (node.policy == Policy::all ? !*held : *held)) break;
  }
  return satisfied;
}

Checked<bool> evaluate_condition(const Node &node, const Event &event, int64_t now, NodeTrace *trace,
                                 Selections &selections) {
  if (!node.path) return true; // Rundeck: a condition with no path holds
  Checked<const json::Selection *> selected = selections.get(*node.path, event);
  if (!selected) return std::move(selected.rejection());
  const json::Selection &field = **selected;
  if (trace) trace->field = field;
  // A path Jayway fails on (a function of an empty list...): the condition cannot hold.
  rules::MatchOutcome outcome = field.kind == json::Selection::Kind::failed ? rules::MatchOutcome{false, field.error}
                                                                           : node.matcher->test(field, now);
  if (trace) trace->error = std::move(outcome.error);
  return outcome.satisfied;
}

Checked<bool> evaluate_node(const Node &node, const Event &event, int64_t now, NodeTrace *trace,
                            Selections &selections) {
  Checked<bool> held = node.is_group() ? evaluate_group(node, event, now, trace, selections)
                                       : evaluate_condition(node, event, now, trace, selections);
  if (!held) return held;
  const bool satisfied = node.negate ? !*held : *held;
  if (trace) {
    trace->node = &node;
    trace->satisfied = satisfied;
  }
  return satisfied;
}

// A flat rule (rules::RuleHead::flat), from its condition keys, each judged once per event for
// every rule that has it: its nodes are not read.
Checked<bool> evaluate_flat(const rules::ConditionTable &conditions, const rules::RuleHead &head, const Event &event,
                            int64_t now, EventMemo<bool> &judged, Selections &selections) {
  const uint32_t *key = conditions.keys.data() + head.first_key;
  for (const uint32_t *end = key + head.key_count; key != end; ++key) {
    EventMemo<bool>::Entry &condition = judged.at(*key);
    if (condition.event != event.value) {
      Checked<bool> held = evaluate_node(*conditions.judged_by[*key], event, now, nullptr, selections);
      if (!held) return held;
      condition = {event.value, *held};
    }
    if (condition.result != head.all) return condition.result; // settled as evaluate_group settles it
  }
  return head.all || head.key_count == 0;
}

} // namespace

Checked<Evaluation> evaluate(const rules::Config &config, const Split &split, const Delivery &delivery,
                             Selections &selections, bool explain) {
  Evaluation out;
  out.jobs.reserve(std::min<std::size_t>(split.events.size() * config.rules.size(), 64));
  if (explain) out.traces.assign(split.events.size(), std::vector<RuleTrace>(config.rules.size()));
  RuleTrace local;
  EventMemo<bool> judged(static_cast<uint32_t>(config.conditions.judged_by.size()));
  for (const Event &event : split.events) {
    // Each rule is read from its head (rules::RuleHead); its Rule only when traced, fired or not flat.
    for (std::size_t i = 0; i < config.heads.size(); ++i) {
      const rules::RuleHead &head = config.heads[i];
      RuleTrace *trace = explain ? out.trace(event.index, config.rules[i]) : nullptr;
      if (!trace && head.debug) trace = &(local = RuleTrace{});
      if (trace) {
        trace->rule = &config.rules[i];
        trace->event_index = event.index;
      }
      if (!head.enabled) continue;
      // A traced rule shows every condition: it is evaluated node by node.
      Checked<bool> held = !trace && head.flat
                               ? evaluate_flat(config.conditions, head, event, delivery.now_unix_ms, judged, selections)
                               : evaluate_node(config.rules[i].root, event, delivery.now_unix_ms,
                                               trace ? &trace->root : nullptr, selections);
      if (!held) return std::move(held.rejection());
      if (trace) trace->satisfied = *held;
      if (*held)
        out.jobs.push_back({&config.rules[i], event.index, event.id, event.key, event.resource_id, event.time_unix_ms, {}, 0, 0, {}, {}});
      if (head.debug) out.debug.push_back(*trace);
    }
  }
  return out;
}

} // namespace rdwh::pipeline
