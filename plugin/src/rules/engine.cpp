#include "rules/engine.hpp"

#include "json/text.hpp"
#include "rules/datetime.hpp"

#include <fmt/format.h>

namespace rdwh::rules {
namespace {

using json::Selection;
using json::Value;

// Shown instead of a condition value that came from key storage (explanations, debug logs).
constexpr std::string_view kSecretValue = "(a value from key storage)";

// Lists found by the batch key are flattened recursively into events, as Rundeck does.
bool flatten(const Value &v, std::vector<const Value *> &out, std::size_t max) {
  if (v.IsArray()) {
    for (const auto &e : v.GetArray())
      if (!flatten(e, out, max)) return false;
    return true;
  }
  if (out.size() >= max) return false;
  out.push_back(&v);
  return true;
}

// Evaluates a node; with `trace`, every child is evaluated (no short cut) and recorded.
bool evaluate_node(const Node &node, const EventContext &ctx, NodeTrace *trace, Selection &scratch) {
  bool satisfied;
  if (node.is_group()) {
    satisfied = node.policy == Policy::all || node.children.empty();
    if (trace) trace->children.resize(node.children.size());
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      NodeTrace *child_trace = trace ? &trace->children[i] : nullptr;
      bool held = evaluate_node(node.children[i], ctx, child_trace, scratch);
      if (node.policy == Policy::all && !held) satisfied = false;
      if (node.policy == Policy::any && held) satisfied = true;
      // Without a trace, stop as soon as the outcome is settled.
      if (!trace && (node.policy == Policy::all ? !held : held)) break;
    }
  } else if (!node.path) {
    satisfied = true; // Rundeck: a condition with no path holds
  } else {
    Selection &field = trace ? trace->field : scratch;
    node.path->select(ctx.event, field);
    MatchOutcome outcome = node.matcher->test(field, ctx);
    satisfied = outcome.satisfied;
    if (trace) trace->error = std::move(outcome.error);
  }
  if (node.negate) satisfied = !satisfied;
  if (trace) {
    trace->node = &node;
    trace->satisfied = satisfied;
  }
  return satisfied;
}

// Appends what `path` selects in `event` to `out`, within the value limit.
void append_path(const json::JsonPath *path, const Value &event, const Config &config, Selection &scratch,
                 std::string &out) {
  if (!path) return;
  path->select(event, scratch);
  append_selection(scratch, out, out.size() + config.limits.max_value_bytes);
}

// Renders the event's id into `out`: eventIdKey, else the X-Webhook-Id header, else the event's
// own id, else the host's delivery id.
void render_event_id(const Config &config, const Value &event, const Delivery &delivery, const EventPaths &paths,
                     Selection &scratch, std::string &out) {
  const std::size_t start = out.size();
  append_path(config.event_id_key ? &*config.event_id_key : nullptr, event, config, scratch, out);
  if (out.size() > start) return;
  if (std::string_view header = delivery.header("X-Webhook-Id"); !header.empty()) {
    out.append(header);
    return;
  }
  append_path(paths.own_id, event, config, scratch, out);
  if (out.size() > start) return;
  out.append(delivery.delivery_id);
}

// Renders the event's identity for de-duplication into `out`: what the sender put in the body
// (signed, for V3) comes before what an unsigned header says: the event's own id, else
// eventIdKey, else X-Webhook-Id; nothing when none of them exists.
void render_event_key(const Config &config, const Value &event, const Delivery &delivery, const EventPaths &paths,
                      Selection &scratch, std::string &out) {
  const std::size_t start = out.size();
  append_path(paths.own_id, event, config, scratch, out);
  if (out.size() > start) return;
  append_path(config.event_id_key ? &*config.event_id_key : nullptr, event, config, scratch, out);
  if (out.size() > start) return;
  out.append(delivery.header("X-Webhook-Id"));
}

// When the event happened, from the provider's time path; 0 when absent or not a date-time.
int64_t event_time(const EventPaths &paths, const Value &event, Selection &scratch) {
  if (!paths.time) return 0;
  paths.time->select(event, scratch);
  if (scratch.kind != Selection::Kind::single) return 0;
  const Value &v = *scratch.single;
  if (v.IsString()) return parse_datetime({v.GetString(), v.GetStringLength()}).value_or(0);
  if (v.IsNumber()) return epoch_number_to_ms(v.GetDouble());
  return 0;
}

void describe_node(const NodeTrace &t, std::string &out) {
  const Node &n = *t.node;
  if (n.is_group()) {
    out += fmt::format("{}{}(", n.negate ? "not " : "", n.policy == Policy::all ? "all" : "any");
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i) out += "; ";
      describe_node(t.children[i], out);
    }
    out += ")";
    return;
  }
  std::string seen;
  append_selection(t.field, seen, 200);
  if (seen.size() > 200) seen = seen.substr(0, 197) + "...";
  // Compared with a key-storage value, what was received may be that value: show neither.
  if (n.value_is_secret) seen = kSecretValue;
  out += fmt::format("{}{} {} '{}': received {} -> {}", n.negate ? "not " : "", n.path_text, n.type->name,
                     n.value_is_secret ? kSecretValue : std::string_view(n.value),
                     t.field.kind == Selection::Kind::missing ? "nothing" : "'" + seen + "'",
                     t.satisfied ? "true" : "false");
}

} // namespace

Evaluation evaluate(const Config &config, const Value &payload, const Delivery &delivery,
                    const EventPaths &paths, bool explain,
                    const std::function<void(const std::string &)> &log_debug_rule) {
  Evaluation result;
  std::vector<const Value *> events;
  if (config.batch_key) {
    Selection batch = config.batch_key->select(payload);
    bool within_limit = true;
    if (batch.kind == Selection::Kind::missing) {
      result.error = fmt::format("Batch Key Path Missing: No results for path: {}", config.batch_key->text());
    } else if (batch.kind == Selection::Kind::single) {
      within_limit = flatten(*batch.single, events, config.limits.max_batch_items);
    } else {
      for (const Value *v : batch.list)
        if (!(within_limit = flatten(*v, events, config.limits.max_batch_items))) break;
    }
    if (!within_limit) {
      result.limit_exceeded = true;
      result.error = fmt::format("the batch has more than {} items (limits.maxBatchItems)", config.limits.max_batch_items);
      return result;
    }
  } else {
    events.push_back(&payload);
  }
  result.jobs.reserve(std::min<std::size_t>(events.size() * config.rules.size(), 64));

  Selection scratch;
  std::string &text = result.text;
  text.reserve(1024);
  // Renders into `text`; false when the value is over the limit.
  const std::size_t max_value = config.limits.max_value_bytes;
  auto render = [&](const ValueExpr &expr, const EventContext &ctx, Text &slice) {
    const std::size_t start = text.size();
    const bool fits = expr.render(ctx, text, start + max_value);
    slice = Text{static_cast<uint32_t>(start), static_cast<uint32_t>(text.size() - start)};
    return fits;
  };
  if (explain) result.events.reserve(events.size());
  for (std::size_t e = 0; e < events.size(); ++e) {
    const EventContext ctx{*events[e], delivery};
    // Renders into `text` and returns the slice.
    auto slice_of = [&](auto &&render_into) {
      const std::size_t start = text.size();
      render_into();
      return Text{static_cast<uint32_t>(start), static_cast<uint32_t>(text.size() - start)};
    };
    const Text event_id = slice_of([&] { render_event_id(config, *events[e], delivery, paths, scratch, text); });
    const Text event_key = slice_of([&] { render_event_key(config, *events[e], delivery, paths, scratch, text); });
    const Text resource_id = slice_of([&] { append_path(paths.resource_id, *events[e], config, scratch, text); });
    const int64_t when = event_time(paths, *events[e], scratch);
    EventTrace *event_trace = nullptr;
    if (explain) {
      event_trace = &result.events.emplace_back();
      event_trace->index = static_cast<uint32_t>(e);
      event_trace->event_id = result.str(event_id);
      event_trace->rules.reserve(config.rules.size());
    }
    for (const Rule &rule : config.rules) {
      RuleTrace local;
      RuleTrace *trace = event_trace ? &event_trace->rules.emplace_back() : (rule.debug ? &local : nullptr);
      if (trace) trace->rule = &rule;
      if (!rule.enabled) continue;
      bool satisfied = evaluate_node(rule.root, ctx, trace ? &trace->root : nullptr, scratch);
      if (trace) trace->satisfied = satisfied;
      if (satisfied) {
        const std::size_t job_start = text.size();
        Job job;
        bool fits = !rule.job_id || render(*rule.job_id, ctx, job.job_id);
        if (fits && job.job_id.size == 0) {
          // Rundeck reports NOT_FOUND for such a rule; nothing can be run.
          if (trace) trace->error = "the rule has no job (jobId is empty)";
          text.resize(job_start);
        } else {
          job.first_option = static_cast<uint32_t>(result.option_values.size());
          for (const JobOption &option : rule.options) fits &= render(option.value, ctx, result.option_values.emplace_back());
          if (rule.node_filter) fits &= render(*rule.node_filter, ctx, job.filter);
          if (rule.user) fits &= render(*rule.user, ctx, job.as_user);
          if (!fits || text.size() > UINT32_MAX / 2) {
            result.limit_exceeded = true;
            result.error = fmt::format("rule '{}' renders a value over {} bytes (limits.maxValueBytes)", rule.name, max_value);
            result.jobs.clear();
            return result;
          }
          job.rule = &rule;
          job.event_index = static_cast<uint32_t>(e);
          job.event_id = event_id;
          job.event_key = event_key;
          job.resource_id = resource_id;
          job.event_time_unix_ms = when;
          result.jobs.push_back(job);
        }
      }
      if (rule.debug && log_debug_rule) {
        std::string line = fmt::format("rule '{}' on event {} (id {}): {}; ", rule.name, e, result.str(event_id),
                                       satisfied ? "fired" : "not satisfied");
        describe_node(trace->root, line);
        log_debug_rule(line);
      }
    }
  }
  return result;
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer &w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// A list received by one condition is shown up to about this many bytes: each value of `$..*`
// may repeat much of the document, so showing them all could take far more memory than the body.
constexpr std::size_t kMaxReceivedListBytes = 64 * 1024;

void write_selection(Writer &w, const rapidjson::StringBuffer &buf, const Selection &s) {
  switch (s.kind) {
  case Selection::Kind::missing: w.Null(); break;
  case Selection::Kind::single: s.single->Accept(w); break;
  case Selection::Kind::list: {
    const std::size_t start = buf.GetSize();
    w.StartArray();
    for (std::size_t i = 0; i < s.list.size(); ++i) {
      if (buf.GetSize() - start > kMaxReceivedListBytes) {
        write_string(w, fmt::format("({} more values not shown)", s.list.size() - i));
        break;
      }
      s.list[i]->Accept(w);
    }
    w.EndArray();
    break;
  }
  }
}

void write_node(Writer &w, const rapidjson::StringBuffer &buf, const NodeTrace &t) {
  const Node &n = *t.node;
  w.StartObject();
  if (n.is_group()) {
    w.Key("policy");
    w.String(n.policy == Policy::all ? "all" : "any");
  } else {
    w.Key("path");
    write_string(w, n.path_text);
    w.Key("condition");
    write_string(w, n.type->name);
    w.Key("value");
    write_string(w, n.value_is_secret ? kSecretValue : std::string_view(n.value));
  }
  if (n.negate) {
    w.Key("negate");
    w.Bool(true);
  }
  w.Key("satisfied");
  w.Bool(t.satisfied);
  if (n.is_group()) {
    w.Key("conditions");
    w.StartArray();
    for (const NodeTrace &c : t.children) write_node(w, buf, c);
    w.EndArray();
  } else if (n.path) {
    w.Key("found");
    w.Bool(t.field.kind != Selection::Kind::missing);
    w.Key("received");
    if (n.value_is_secret && t.field.kind != Selection::Kind::missing) write_string(w, kSecretValue);
    else write_selection(w, buf, t.field);
  }
  if (!t.error.empty()) {
    w.Key("error");
    write_string(w, t.error);
  }
  w.EndObject();
}

} // namespace

std::string explanation_json(const Evaluation &evaluation) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  if (!evaluation.error.empty()) {
    w.StartObject();
    w.Key("error");
    write_string(w, evaluation.error);
    w.EndObject();
  }
  for (const EventTrace &event : evaluation.events) {
    w.StartObject();
    w.Key("event");
    w.Uint(event.index);
    w.Key("eventId");
    write_string(w, event.event_id);
    w.Key("rules");
    w.StartArray();
    for (const RuleTrace &rule : event.rules) {
      w.StartObject();
      w.Key("rule");
      write_string(w, rule.rule->name);
      w.Key("index");
      w.Uint64(rule.rule->index);
      w.Key("enabled");
      w.Bool(rule.rule->enabled);
      w.Key("satisfied");
      w.Bool(rule.satisfied);
      if (rule.rule->enabled) {
        w.Key("policy");
        w.String(rule.rule->root.policy == Policy::all ? "all" : "any");
        w.Key("conditions");
        w.StartArray();
        for (const NodeTrace &c : rule.root.children) write_node(w, buf, c);
        w.EndArray();
      }
      if (!rule.error.empty()) {
        w.Key("error");
        write_string(w, rule.error);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace rdwh::rules
