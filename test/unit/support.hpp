// Shared helpers for the unit tests: a fake host and small builders.
#pragma once

#include "core/services.hpp"
#include "json/rapidjson.hpp"
#include "rules/context.hpp"

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

inline rapidjson::Document parse_json(const std::string &text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) throw std::runtime_error("test JSON does not parse: " + text);
  return doc;
}

} // namespace rdwh::test
