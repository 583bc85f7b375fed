// `rdwh-host test`: every delivery of a directory against every rule of a webhook config, as a
// matrix with the reasons; with an expectations file, a golden test (see commands.hpp).
#include "commands.hpp"

#include "cli.hpp"
#include "samples.hpp"
#include "sign.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rdwh::harness {
namespace {

struct Options : SampleOptions {
  std::string expect_file;
  bool update = false, json = false;
};

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (take_sample_option(argc, argv, i, o)) continue;
    if (arg == "--expect") o.expect_file = take_value(argc, argv, i);
    else if (arg == "--update") o.update = true;
    else if (arg == "--json") o.json = true;
    else throw UsageError("test: unknown option " + arg);
  }
  if (o.config_file.empty() || o.dir.empty()) throw UsageError("test needs --config FILE and --dir DIR");
  if (o.update && o.expect_file.empty()) throw UsageError("--update needs --expect FILE (the file it writes)");
  return o;
}

struct DeliveryRun {
  std::string name;
  int status = 0;
  std::string body; // the answer's body
  std::vector<RuleOutcome> rules;
};

// The X-PagerDuty-Signature PagerDuty would send, when the config names a key-storage path the
// --key values fill (each line of it a secret): signed configs test like unsigned ones.
std::string signature_for(const std::string &config, const host::MemoryKeyStorage &keys, const std::string &body) {
  rapidjson::Document doc;
  if (doc.Parse(config.c_str()).HasParseError() || !doc.IsObject() || !doc.HasMember("keyStoragePath") ||
      !doc["keyStoragePath"].IsString())
    return {};
  const std::optional<std::string> stored = keys.get(doc["keyStoragePath"].GetString());
  if (!stored) return {};
  std::string header;
  std::istringstream lines(*stored);
  for (std::string secret; std::getline(lines, secret);)
    if (!secret.empty()) header += (header.empty() ? "" : ",") + pagerduty_signature(secret, body);
  return header;
}

std::vector<DeliveryRun> run_all(const host::Handler &handler, const Webhook &w, const Options &o) {
  std::vector<DeliveryRun> runs;
  for (const Sample &sample : read_samples(o.dir)) {
    host::Handler::Request request;
    request.body = sample.body;
    request.delivery_id = sample.name;
    request.explain = true;
    if (const std::string sig = signature_for(w.config, o.keys, sample.body); !sig.empty())
      request.headers.emplace_back("X-PagerDuty-Signature", sig);
    const host::Result result = handler.handle(request);
    runs.push_back({sample.name, result->http_status, std::string(host::view(result->body)), rule_outcomes(*result)});
  }
  return runs;
}

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// One delivery's expectations: its status, the rules that fire, and their jobs.
void write_expectation(Writer &w, const DeliveryRun &run) {
  w.StartObject();
  w.Key("status"), w.Int(run.status);
  w.Key("fired");
  w.StartArray();
  for (const RuleOutcome &r : run.rules)
    if (r.kind == RuleOutcome::Kind::fired) w.String(r.rule);
  w.EndArray();
  w.Key("jobs");
  w.StartObject();
  for (const RuleOutcome &r : run.rules) {
    if (r.kind != RuleOutcome::Kind::fired) continue;
    w.Key(r.rule), w.StartObject();
    w.Key("jobId"), w.String(r.job_id);
    w.Key("options"), w.StartObject();
    for (const auto &[name, value] : r.options) w.Key(name), w.String(value);
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

std::string expectations_json(const std::string &provider, const std::vector<DeliveryRun> &runs) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("provider"), w.String(provider);
  w.Key("deliveries");
  w.StartObject();
  for (const DeliveryRun &run : runs) {
    w.Key(run.name);
    write_expectation(w, run);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

const RuleOutcome *find_rule(const DeliveryRun &run, const std::string &name) {
  for (const RuleOutcome &r : run.rules)
    if (r.rule == name) return &r;
  return nullptr;
}

// What differs between one delivery's run and its expectations, one line each.
void compare_fired(const rapidjson::Value &want, const DeliveryRun &run, std::vector<std::string> &out) {
  std::vector<std::string> expected, actual;
  for (const auto &f : want.GetArray()) expected.emplace_back(f.IsString() ? f.GetString() : "");
  for (const RuleOutcome &r : run.rules)
    if (r.kind == RuleOutcome::Kind::fired) actual.push_back(r.rule);
  for (const std::string &rule : expected)
    if (std::find(actual.begin(), actual.end(), rule) == actual.end()) {
      const RuleOutcome *r = find_rule(run, rule);
      out.push_back(run.name + ": '" + rule + "' should fire but " +
                    (r ? std::string(kind_name(r->kind)) + (r->reason.empty() ? "" : ": " + r->reason) : "there is no such rule"));
    }
  for (const std::string &rule : actual)
    if (std::find(expected.begin(), expected.end(), rule) == expected.end())
      out.push_back(run.name + ": '" + rule + "' fired, which it should not");
}

void compare_jobs(const rapidjson::Value &want, const DeliveryRun &run, std::vector<std::string> &out) {
  for (const auto &job : want.GetObject()) {
    const RuleOutcome *r = find_rule(run, job.name.GetString());
    if (!r || r->kind != RuleOutcome::Kind::fired) continue; // compare_fired says so
    const std::string where = run.name + ": '" + job.name.GetString() + "'";
    if (job.value.HasMember("jobId") && job.value["jobId"].IsString() && r->job_id != job.value["jobId"].GetString())
      out.push_back(where + " runs job '" + r->job_id + "', expected '" + job.value["jobId"].GetString() + "'");
    if (!job.value.HasMember("options") || !job.value["options"].IsObject()) continue;
    std::vector<std::pair<std::string, std::string>> expected;
    for (const auto &o : job.value["options"].GetObject())
      expected.emplace_back(o.name.GetString(), o.value.IsString() ? o.value.GetString() : "");
    auto actual = r->options;
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    for (const auto &want_option : expected) {
      const std::string &name = want_option.first;
      auto it = std::find_if(actual.begin(), actual.end(), [&](const auto &a) { return a.first == name; });
      if (it == actual.end()) out.push_back(where + " has no option '" + name + "'");
      else if (it->second != want_option.second)
        out.push_back(where + " option '" + name + "' is '" + it->second + "', expected '" + want_option.second + "'");
    }
    for (const auto &got : actual)
      if (std::none_of(expected.begin(), expected.end(), [&](const auto &e) { return e.first == got.first; }))
        out.push_back(where + " has an unexpected option '" + got.first + "' ('" + got.second + "')");
  }
}

std::vector<std::string> compare(const rapidjson::Document &expect, const std::vector<DeliveryRun> &runs) {
  std::vector<std::string> out;
  const auto deliveries = expect.FindMember("deliveries");
  if (!expect.IsObject() || deliveries == expect.MemberEnd() || !deliveries->value.IsObject())
    throw UsageError("the expectations file needs a \"deliveries\" map");
  for (const DeliveryRun &run : runs) {
    const auto want = deliveries->value.FindMember(run.name.c_str());
    if (want == deliveries->value.MemberEnd() || !want->value.IsObject()) {
      out.push_back(run.name + ": no expectation (--update writes them)");
      continue;
    }
    const rapidjson::Value &e = want->value;
    if (e.HasMember("status") && e["status"].IsInt() && e["status"].GetInt() != run.status)
      out.push_back(run.name + ": answered " + std::to_string(run.status) + " " + run.body + ", expected " +
                    std::to_string(e["status"].GetInt()));
    if (e.HasMember("fired") && e["fired"].IsArray()) compare_fired(e["fired"], run, out);
    if (e.HasMember("jobs") && e["jobs"].IsObject()) compare_jobs(e["jobs"], run, out);
  }
  for (const auto &m : deliveries->value.GetObject())
    if (std::none_of(runs.begin(), runs.end(), [&](const DeliveryRun &r) { return r.name == m.name.GetString(); }))
      out.push_back(std::string(m.name.GetString()) + ": expected, but not in the directory");
  return out;
}

// One row of the matrix: cells padded to their column, no trailing space.
void print_row(const std::vector<std::pair<std::string, std::size_t>> &cells) {
  std::string line;
  for (const auto &[text, width] : cells) {
    if (!line.empty()) line += "  ";
    line += text + std::string(width > text.size() ? width - text.size() : 0, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::printf("%s\n", line.c_str());
}

// The matrix: a row per delivery, a column per rule; then the reasons.
void print_matrix(const std::vector<DeliveryRun> &runs) {
  std::vector<std::string> rules;
  for (const DeliveryRun &run : runs)
    for (const RuleOutcome &r : run.rules)
      if (std::find(rules.begin(), rules.end(), r.rule) == rules.end()) rules.push_back(r.rule);
  std::size_t width = 8;
  for (const DeliveryRun &run : runs) width = std::max(width, run.name.size());
  std::vector<std::pair<std::string, std::size_t>> header{{"delivery", width}, {"status", 6}};
  for (std::size_t k = 0; k < rules.size(); ++k) header.emplace_back("[" + std::to_string(k + 1) + "]", 9);
  print_row(header);
  for (const DeliveryRun &run : runs) {
    std::vector<std::pair<std::string, std::size_t>> row{{run.name, width}, {std::to_string(run.status), 6}};
    for (const std::string &rule : rules) {
      const RuleOutcome *r = find_rule(run, rule);
      row.emplace_back(r ? kind_name(r->kind) : "-", 9);
    }
    print_row(row);
  }
  for (std::size_t k = 0; k < rules.size(); ++k) std::printf("[%zu] %s\n", k + 1, rules[k].c_str());
  for (const DeliveryRun &run : runs) {
    if (run.rules.empty() && run.status != 200) std::printf("%s: answered %d %s\n", run.name.c_str(), run.status, run.body.c_str());
    for (const RuleOutcome &r : run.rules)
      if (!r.reason.empty()) std::printf("%s: '%s' %s: %s\n", run.name.c_str(), r.rule.c_str(), kind_name(r.kind), r.reason.c_str());
  }
}

} // namespace

int run_test(const std::vector<std::string> &dirs, int argc, char **argv) {
  Options o = parse(argc, argv);
  const Webhook w = read_webhook(o.config_file, o.provider);
  const host::PluginSet plugins = load_plugins(dirs);
  const host::Plugin *plugin = plugins.find(w.provider);
  if (!plugin) throw host::HostError("no plugin offers provider '" + w.provider + "'");
  host::Services services;
  services.log = [](int, std::string_view message) { std::cerr << "rdwh-host: plugin: " << message << "\n"; };
  services.get_secret = [&o](std::string_view path) { return o.keys.get(path); };
  const host::Handler handler(*plugin, w.provider, w.config, services);
  const std::vector<DeliveryRun> runs = run_all(handler, w, o);
  if (o.json) std::cout << expectations_json(w.provider, runs);
  else print_matrix(runs);
  if (o.update) {
    std::ofstream(o.expect_file, std::ios::binary) << expectations_json(w.provider, runs);
    std::fprintf(stderr, "rdwh-host: wrote %s (%zu deliveries)\n", o.expect_file.c_str(), runs.size());
    return 0;
  }
  if (o.expect_file.empty()) return 0;
  rapidjson::Document expect;
  const std::string text = read_file(o.expect_file);
  if (expect.Parse(text.c_str()).HasParseError()) throw UsageError(o.expect_file + " is not JSON");
  const std::vector<std::string> problems = compare(expect, runs);
  for (const std::string &p : problems) std::fprintf(stderr, "FAIL %s\n", p.c_str());
  std::fprintf(stderr, "rdwh-host: %zu deliveries, %s\n", runs.size(),
               problems.empty() ? "every expectation holds" : (std::to_string(problems.size()) + " problem(s)").c_str());
  return problems.empty() ? 0 : 3;
}

} // namespace rdwh::harness
