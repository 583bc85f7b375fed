#include "console/admin/delivery_view.hpp"

#include "base/clock.hpp"
#include "base/json.hpp"
#include "intake/pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
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

std::string JobView::note_text() const {
  if (!note) return "";
  if (note->reason.empty()) return note->status;
  return note->status + ": " + (note->http_status ? "HTTP " + std::to_string(note->http_status) + " " : "") + note->reason;
}

std::string JobView::execution_text() const {
  if (!state || state->execution_status.empty()) return "";
  const OutboxJob &s = *state;
  std::string text = s.execution_status;
  if (s.execution_status == "running") return s.execution_reason.empty() ? text : text + " (" + s.execution_reason + ")";
  if (s.execution_duration_ms > 0) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f s", static_cast<double>(s.execution_duration_ms) / 1000);
    text += std::string(" in ") + secs;
  }
  if (!s.execution_reason.empty()) text += ": " + s.execution_reason;
  return text;
}

std::string JobView::permalink() const {
  if (!state) return "";
  const std::string &p = state->permalink;
  return p.rfind("https://", 0) == 0 || p.rfind("http://", 0) == 0 ? p : std::string();
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

std::string read_delivery_search(const std::function<std::optional<std::string_view>(std::string_view)> &arg,
                                 DeliveryFilter &f) {
  f.outcome = std::string(arg("outcome").value_or(""));
  if (!f.outcome.empty() &&
      std::find(std::begin(outcome::all), std::end(outcome::all), f.outcome) == std::end(outcome::all)) {
    std::string known;
    for (const char *o : outcome::all) known += (known.empty() ? "" : ", ") + std::string(o);
    return "outcome: unknown value '" + f.outcome + "' (one of " + known + ")";
  }
  f.search = std::string(arg("q").value_or(""));
  if (f.search.size() > 200) return "q: longer than any stored id (200 bytes)";
  if (const std::string_view from = arg("from").value_or(""); !from.empty()) {
    const auto t = parse_utc(from);
    if (!t) return "from: not a time of the form YYYY-MM-DDTHH:MM[:SS] (UTC)";
    f.since_ms = t->first;
  }
  if (const std::string_view to = arg("to").value_or(""); !to.empty()) {
    const auto t = parse_utc(to);
    if (!t) return "to: not a time of the form YYYY-MM-DDTHH:MM[:SS] (UTC)";
    f.until_ms = t->first + t->second;
  }
  return "";
}

std::string why_summary(const DeliveryView &v) {
  const DeliveryRecord &r = v.record;
  if (r.outcome == outcome::refused || r.outcome == outcome::failed)
    return "The gateway answered HTTP " + std::to_string(r.status) + ": " + (r.error.empty() ? r.verdict : r.error) +
           ". No rule was evaluated.";
  if (v.events.empty())
    return r.evaluation.empty() ? "The delivery store kept no explanation for this delivery."
                                : "No event in the delivery.";
  size_t rules = 0, fired = 0;
  std::vector<std::string> held; // "'name' matched but did not run: why", once per rule and reason
  for (const EventView &e : v.events)
    for (const RuleView &rule : e.rules) {
      ++rules;
      if (!rule.satisfied) continue;
      if (rule.error.empty()) {
        ++fired;
        continue;
      }
      std::string line = "'" + rule.name + "' matched but did not run: " + rule.error + ".";
      if (std::find(held.begin(), held.end(), line) == held.end()) held.push_back(std::move(line));
    }
  const std::string counted = std::to_string(rules) + " rule evaluation(s) on " + std::to_string(v.events.size()) +
                              " event(s)";
  std::string text = fired > 0      ? std::to_string(fired) + " of " + counted + " fired."
                     : !held.empty() ? "No job ran: " + counted + "."
                                     : "No rule fired: " + counted + ", none held. The failing conditions are marked below.";
  for (const std::string &line : held) text += " " + line;
  return text;
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
      if (job.state)
        if (auto notes = outbox.job_notes({job.state->id}); !notes.empty()) job.note = notes.begin()->second;
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

} // namespace rdwh::gateway
