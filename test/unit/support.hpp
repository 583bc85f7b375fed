// Shared helpers for the unit tests: a fake host and small builders.
#pragma once

#include "core/services.hpp"
#include "providers/providers.hpp"
#include "json/rapidjson.hpp"
#include "rules/context.hpp"
#include "rules/engine.hpp"

#include <map>
#include <mutex>
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
  std::optional<SecretBytes> secret(std::string_view path) const override {
    auto it = keys.find(path);
    if (it == keys.end()) return std::nullopt;
    return SecretBytes(it->second);
  }
  int64_t now_unix_ms() const override { return now; }
  std::string all_lines() const {
    std::string out;
    for (const auto &l : lines) out += l.second + "\n";
    return out;
  }
};

// A fired job with its strings copied out of the evaluation, for comparisons in tests.
struct JobText {
  std::string rule;
  uint32_t event_index = 0;
  std::string event_id, job_id, filter, as_user;
  std::vector<std::pair<std::string, std::string>> options;
};

inline std::vector<JobText> jobs_of(const rules::Evaluation &e) {
  std::vector<JobText> out;
  for (const rules::Job &job : e.jobs) {
    JobText t{job.rule->name, job.event_index, std::string(e.str(job.event_id)), std::string(e.str(job.job_id)),
              std::string(e.str(job.filter)), std::string(e.str(job.as_user)), {}};
    for (std::size_t i = 0; i < job.rule->options.size(); ++i)
      t.options.emplace_back(job.rule->options[i].name, e.option_value(job, i));
    out.push_back(std::move(t));
  }
  return out;
}

// A provider by name (the test fails when there is none).
inline const providers::ProviderSpec &spec(const char *name) {
  const auto *p = providers::find(name);
  if (!p) throw std::runtime_error(std::string("no provider ") + name);
  return *p;
}

// A delivery with a frozen clock.
inline rules::Delivery delivery(std::string_view body,
                                std::vector<std::pair<std::string_view, std::string_view>> headers = {}) {
  rules::Delivery d;
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
