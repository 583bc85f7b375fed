#include "samples.hpp"

#include "cli.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>

namespace rdwh::harness {
namespace fs = std::filesystem;

std::vector<Sample> read_samples(const std::string &dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw UsageError("cannot read the directory " + dir + ": " + ec.message());
  std::vector<Sample> out;
  for (const fs::directory_entry &e : it)
    if (e.is_regular_file() && e.path().extension() == ".json")
      out.push_back({e.path().filename().string(), read_file(e.path().string())});
  std::sort(out.begin(), out.end(), [](const Sample &a, const Sample &b) { return a.name < b.name; });
  return out;
}

bool take_sample_option(int argc, char **argv, int &i, SampleOptions &o) {
  const std::string arg = argv[i];
  if (arg == "--provider") o.provider = take_value(argc, argv, i);
  else if (arg == "--config") o.config_file = take_value(argc, argv, i);
  else if (arg == "--dir") o.dir = take_value(argc, argv, i);
  else if (arg == "--key") add_key(o.keys, take_value(argc, argv, i));
  else return false;
  return true;
}

Webhook read_webhook(const std::string &config_file, std::string provider) {
  Webhook w;
  w.config = unwrap_webhook(read_file(config_file), provider);
  if (provider.empty()) throw UsageError("needs --provider NAME (or a webhook export with an eventPlugin)");
  w.provider = provider;
  return w;
}

const char *kind_name(RuleOutcome::Kind kind) {
  switch (kind) {
  case RuleOutcome::Kind::fired: return "fired";
  case RuleOutcome::Kind::not_matched: return "no match";
  case RuleOutcome::Kind::not_run: return "not run";
  case RuleOutcome::Kind::disabled: return "disabled";
  }
  return "";
}

namespace {

// A member as text: a string as it is (unless `as_json`), anything else as JSON.
std::string text(const rapidjson::Value &v, const char *key, bool as_json = false) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return {};
  if (it->value.IsString() && !as_json) return it->value.GetString();
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  it->value.Accept(w);
  return buf.GetString();
}

// Why a condition tree did not hold: its first condition that failed, with what it received.
std::string first_failure(const rapidjson::Value &node) {
  auto children = node.FindMember("conditions");
  if (children != node.MemberEnd() && children->value.IsArray()) {
    for (const auto &c : children->value.GetArray())
      if (c.IsObject() && c.HasMember("satisfied") && !c["satisfied"].GetBool()) return first_failure(c);
    return "none of its conditions holds";
  }
  std::string out = text(node, "path") + " " + text(node, "condition") + " '" + text(node, "value") + "'";
  if (node.HasMember("error")) return out + ": " + text(node, "error");
  const std::string received = text(node, "received", true);
  return out + ": received " + (received.empty() || received == "null" ? "nothing" : received);
}

RuleOutcome outcome_of(const rapidjson::Value &rule, const rdwh_result_t &result) {
  RuleOutcome o;
  o.rule = text(rule, "rule");
  const bool fired = rule.HasMember("satisfied") && rule["satisfied"].IsBool() && rule["satisfied"].GetBool();
  if (rule.HasMember("enabled") && rule["enabled"].IsBool() && !rule["enabled"].GetBool()) o.kind = RuleOutcome::Kind::disabled;
  else if (!fired) o.kind = RuleOutcome::Kind::not_matched, o.reason = first_failure(rule);
  else if (rule.HasMember("error")) o.kind = RuleOutcome::Kind::not_run, o.reason = text(rule, "error");
  else o.kind = RuleOutcome::Kind::fired;
  for (size_t i = 0; i < result.job_count && o.kind == RuleOutcome::Kind::fired; ++i) {
    const rdwh_job_t &job = *result.jobs[i];
    if (host::view(job.rule) != o.rule || job.event_index != 0) continue;
    o.job_id = std::string(host::view(job.job_id));
    for (size_t k = 0; k < job.option_count; ++k)
      o.options.emplace_back(host::view(job.options[k].name), host::view(job.options[k].value));
    break;
  }
  return o;
}

} // namespace

std::vector<RuleOutcome> rule_outcomes(const rdwh_result_t &result) {
  std::vector<RuleOutcome> out;
  rapidjson::Document explanation;
  if (!result.evaluation.size || explanation.Parse(result.evaluation.data, result.evaluation.size).HasParseError() ||
      !explanation.IsArray() || explanation.Empty())
    return out;
  const rapidjson::Value &event = explanation[0];
  auto rules = event.FindMember("rules");
  if (rules == event.MemberEnd() || !rules->value.IsArray()) return out;
  for (const auto &rule : rules->value.GetArray())
    if (rule.IsObject()) out.push_back(outcome_of(rule, result));
  return out;
}

} // namespace rdwh::harness
