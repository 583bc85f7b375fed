#include "console/throttle.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace rdwh::gateway {

namespace {

constexpr int64_t kNever = INT64_MIN;

int64_t seconds_until(int64_t until_ms, int64_t now_ms) {
  return std::max<int64_t>(1, (until_ms - now_ms + 999) / 1000);
}

} // namespace

void WrongTokenThrottle::new_window(int64_t now) {
  if (window_start_ms_ != kNever && now - window_start_ms_ < limits_.window_ms) return;
  window_start_ms_ = now;
  counted_ = 0;
  lines_ = 0;
}

WrongTokenThrottle::Entry &WrongTokenThrottle::entry(const std::string &address, int64_t now) {
  auto it = entries_.find(address);
  if (it != entries_.end()) {
    order_.splice(order_.end(), order_, it->second.order); // now the most recently failed
    return it->second;
  }
  while (!entries_.empty() && entries_.size() >= limits_.capacity) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(address);
  Entry &e = entries_[address];
  e.window_start_ms = now;
  e.order = std::prev(order_.end());
  return e;
}

bool WrongTokenThrottle::may_log(Entry *e, int64_t now) {
  const bool address_quiet = e && (e->logged_ms == kNever || now - e->logged_ms >= limits_.window_ms);
  if (address_quiet && lines_ < limits_.log_lines_per_window) {
    e->logged_ms = now;
    ++lines_;
    return true;
  }
  ++unlogged_;
  return false;
}

WrongTokenThrottle::Verdict WrongTokenThrottle::wrong(const std::string &address, int64_t now) {
  std::lock_guard lock(mu_);
  const bool window_ended = window_start_ms_ != kNever && now - window_start_ms_ >= limits_.window_ms;
  Verdict v;
  if (window_ended && unlogged_ > 0) v.summary = std::exchange(unlogged_, 0);
  new_window(now);
  auto found = entries_.find(address);
  Entry *e = found == entries_.end() ? nullptr : &found->second;
  if (e && e->blocked_until_ms > now) { // the address waits: refused, not counted again
    v.refused = true;
    v.retry_after_s = seconds_until(e->blocked_until_ms, now);
    v.failures = e->count;
  } else if (counted_ >= limits_.global_per_window) { // a flood: every wrong token waits
    v.refused = true;
    v.retry_after_s = seconds_until(window_start_ms_ + limits_.window_ms, now);
  } else {
    ++counted_;
    e = &entry(address, now);
    if (now - e->window_start_ms >= limits_.window_ms) *e = Entry{0, now, 0, e->logged_ms, e->order};
    v.failures = ++e->count;
    if (e->count >= limits_.per_address) {
      e->blocked_until_ms = now + limits_.block_ms;
      v.blocked_now = true;
    }
  }
  v.log_line = may_log(e, now);
  return v;
}

size_t WrongTokenThrottle::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

} // namespace rdwh::gateway
