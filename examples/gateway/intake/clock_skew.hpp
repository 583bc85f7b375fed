// Whether this gateway's clock looks ahead of PagerDuty's, from the deliveries themselves: an
// event PagerDuty sends is delivered seconds after its occurred_at, so the freshest of the recent
// events tells how far ahead our clock is (its apparent age). When events are skipped as older
// than maxEventAge only because of that lead (their age less the lead is within maxEventAge),
// /healthz says so: degraded, with the reason, rather than skipping them silently.
//
// A lone stale event (a replay of a capture older than maxEventAge, with no fresh delivery in the
// window) looks the same and reports the same; a fresh delivery clears it. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace rdwh::gateway {

class SkewWatch {
public:
  // The lead our clock may have on PagerDuty's (with PagerDuty's delivery delay) before it counts.
  static constexpr int64_t kToleranceMs = 5 * 60 * 1000;
  // How many recent events are looked at.
  static constexpr size_t kWindow = 16;

  // An event arrived `age_ms` after its occurred_at by our clock, and was skipped (too old) or
  // not, under max_event_age_ms. Returns true when this makes the watch degraded (it was not).
  bool note(int64_t age_ms, bool skipped, int64_t max_event_age_ms);
  // Why intake is degraded ("" when it is not).
  std::string degraded_reason() const;

private:
  struct Seen {
    int64_t age_ms;
    bool skipped;
  };
  std::string reason_locked() const;

  mutable std::mutex mu_;
  std::deque<Seen> recent_;
  int64_t max_event_age_ms_ = 0;
};

} // namespace rdwh::gateway
