#include "base/clock.hpp"

#include <atomic>
#include <cctype>
#include <ctime>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

namespace rdwh::gateway {

namespace {

int64_t parse_offset(const std::string &text) {
  char *end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  return end == text.c_str() ? 0 : static_cast<int64_t>(v);
}

// The test hook (see clock.hpp): a fixed offset, and a file read again at most every 50 ms.
struct TestOffset {
  int64_t fixed = 0;
  std::string file;
  std::atomic<int64_t> from_file{0}, read_at{INT64_MIN / 2}; // never read yet

  TestOffset() {
    if (const char *v = std::getenv("RDWH_TEST_CLOCK_OFFSET_MS")) fixed = parse_offset(v);
    if (const char *f = std::getenv("RDWH_TEST_CLOCK_OFFSET_FILE")) file = f;
  }

  int64_t get() {
    if (file.empty()) return fixed;
    const int64_t now = mono_ms();
    if (now - read_at.load(std::memory_order_relaxed) >= 50) {
      read_at.store(now, std::memory_order_relaxed);
      std::ifstream in(file);
      std::string text;
      if (in && std::getline(in, text)) from_file.store(parse_offset(text), std::memory_order_relaxed);
    }
    return fixed + from_file.load(std::memory_order_relaxed);
  }
};

TestOffset &test_offset() {
  static TestOffset offset;
  return offset;
}

} // namespace

int64_t now_ms() {
  const int64_t wall =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return wall + test_offset().get();
}

int64_t mono_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<std::pair<int64_t, int64_t>> parse_utc(std::string_view s) {
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  const char *shape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < s.size(); ++i)
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != shape[i]) return std::nullopt;
  const auto num = [&](size_t at, size_t n) { return std::stoi(std::string(s.substr(at, n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900, tm.tm_mon = num(5, 2) - 1, tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2), tm.tm_min = num(14, 2), tm.tm_sec = s.size() == 19 ? num(17, 2) : 0;
  const std::tm asked = tm;
  const std::time_t t = timegm(&tm);
  // timegm folds 31 February into March: such a date is refused
  if (tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon || tm.tm_hour != asked.tm_hour ||
      tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec)
    return std::nullopt;
  return std::make_pair(static_cast<int64_t>(t) * 1000, s.size() == 19 ? int64_t{1000} : int64_t{60000});
}

} // namespace rdwh::gateway
