// Structured logs: one JSON object per line on stderr ({"ts","level","msg",...fields}).
// Callers pass only what is safe to show: never tokens, the Authorization header, signatures or
// bodies. Lines are written with one write() so concurrent threads never interleave them.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace rdwh::gateway::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// One key/value of a log line. Holds views: valid for the duration of the log call only.
struct Field {
  enum class Kind { str, i64, u64, f64, boolean };
  std::string_view key;
  Kind kind;
  std::string_view s{};
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;

  Field(std::string_view k, std::string_view v) : key(k), kind(Kind::str), s(v) {}
  Field(std::string_view k, const char *v) : key(k), kind(Kind::str), s(v ? v : "") {}
  Field(std::string_view k, const std::string &v) : key(k), kind(Kind::str), s(v) {}
  Field(std::string_view k, bool v) : key(k), kind(Kind::boolean), b(v) {}
  Field(std::string_view k, double v) : key(k), kind(Kind::f64), d(v) {}
  template <std::signed_integral T> Field(std::string_view k, T v) : key(k), kind(Kind::i64), i(v) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  Field(std::string_view k, T v) : key(k), kind(Kind::u64), u(v) {}
};

// Lines below `level` are dropped. Default: info.
void set_min_level(Level level);
// Parses "debug", "info", "warn", "error"; false when unknown.
bool parse_level(std::string_view name, Level &out);

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::debug, msg, f); }
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::info, msg, f); }
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::warn, msg, f); }
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::error, msg, f); }

} // namespace rdwh::gateway::log
