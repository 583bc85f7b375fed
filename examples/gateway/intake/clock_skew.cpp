#include "intake/clock_skew.hpp"

#include <algorithm>

namespace rdwh::gateway {

bool SkewWatch::note(int64_t age_ms, bool skipped, int64_t max_event_age_ms) {
  std::lock_guard lock(mu_);
  const bool before = !reason_locked().empty();
  recent_.push_back({age_ms, skipped});
  if (recent_.size() > kWindow) recent_.pop_front();
  max_event_age_ms_ = max_event_age_ms;
  return !before && !reason_locked().empty();
}

std::string SkewWatch::degraded_reason() const {
  std::lock_guard lock(mu_);
  return reason_locked();
}

std::string SkewWatch::reason_locked() const {
  if (recent_.empty() || max_event_age_ms_ <= 0) return "";
  int64_t lead = INT64_MAX;
  for (const Seen &s : recent_) lead = std::min(lead, s.age_ms);
  if (lead <= kToleranceMs) return "";
  // Skipped only because of the lead: without it the event would have been young enough.
  const bool wrongly_skipped = std::any_of(recent_.begin(), recent_.end(), [&](const Seen &s) {
    return s.skipped && s.age_ms - lead <= max_event_age_ms_;
  });
  if (!wrongly_skipped) return "";
  return "this gateway's clock looks " + std::to_string(lead / 60000) +
         " minutes ahead of PagerDuty's (the freshest of the last " + std::to_string(recent_.size()) +
         " events arrived that long after its occurred_at, more than the " + std::to_string(kToleranceMs / 60000) +
         "-minute tolerance): events are skipped as older than maxEventAge and their jobs do not run; set the clock "
         "right (NTP), then requeue the skipped jobs (--requeue --status skipped)";
}

} // namespace rdwh::gateway
