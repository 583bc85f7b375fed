// A token bucket: at most `burst` at once, refilled at `per_second`. For what an outsider can make
// the gateway do as often as they like (records of unknown tokens, warnings). Thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace rdwh::gateway {

class RateBudget {
public:
  RateBudget(double per_second, double burst) : per_ms_(per_second / 1000), burst_(burst), tokens_(burst) {}

  // Whether one more is allowed at `now_ms` (a monotonic or wall-clock time: a step back only
  // delays the refill).
  bool take(int64_t now_ms) {
    std::lock_guard lock(mu_);
    if (now_ms > last_ms_) tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
    last_ms_ = std::max(last_ms_, now_ms);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

private:
  std::mutex mu_;
  const double per_ms_, burst_;
  double tokens_;
  int64_t last_ms_ = 0;
};

} // namespace rdwh::gateway
