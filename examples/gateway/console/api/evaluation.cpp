#include "console/api/evaluation.hpp"

#include <algorithm>

namespace rdwh::gateway {

namespace {

using rapidjson::Value;

std::string str(const Value &v, const char *key) { return string_member(v, key).value_or(""); }

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

// Beyond Rundeck's model: the execution as followed to its end, Rundeck's page of it, and the
// job's note on the PagerDuty incident (followUp.note).
void write_followed(JsonWriter &w, const JobView *job) {
  w.Key("executionStatus");
  if (job && job->state && !job->state->execution_status.empty()) write_str(w, job->state->execution_status);
  else w.Null();
  w.Key("permalink");
  if (job && !job->permalink().empty()) write_str(w, job->permalink());
  else w.Null();
  w.Key("noteStatus");
  if (job && job->note) write_str(w, job->note->status);
  else w.Null();
  w.Key("noteReason");
  if (job && job->note && !job->note->reason.empty()) write_str(w, job->note->reason);
  else w.Null();
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
  write_followed(w, job);
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

// One event's routing: the event (`item`, nullptr when unknown) and each rule's result.
void write_routing_result(JsonWriter &w, const DeliveryView &d, const EventView &e, const Value *item,
                          const Value *rules) {
  w.StartObject();
  w.Key("event");
  w.StartObject();
  w.Key("meta");
  w.StartObject();
  w.Key("id"), write_str(w, e.event_id);
  w.EndObject();
  w.Key("event");
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

} // namespace

void write_job_states(JsonWriter &w, const JobStates &s) {
  w.StartObject();
  w.Key("waiting"), w.Int64(s.waiting);
  w.Key("retrying"), w.Int64(s.retrying);
  w.Key("running"), w.Int64(s.running);
  w.Key("done"), w.Int64(s.done);
  w.Key("refused"), w.Int64(s.refused);
  w.Key("failed"), w.Int64(s.failed);
  w.Key("skipped"), w.Int64(s.skipped);
  w.EndObject();
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
  for (const EventView &e : d.events)
    write_routing_result(w, d, e, has_body ? event_of(body, batch_key, e.index, d.events.size()) : nullptr, rules);
  w.EndArray();
  w.Key("rdwh"); // beyond Rundeck's model: what became of the delivery and its jobs
  w.StartObject();
  w.Key("outcome"), write_str(w, r.state);
  w.Key("jobStates");
  write_job_states(w, r.job_states);
  w.EndObject();
  w.EndObject();
}

} // namespace rdwh::gateway
