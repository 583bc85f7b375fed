#include "pipeline/explain.hpp"

#include "json/rapidjson.hpp"
#include "json/text.hpp"

#include <fmt/format.h>

namespace rdwh::pipeline {
namespace {

using json::Selection;

// Shown instead of a condition value that came from key storage (explanations, debug logs).
constexpr std::string_view secret_value = "(a value from key storage)";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer &w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// A list received by one condition is shown up to about this many bytes: each value of `$..*`
// may repeat much of the document, so showing them all could take far more memory than the body.
constexpr std::size_t max_received_list_bytes = 64 * 1024;

void write_selection(Writer &w, const rapidjson::StringBuffer &buf, const Selection &s) {
  switch (s.kind) {
  case Selection::Kind::missing:
  case Selection::Kind::failed: w.Null(); break;
  case Selection::Kind::single: s.single->Accept(w); break;
  case Selection::Kind::list: {
    const std::size_t start = buf.GetSize();
    w.StartArray();
    for (std::size_t i = 0; i < s.list.size(); ++i) {
      if (buf.GetSize() - start > max_received_list_bytes) {
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
  const rules::Node &n = *t.node;
  w.StartObject();
  if (n.is_group()) {
    w.Key("policy");
    w.String(n.policy == rules::Policy::all ? "all" : "any");
  } else {
    w.Key("path");
    write_string(w, n.path_text);
    w.Key("condition");
    write_string(w, n.type->name);
    w.Key("value");
    write_string(w, n.value_is_secret ? secret_value : n.value.view());
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
    w.Bool(t.field.kind != Selection::Kind::missing && t.field.kind != Selection::Kind::failed);
    w.Key("received");
    if (n.value_is_secret && t.field.kind != Selection::Kind::missing) write_string(w, secret_value);
    else write_selection(w, buf, t.field);
  }
  if (!t.error.empty()) {
    w.Key("error");
    write_string(w, t.error);
  }
  w.EndObject();
}

void write_rule(Writer &w, const rapidjson::StringBuffer &buf, const RuleTrace &rule) {
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
    w.String(rule.rule->root.policy == rules::Policy::all ? "all" : "any");
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

void write_jobs(Writer &w, const Rendered &rendered) {
  w.StartArray();
  for (std::size_t i = 0; i < rendered.jobs.size(); ++i) {
    const JobView job = rendered.job(i);
    w.StartObject();
    w.Key("rule");
    write_string(w, job.rule());
    w.Key("jobId");
    write_string(w, job.job_id());
    w.Key("options");
    w.StartObject();
    for (std::size_t k = 0; k < job.option_count(); ++k) {
      write_string(w, job.option(k).name);
      write_string(w, job.option(k).value);
    }
    w.EndObject();
    if (!job.filter().empty()) { w.Key("filter"); write_string(w, job.filter()); }
    if (!job.as_user().empty()) { w.Key("asUser"); write_string(w, job.as_user()); }
    w.Key("eventId");
    write_string(w, job.event_id());
    w.EndObject();
  }
  w.EndArray();
}

void describe_node(const NodeTrace &t, std::string &out) {
  const rules::Node &n = *t.node;
  if (n.is_group()) {
    out += fmt::format("{}{}(", n.negate ? "not " : "", n.policy == rules::Policy::all ? "all" : "any");
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i) out += "; ";
      describe_node(t.children[i], out);
    }
    out += ")";
    return;
  }
  std::string seen;
  json::append_selection(t.field, seen, 200);
  if (seen.size() > 200) seen = seen.substr(0, 197) + "...";
  // Compared with a key-storage value, what was received may be that value: show neither.
  if (n.value_is_secret) seen = secret_value;
  out += fmt::format("{}{} {} '{}': received {} -> {}", n.negate ? "not " : "", n.path_text.view(), n.type->name,
                     n.value_is_secret ? secret_value : n.value.view(),
                     t.field.kind == Selection::Kind::missing ? "nothing" : "'" + seen + "'",
                     t.satisfied ? "true" : "false");
}

} // namespace

std::string explanation_json(const Split &split, const Evaluation &evaluation, const Strings &strings) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  if (!split.note.empty()) {
    w.StartObject();
    w.Key("error");
    write_string(w, split.note);
    w.EndObject();
  }
  for (std::size_t e = 0; e < evaluation.traces.size(); ++e) {
    w.StartObject();
    w.Key("event");
    w.Uint(static_cast<unsigned>(e));
    w.Key("eventId");
    write_string(w, strings[split.events[e].id]);
    w.Key("rules");
    w.StartArray();
    for (const RuleTrace &rule : evaluation.traces[e]) write_rule(w, buf, rule);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string processing_info_json(const Rendered &rendered, std::string_view explanation) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("msg");
  w.String("ok");
  w.Key("jobs");
  write_jobs(w, rendered);
  w.Key("evaluations");
  w.RawValue(explanation.data(), explanation.size(), rapidjson::kArrayType);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::vector<std::string> debug_lines(const Split &split, const Evaluation &evaluation, const Strings &strings) {
  std::vector<std::string> lines;
  for (const RuleTrace &trace : evaluation.debug) {
    std::string line = fmt::format("rule '{}' on event {} (id {}): {}; ", trace.rule->name, trace.event_index,
                                   strings[split.events[trace.event_index].id], trace.satisfied ? "fired" : "not satisfied");
    describe_node(trace.root, line);
    lines.push_back(std::move(line));
  }
  return lines;
}

} // namespace rdwh::pipeline
