#include "console/admin/delivery_view.hpp"

#include "intake/pipeline.hpp"

#include <ctime>

namespace rdwh::gateway {

namespace {

using rapidjson::Value;

std::string str(const Value &v, const char *key) { return string_member(v, key).value_or(""); }
bool flag(const Value &v, const char *key, bool fallback) { return bool_member(v, key).value_or(fallback); }

ConditionView read_condition(const Value &v) {
  ConditionView c;
  c.group = v.HasMember("conditions");
  c.policy = str(v, "policy");
  c.path = str(v, "path");
  c.condition = str(v, "condition");
  c.value = str(v, "value");
  c.negate = flag(v, "negate", false);
  c.satisfied = flag(v, "satisfied", false);
  c.error = str(v, "error");
  if (auto it = v.FindMember("received"); it != v.MemberEnd()) {
    c.has_received = true;
    c.found = flag(v, "found", false);
    c.received = to_json(it->value);
  }
  if (c.group && v["conditions"].IsArray())
    for (const Value &child : v["conditions"].GetArray()) c.children.push_back(read_condition(child));
  return c;
}

RuleView read_rule(const Value &v) {
  RuleView r;
  r.name = str(v, "rule");
  r.index = v.HasMember("index") && v["index"].IsUint() ? v["index"].GetUint() : 0;
  r.enabled = flag(v, "enabled", true);
  r.satisfied = flag(v, "satisfied", false);
  r.policy = str(v, "policy");
  r.error = str(v, "error");
  if (auto it = v.FindMember("conditions"); it != v.MemberEnd() && it->value.IsArray())
    for (const Value &c : it->value.GetArray()) r.conditions.push_back(read_condition(c));
  return r;
}

JobView read_job(const Value &v) {
  JobView j;
  j.event_index = v.HasMember("eventIndex") && v["eventIndex"].IsUint() ? v["eventIndex"].GetUint() : 0;
  j.rule_index = v.HasMember("ruleIndex") && v["ruleIndex"].IsUint() ? v["ruleIndex"].GetUint() : 0;
  j.rule = str(v, "rule");
  j.rule_key = str(v, "ruleKey");
  j.delivery_key = str(v, "deliveryKey");
  j.job_id = str(v, "jobId");
  if (auto it = v.FindMember("request"); it != v.MemberEnd() && it->value.IsObject()) {
    const Value &req = it->value;
    if (auto o = req.FindMember("options"); o != req.MemberEnd() && o->value.IsObject())
      for (auto m = o->value.MemberBegin(); m != o->value.MemberEnd(); ++m)
        if (m->value.IsString())
          j.options.emplace_back(std::string(m->name.GetString(), m->name.GetStringLength()),
                                 std::string(m->value.GetString(), m->value.GetStringLength()));
    j.filter = str(req, "filter");
    j.as_user = str(req, "asUser");
  }
  return j;
}

// The batch item `index` of `body` when the batch key is a plain member path ("$.messages"), the
// whole body for a delivery of one event; nullptr when it cannot be told without a JsonPath engine.
const Value *event_of(const Value &body, std::string_view batch_key, size_t index, size_t events) {
  if (batch_key.empty()) return events == 1 ? &body : nullptr;
  if (batch_key.substr(0, 2) != "$.") return nullptr;
  const Value *v = &body;
  std::string_view rest = batch_key.substr(2);
  while (!rest.empty()) {
    const std::string name(rest.substr(0, rest.find('.')));
    if (name.find_first_of("[]*?@() ") != std::string::npos || !v->IsObject()) return nullptr;
    auto it = v->FindMember(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
    rest.remove_prefix(std::min(rest.size(), name.size() + 1));
  }
  if (!v->IsArray() || v->Size() != events) return nullptr;
  return &(*v)[static_cast<rapidjson::SizeType>(index)];
}

void write_condition(JsonWriter &w, const ConditionView &c) {
  w.StartObject();
  w.Key("satisfied"), w.Bool(c.satisfied);
  w.Key("value");
  if (c.has_received) w.RawValue(c.received.data(), c.received.size(), rapidjson::kObjectType);
  else w.Null();
  w.Key("condition");
  w.StartObject();
  if (c.group) {
    w.Key("policy"), write_str(w, c.policy);
    w.Key("conditions");
    w.StartArray();
    for (const ConditionView &child : c.children) write_condition(w, child);
    w.EndArray();
  } else {
    w.Key("path"), write_str(w, c.path);
    w.Key("condition"), write_str(w, c.condition);
    w.Key("value"), write_str(w, c.value);
  }
  if (c.negate) w.Key("negate"), w.Bool(true);
  w.EndObject();
  w.Key("error");
  if (c.error.empty()) w.Null();
  else write_str(w, c.error);
  w.EndObject();
}

void write_rule_result(JsonWriter &w, const DeliveryView &d, const RuleView &r, const Value *rule_config) {
  const JobView *job = r.job >= 0 ? &d.jobs[static_cast<size_t>(r.job)] : nullptr;
  w.StartObject();
  w.Key("ruleEvaluation");
  w.StartObject();
  w.Key("satisfied"), w.Bool(r.satisfied);
  w.Key("rule");
  if (rule_config) rule_config->Accept(w);
  else {
    w.StartObject();
    w.Key("name"), write_str(w, r.name);
    w.EndObject();
  }
  w.Key("conditionEvaluations");
  w.StartArray();
  for (const ConditionView &c : r.conditions) write_condition(w, c);
  w.EndArray();
  w.EndObject();
  w.Key("jobRunStatus");
  if (job) w.String(job->run_status());
  else w.Null();
  w.Key("jobId");
  if (job) write_str(w, job->job_id);
  else if (rule_config && rule_config->HasMember("jobId") && (*rule_config)["jobId"].IsString()) write_str(w, str(*rule_config, "jobId"));
  else w.Null();
  w.Key("executionId");
  if (job && job->state && !job->state->execution_id.empty()) write_str(w, job->state->execution_id);
  else w.Null();
  w.Key("errorMsg");
  const std::string error = !r.error.empty() ? r.error : job && job->state && job->state->status != "done" ? job->state->reason : "";
  if (error.empty()) w.Null();
  else write_str(w, error);
  w.Key("renderedOptions");
  w.StartObject();
  if (job)
    for (const auto &[name, value] : job->options) {
      write_str(w, name);
      write_str(w, value);
    }
  w.EndObject();
  w.EndObject();
}

} // namespace

const char *JobView::run_status() const {
  if (!state) return "NOT_STARTED";
  if (state->status == "done") return "STARTED";
  if (state->status == "refused") return state->http_status == 404 ? "NOT_FOUND" : "UNKNOWN_ERROR";
  return "NOT_STARTED";
}

std::string JobView::state_text() const {
  if (!state) return "not in the outbox (never stored, or purged after outbox.retainDoneHours)";
  const OutboxJob &s = *state;
  if (s.status == "done") return "done: execution " + s.execution_id;
  if (s.status == "refused")
    return "refused by Rundeck (HTTP " + std::to_string(s.http_status) + "): " + s.reason;
  if (s.status == "skipped") return "skipped: " + s.reason;
  if (s.status == "running") return "running: the run call is in flight";
  std::string text = "queued";
  if (s.uncertain) text += " (Rundeck is asked whether an earlier call ran it first)";
  if (s.attempts > 0 && !s.reason.empty()) text += ": attempt " + std::to_string(s.attempts) + " failed: " + s.reason;
  return text;
}

std::string iso_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf, n) + millis;
}

DeliveryView explain_delivery(DeliveryRecord record, Outbox &outbox) {
  DeliveryView d;
  d.record = std::move(record);
  const DeliveryRecord &r = d.record;
  rapidjson::Document doc;
  doc.Parse(r.headers_json.data(), r.headers_json.size());
  if (!doc.HasParseError() && doc.IsArray())
    for (const Value &h : doc.GetArray())
      if (h.IsArray() && h.Size() == 2 && h[0].IsString() && h[1].IsString())
        d.headers.emplace_back(h[0].GetString(), h[1].GetString());
  try {
    d.body = stored_body(r);
  } catch (const std::exception &) {
    d.body = r.body;
  }
  doc.Parse(r.jobs_json.data(), r.jobs_json.size());
  if (!doc.HasParseError() && doc.IsArray())
    for (const Value &j : doc.GetArray()) {
      JobView job = read_job(j);
      job.state = outbox.find(r.webhook_key, job.delivery_key, job.rule_key);
      d.jobs.push_back(std::move(job));
    }
  doc.Parse(r.evaluation.data(), r.evaluation.size());
  if (!doc.HasParseError() && doc.IsArray())
    for (const Value &e : doc.GetArray()) {
      if (!e.HasMember("rules")) {
        d.note = str(e, "error");
        continue;
      }
      EventView ev;
      ev.index = e.HasMember("event") && e["event"].IsUint() ? e["event"].GetUint() : 0;
      ev.event_id = str(e, "eventId");
      if (e["rules"].IsArray())
        for (const Value &rule : e["rules"].GetArray()) {
          RuleView rv = read_rule(rule);
          for (size_t k = 0; k < d.jobs.size(); ++k)
            if (d.jobs[k].event_index == ev.index && d.jobs[k].rule_index == rv.index) rv.job = static_cast<int>(k);
          ev.rules.push_back(std::move(rv));
        }
      d.events.push_back(std::move(ev));
    }
  return d;
}

void write_webhook_evaluation(JsonWriter &w, const DeliveryView &d, const Value &config, std::string_view event_plugin) {
  const DeliveryRecord &r = d.record;
  std::string batch_key = str(config, "batchKey");
  if (batch_key.empty() && event_plugin == "pagerduty-run-job") batch_key = "$.messages"; // V2's implied one
  const Value *rules = config.HasMember("rules") && config["rules"].IsArray() ? &config["rules"] : nullptr;
  rapidjson::Document body;
  if (!r.body_truncated) body.Parse(d.body.data(), d.body.size());
  const bool has_body = !r.body_truncated && !body.HasParseError();

  w.StartObject();
  w.Key("id"), write_str(w, std::to_string(r.id));
  w.Key("time"), write_str(w, iso_time(r.received_ms));
  w.Key("event");
  if (has_body) body.Accept(w);
  else w.Null();
  w.Key("batchKey");
  if (batch_key.empty()) w.Null();
  else write_str(w, batch_key);
  w.Key("error");
  const std::string error = !r.error.empty() ? r.error : d.note;
  if (error.empty()) w.Null();
  else write_str(w, error);
  w.Key("routingResults");
  w.StartArray();
  for (const EventView &e : d.events) {
    w.StartObject();
    w.Key("event");
    w.StartObject();
    w.Key("meta");
    w.StartObject();
    w.Key("id"), write_str(w, e.event_id);
    w.EndObject();
    w.Key("event");
    const Value *item = has_body ? event_of(body, batch_key, e.index, d.events.size()) : nullptr;
    if (item) item->Accept(w);
    else w.Null();
    w.EndObject();
    w.Key("ruleRoutingResults");
    w.StartArray();
    for (const RuleView &rule : e.rules) {
      const Value *rule_config = nullptr;
      if (rules && rule.index < rules->Size() && str((*rules)[rule.index], "name") == rule.name)
        rule_config = &(*rules)[rule.index];
      write_rule_result(w, d, rule, rule_config);
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace rdwh::gateway
