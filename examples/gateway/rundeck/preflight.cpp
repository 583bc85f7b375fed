#include "rundeck/preflight.hpp"

#include "base/json.hpp"
#include "rundeck/client.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace rdwh::gateway {

namespace {

using Clock = std::chrono::steady_clock;

// One enabled rule as the preflight reads it from the config.
struct RuleToCheck {
  size_t index = 0;
  std::string name, job_id;
  std::set<std::string> options; // the jobOptions' names
};

// The enabled rules with a written-out jobId. A jobId holding '$' is JsonPath, a template or a
// key storage reference: known only when an event comes (or secret), so not asked about.
std::vector<RuleToCheck> rules_to_check(const std::string &config_json) {
  std::vector<RuleToCheck> out;
  rapidjson::Document config;
  config.Parse(config_json.data(), config_json.size());
  if (config.HasParseError() || !config.IsObject()) return out;
  auto rules = config.FindMember("rules");
  if (rules == config.MemberEnd() || !rules->value.IsArray()) return out;
  for (rapidjson::SizeType i = 0; i < rules->value.Size(); ++i) {
    const rapidjson::Value &r = rules->value[i];
    if (!r.IsObject() || bool_member(r, "enabled") == false) continue;
    RuleToCheck rule;
    rule.index = i;
    rule.job_id = string_member(r, "jobId").value_or("");
    if (rule.job_id.empty() || rule.job_id.find('$') != std::string::npos) continue;
    // As the plugin names it: a name from key storage is never shown.
    rule.name = string_member(r, "name").value_or("");
    if (rule.name.empty() || rule.name.find("${KS:") != std::string::npos) rule.name = "Rule " + std::to_string(i + 1);
    if (auto opts = r.FindMember("jobOptions"); opts != r.MemberEnd() && opts->value.IsArray())
      for (const auto &o : opts->value.GetArray())
        if (o.IsObject())
          if (auto name = string_member(o, "name"); name && !name->empty()) rule.options.insert(*name);
    out.push_back(std::move(rule));
  }
  return out;
}

std::string job_label(const JobDetails &job, const std::string &id) {
  if (job.kind != JobDetails::Kind::found || job.name.empty()) return "job " + id;
  return "job '" + (job.group.empty() ? "" : job.group + "/") + job.name + "' (" + id + ")";
}

// What `job`, as Rundeck answered about it, means for `rule`: findings added to `out`; why the
// preflight stops ("" when it goes on: Rundeck answered).
std::string judge_rule(const RuleToCheck &rule, const JobDetails &job, const std::string &project,
                       const std::string &no_answer, std::vector<PreflightFinding> &out) {
  const std::string at = "rules[" + std::to_string(rule.index) + "]";
  const std::string job_field = at + ".jobId", label = job_label(job, rule.job_id);
  auto note = [&](const std::string &field, const std::string &message, bool fails) {
    out.push_back({field, rule.name, field + ": " + message, fails});
  };
  switch (job.kind) {
  case JobDetails::Kind::no_answer:
    return job.timed_out ? no_answer : "Rundeck cannot be reached (" + job.reason + ")";
  case JobDetails::Kind::not_found:
    note(job_field, label + " does not exist in Rundeck (" + job.reason + ")", true);
    return "";
  case JobDetails::Kind::auth:
    note(job_field,
         "Rundeck refused the gateway's API token for " + label + " (" + job.reason +
             "): check rundeck.authTokenFile and that the token's user may read and run the job",
         false);
    return "";
  case JobDetails::Kind::other:
    note(job_field, "Rundeck's answer about " + label + " is not a job (" + job.reason + ")", false);
    return "";
  case JobDetails::Kind::found: break;
  }
  if (!job.project.empty() && job.project != project) {
    note(job_field, label + " is in project '" + job.project + "', not in the webhook's project '" + project + "'", true);
    return "";
  }
  if (!job.options_read) {
    if (job.timed_out) return no_answer;
    note(at + ".jobOptions",
         "the options of " + label + " could not be read (" + job.options_reason + "): its required options were not checked",
         false);
    return "";
  }
  for (const JobOption &o : job.options)
    if (o.required && !o.has_default && !rule.options.count(o.name))
      note(at + ".jobOptions",
           label + " requires the option '" + o.name + "', which has no default value and the action does not set",
           true);
  return "";
}

} // namespace

PreflightResult preflight_rules(const RundeckSettings &settings, const std::string &token, const std::string &project,
                                const std::string &config_json, int64_t budget_ms, const std::atomic<bool> &abort) {
  PreflightResult result;
  const std::vector<RuleToCheck> rules = rules_to_check(config_json);
  if (rules.empty()) return result;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  const std::string no_answer = "Rundeck did not answer within " + std::to_string((budget_ms + 999) / 1000) + " s";
  RundeckClient client;
  std::map<std::string, JobDetails> asked; // by job id: several rules may run the same job
  std::string stop;
  for (const RuleToCheck &rule : rules) {
    auto it = asked.find(rule.job_id);
    if (it == asked.end()) {
      const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        stop = no_answer;
        break;
      }
      RundeckSettings call = settings; // each call gets what is left of the budget
      call.request_timeout_ms = left;
      call.connect_timeout_ms = std::min(settings.connect_timeout_ms, left);
      it = asked.emplace(rule.job_id, client.job_details(call, token, rule.job_id, abort)).first;
    }
    stop = judge_rule(rule, it->second, project, no_answer, result.findings);
    if (!stop.empty()) break;
  }
  if (!stop.empty()) {
    result.rundeck_answered = false;
    result.findings.push_back({"config", "", stop + ": the jobs of its rules were not checked", false});
  }
  return result;
}

} // namespace rdwh::gateway
