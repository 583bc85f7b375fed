// `rdwh-host lint`: what the plugin finds about a config when asked to lint it (paths no payload
// of the provider has, rules that can never match: rdwh.host.diagnostics/1 with
// RDWH_DIAGNOSTICS_LINT), plus the options that render empty or null, or not at all, on the
// provider's sample deliveries (see commands.hpp).
#include "commands.hpp"

#include "cli.hpp"
#include "samples.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <iostream>
#include <map>

namespace rdwh::harness {
namespace {

using Options = SampleOptions;

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i)
    if (!take_sample_option(argc, argv, i, o)) throw UsageError(std::string("lint: unknown option ") + argv[i]);
  if (o.config_file.empty()) throw UsageError("lint needs --config FILE");
  if (o.dir.empty()) o.dir = default_samples_dir();
  return o;
}

// Services for linting: key storage answers every path (a placeholder unless --key gives it),
// since lint looks at the config, not at secrets.
host::Services lint_services(const Options &o, std::vector<std::string> *findings) {
  host::Services s;
  s.log = [](int, std::string_view) {};
  s.get_secret = [&o](std::string_view path) { return std::optional<std::string>(o.keys.get(path).value_or("(lint)")); };
  if (findings) {
    s.diagnostic = [findings](const host::Diagnostic &d) { findings->push_back(d.message); };
    s.lint = true;
  }
  return s;
}

rapidjson::Document parse_config(const std::string &text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (!doc.HasParseError() && doc.IsString()) {
    rapidjson::Document inner;
    inner.Parse(doc.GetString());
    doc.Swap(inner);
  }
  if (doc.HasParseError() || !doc.IsObject()) throw UsageError("the config is not a JSON map");
  return doc;
}

std::string to_text(const rapidjson::Value &v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The config without its signature key (the samples are not signed) and, with `every_rule`, each
// rule without conditions and with a job: every rule then fires on every sample, so all its
// options render.
std::string sample_config(const std::string &text, bool every_rule) {
  rapidjson::Document doc = parse_config(text);
  auto &a = doc.GetAllocator();
  doc.RemoveMember("keyStoragePath");
  doc.RemoveMember("returnProcessingInfo");
  if (every_rule && doc.HasMember("rules") && doc["rules"].IsArray())
    for (auto &rule : doc["rules"].GetArray()) {
      if (!rule.IsObject()) continue;
      rule.RemoveMember("conditions");
      if (!rule.HasMember("jobId") || !rule["jobId"].IsString() || rule["jobId"].GetStringLength() == 0) {
        rule.RemoveMember("jobId");
        rule.AddMember("jobId", "(lint)", a);
      }
    }
  return to_text(doc);
}

// The text each option of a rule is configured with (for "null" that comes from the event).
std::map<std::string, std::string> option_texts(const rapidjson::Value &rule) {
  std::map<std::string, std::string> out;
  if (!rule.IsObject() || !rule.HasMember("jobOptions")) return out;
  const rapidjson::Value &options = rule["jobOptions"];
  if (options.IsArray()) {
    for (const auto &o : options.GetArray())
      if (o.IsObject() && o.HasMember("name") && o["name"].IsString())
        out[o["name"].GetString()] = o.HasMember("value") && o["value"].IsString() ? o["value"].GetString() : "";
  } else if (options.IsObject()) {
    for (const auto &m : options.GetObject()) out[m.name.GetString()] = m.value.IsString() ? m.value.GetString() : "";
  }
  return out;
}

// A rendered value that came out empty or null (a "null" the config did not write itself).
bool renders_nothing(const std::string &value, const std::string &configured) {
  return value.empty() || (value.find("null") != std::string::npos && configured.find("null") == std::string::npos);
}

struct SampleResult {
  std::string name;
  std::vector<RuleOutcome> as_is;     // the config's own outcome
  std::vector<RuleOutcome> every;     // every rule fired (the rule engine), or the same (Run Job)
};

const RuleOutcome *outcome(const std::vector<RuleOutcome> &list, const std::string &rule) {
  for (const RuleOutcome &r : list)
    if (r.rule == rule) return &r;
  return nullptr;
}

// Per rule: the samples it fires on (all fitting samples when it fires on none), and what its
// options render there.
void check_rendering(const std::string &rule, const std::map<std::string, std::string> &texts,
                     const std::vector<SampleResult> &samples, std::vector<std::string> &findings) {
  std::vector<const SampleResult *> where;
  for (const SampleResult &s : samples)
    if (const RuleOutcome *r = outcome(s.as_is, rule); r && r->kind != RuleOutcome::Kind::not_matched &&
                                                        r->kind != RuleOutcome::Kind::disabled)
      where.push_back(&s);
  const bool anywhere = where.empty();
  if (anywhere)
    for (const SampleResult &s : samples) where.push_back(&s);
  std::map<std::string, std::vector<std::string>> bad; // option -> samples
  for (const SampleResult *s : where) {
    const RuleOutcome *r = outcome(s->every, rule);
    if (!r) continue;
    if (r->kind == RuleOutcome::Kind::not_run) {
      findings.push_back("rule '" + rule + "' cannot run on " + s->name + ": " + r->reason);
      continue;
    }
    for (const auto &[name, value] : r->options) {
      const auto text = texts.find(name);
      if (renders_nothing(value, text == texts.end() ? "" : text->second)) bad[name].push_back(s->name + " ('" + value + "')");
    }
  }
  for (const auto &[name, list] : bad) {
    std::string line = "rule '" + rule + "': option '" + name + "' renders empty or null on " + std::to_string(list.size()) +
                       " of " + std::to_string(where.size()) + " sample deliveries" +
                       (anywhere ? " (the rule matches none; rendered on all)" : " it matches") + ": ";
    for (std::size_t i = 0; i < list.size(); ++i) line += (i ? ", " : "") + list[i];
    findings.push_back(line);
  }
}

} // namespace

// The bundled sample deliveries, found as the plugins are.
std::string default_samples_dir() {
  return host::beside_executable(RDWH_INSTALLED_SAMPLES_DIR, RDWH_BUILD_BIN_DIR, RDWH_SOURCE_SAMPLES_DIR);
}

int run_lint(const std::vector<std::string> &dirs, int argc, char **argv) {
  const Options o = parse(argc, argv);
  const Webhook w = read_webhook(o.config_file, o.provider);
  const host::PluginSet plugins = load_plugins(dirs);
  const host::Plugin *plugin = plugins.find(w.provider);
  if (!plugin) throw host::HostError("no plugin offers provider '" + w.provider + "'");
  std::vector<std::string> findings;
  { const host::Handler diagnose(*plugin, w.provider, w.config, lint_services(o, &findings)); }
  const host::Handler as_is(*plugin, w.provider, sample_config(w.config, false), lint_services(o, nullptr));
  const host::Handler every(*plugin, w.provider, sample_config(w.config, true), lint_services(o, nullptr));
  std::vector<SampleResult> samples;
  std::size_t total = 0;
  for (const Sample &sample : read_samples(o.dir)) {
    ++total;
    host::Handler::Request request;
    request.body = sample.body;
    request.explain = true;
    const host::Result result = as_is.handle(request);
    if (result->verdict == RDWH_VERDICT_UNPROCESSABLE) // webhook-run-job: a value it cannot render
      findings.push_back(sample.name + ": answered " + std::to_string(result->http_status) + " " +
                         std::string(host::view(result->body)));
    if (result->http_status != 200) continue; // otherwise: not this provider's payload
    samples.push_back({sample.name, rule_outcomes(*result), rule_outcomes(*every.handle(request))});
  }
  const rapidjson::Document config = parse_config(w.config);
  std::map<std::string, std::map<std::string, std::string>> rules; // name -> option texts
  if (config.HasMember("rules") && config["rules"].IsArray()) {
    for (const auto &rule : config["rules"].GetArray())
      if (rule.IsObject() && rule.HasMember("name") && rule["name"].IsString()) rules[rule["name"].GetString()] = option_texts(rule);
  } else {
    for (const SampleResult &s : samples)
      for (const RuleOutcome &r : s.as_is) rules[r.rule];
  }
  for (const auto &[rule, texts] : rules) check_rendering(rule, texts, samples, findings);
  for (const std::string &f : findings) std::printf("%s\n", f.c_str());
  std::fprintf(stderr, "rdwh-host: %zu finding(s); %zu of %zu sample deliveries in %s fit %s\n", findings.size(),
               samples.size(), total, o.dir.c_str(), w.provider.c_str());
  return findings.empty() ? 0 : 3;
}

} // namespace rdwh::harness
