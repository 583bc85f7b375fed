// Shared helpers for the unit tests: a fake host, the pipeline run on a parsed payload, builders.
#pragma once

#include "base/services.hpp"
#include "json/rapidjson.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/explain.hpp"
#include "pipeline/render.hpp"
#include "pipeline/split.hpp"
#include "providers/providers.hpp"
#include "rules/config.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace rdwh::test {

// In-memory key storage, a frozen clock and a log that records every line.
class FakeServices final : public Services {
public:
  std::map<std::string, std::string, std::less<>> keys;
  int64_t now = 1700000000000; // 2023-11-14T22:13:20Z
  mutable std::mutex mutex;
  mutable std::vector<std::pair<LogLevel, std::string>> lines;

  void log(LogLevel level, std::string_view message) const override {
    std::lock_guard lock(mutex);
    lines.emplace_back(level, std::string(message));
  }
  std::optional<Secret> secret(std::string_view path) const override {
    auto it = keys.find(path);
    if (it == keys.end()) return std::nullopt;
    return Secret(it->second);
  }
  int64_t now_unix_ms() const override { return now; }
  std::string all_lines() const {
    std::string out;
    for (const auto &l : lines) out += l.second + "\n";
    return out;
  }
};

// A fired job with its strings copied out, for comparisons in tests.
struct JobText {
  std::string rule;
  uint32_t event_index = 0;
  std::string event_id, job_id, filter, as_user;
  std::vector<std::pair<std::string, std::string>> options;
};

inline std::vector<JobText> jobs_of(const pipeline::Rendered &rendered) {
  std::vector<JobText> out;
  for (std::size_t i = 0; i < rendered.jobs.size(); ++i) {
    const pipeline::JobView job = rendered.job(i);
    JobText t{std::string(job.rule()), job.event_index(), std::string(job.event_id()), std::string(job.job_id()),
              std::string(job.filter()), std::string(job.as_user()), {}};
    for (std::size_t k = 0; k < job.option_count(); ++k)
      t.options.emplace_back(job.option(k).name, job.option(k).value);
    out.push_back(std::move(t));
  }
  return out;
}

// What split, evaluate, render and explain make of a parsed payload, as Handler::handle runs them.
struct Run {
  pipeline::Rendered rendered;
  std::string error;            // the rejection's message, else the split's note
  bool limit_exceeded = false;  // rejected for a limit
  std::string explanation;      // when explained
  std::vector<std::string> debug;

  std::size_t job_count() const { return rendered.jobs.size(); }
  std::vector<JobText> jobs() const { return jobs_of(rendered); }
};

inline Run run(const rules::Config &config, const json::Value &payload, const pipeline::Delivery &delivery = {},
               const pipeline::EventPaths &paths = {}, bool explain = false) {
  Run out;
  auto refused = [&](Rejection &r) {
    out.error = r.message;
    out.limit_exceeded = r.verdict == Verdict::limit_exceeded;
    out.rendered.jobs.clear();
    return std::move(out);
  };
  Checked<pipeline::Split> split = pipeline::split(config, paths, payload, delivery, out.rendered.strings);
  if (!split) return refused(split.rejection());
  out.error = split->note;
  pipeline::Selections selections(config.paths);
  Checked<pipeline::Evaluation> evaluation = pipeline::evaluate(config, *split, delivery, selections, explain);
  if (!evaluation) return refused(evaluation.rejection());
  out.debug = pipeline::debug_lines(*split, *evaluation, out.rendered.strings);
  if (Checked<void> rendered = pipeline::render(config, *split, *evaluation, delivery, selections, out.rendered); !rendered)
    return refused(rendered.rejection());
  if (explain) out.explanation = pipeline::explanation_json(*split, *evaluation, out.rendered.strings);
  return out;
}

// A provider by name (the test fails when there is none).
inline const providers::ProviderSpec &spec(const char *name) {
  const auto *p = providers::find(name);
  if (!p) throw std::runtime_error(std::string("no provider ") + name);
  return *p;
}

// A delivery with a frozen clock.
inline pipeline::Delivery delivery(std::string_view body,
                                   std::vector<std::pair<std::string_view, std::string_view>> headers = {}) {
  pipeline::Delivery d;
  d.body = body;
  d.headers = std::move(headers);
  d.now_unix_ms = 1700000000000;
  return d;
}

inline rapidjson::Document parse_json(const std::string &text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) throw std::runtime_error("test JSON does not parse: " + text);
  return doc;
}

} // namespace rdwh::test
