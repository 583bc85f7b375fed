#include "base/clock.hpp"

#include <atomic>
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

} // namespace rdwh::gateway
