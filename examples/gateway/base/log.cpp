#include "base/log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <ctime>

namespace rdwh::gateway::log {

namespace {
std::atomic<int> min_level{static_cast<int>(Level::info)};

const char *level_name(Level level) {
  switch (level) {
  case Level::debug: return "debug";
  case Level::info: return "info";
  case Level::warn: return "warn";
  case Level::error: return "error";
  }
  return "info";
}

// RFC 3339 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  return out + frac;
}
} // namespace

void set_min_level(Level level) { min_level.store(static_cast<int>(level)); }

bool parse_level(std::string_view name, Level &out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error})
    if (name == level_name(l)) {
      out = l;
      return true;
    }
  return false;
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load()) return;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  w.Key("ts");
  str(timestamp());
  w.Key("level");
  w.String(level_name(level));
  w.Key("msg");
  str(msg);
  for (const Field &f : fields) {
    str(f.key);
    switch (f.kind) {
    case Field::Kind::str: str(f.s); break;
    case Field::Kind::i64: w.Int64(f.i); break;
    case Field::Kind::u64: w.Uint64(f.u); break;
    case Field::Kind::f64: w.Double(f.d); break;
    case Field::Kind::boolean: w.Bool(f.b); break;
    }
  }
  w.EndObject();
  buf.Put('\n');
  // One write() per line: atomic for pipes up to PIPE_BUF and, in practice, for files opened
  // O_APPEND; no lock, so a blocked stderr cannot stall a request thread holding one.
  const char *p = buf.GetString();
  size_t left = buf.GetSize();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

} // namespace rdwh::gateway::log
