// Wrong console tokens, counted per client address. What it guarantees:
// - a request with the right token is never refused because of failures (the caller checks the
//   token first and asks the throttle only about a wrong one);
// - an address that sent `per_address` wrong tokens within `window_ms` has its further wrong
//   tokens refused (429, Retry-After) for `block_ms`;
// - at most `global_per_window` wrong tokens are counted per window from all addresses together;
//   beyond that every wrong token is refused until the window ends (a flood from many addresses);
// - the table holds at most `capacity` addresses, the least recently failed evicted first; with
//   capacity above 3 x global_per_window, an address failed within the last two windows is never
//   evicted, so a blocked address stays blocked however many others fail;
// - log lines: at most one per address per window, at most `log_lines_per_window` in all; the
//   rest are counted, and the count is handed out once per window as a summary.
// Time is given by the caller (milliseconds). Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rdwh::gateway {

class WrongTokenThrottle {
public:
  struct Limits {
    int per_address = 10;
    int64_t window_ms = 60 * 1000;
    int64_t block_ms = 60 * 1000;
    int global_per_window = 1000;
    size_t capacity = 4096;
    int log_lines_per_window = 20;
  };

  // What to answer to a wrong token, and what to log about it.
  struct Verdict {
    bool refused = false;         // 429: the address waits, or the global budget is spent
    int64_t retry_after_s = 0;    // when refused: seconds until a wrong token is counted again
    bool log_line = false;        // log this one (its address's first line in the window)
    bool blocked_now = false;     // this failure made the address wait
    int failures = 0;             // the address's wrong tokens in its window (0: not counted)
    uint64_t summary = 0;         // > 0: log a summary of this many wrong tokens not logged one by one
  };

  WrongTokenThrottle() : WrongTokenThrottle(Limits{}) {}
  explicit WrongTokenThrottle(Limits limits) : limits_(limits) {}

  Verdict wrong(const std::string &address, int64_t now_ms);
  // Addresses remembered now (for tests and bounds).
  size_t size() const;

private:
  struct Entry {
    int count = 0;
    int64_t window_start_ms = 0;
    int64_t blocked_until_ms = 0;
    int64_t logged_ms = INT64_MIN; // INT64_MIN: never
    std::list<std::string>::iterator order; // position in order_ (front: least recently failed)
  };
  void new_window(int64_t now);
  Entry &entry(const std::string &address, int64_t now);
  // Whether a line may be logged for `e` now; counts it as unlogged otherwise.
  bool may_log(Entry *e, int64_t now);

  const Limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;
  int64_t window_start_ms_ = INT64_MIN; // INT64_MIN: no window yet
  int counted_ = 0;       // wrong tokens counted in the global window
  int lines_ = 0;         // lines logged in the global window
  uint64_t unlogged_ = 0; // wrong tokens not logged one by one since the last summary
};

} // namespace rdwh::gateway
