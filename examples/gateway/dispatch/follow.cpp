#include "dispatch/follow.hpp"

#include <algorithm>

namespace rdwh::gateway::follow {

int64_t poll_delay_ms(int64_t polls) {
  int64_t d = kFirstPollMs;
  for (int64_t i = 0; i < polls && d < kMaxPollMs; ++i) d *= 2;
  return std::min(d, kMaxPollMs);
}

bool final_status(std::string_view s) {
  return s == "succeeded" || s == "failed" || s == "aborted" || s == "timedout" || s == "failed-with-retry" ||
         s == "other";
}

int64_t give_up_at(const OutboxJob &job, int64_t max_hours) { return job.follow_since_ms + max_hours * 3600 * 1000; }

namespace {

FollowUpdate update_of(const OutboxJob &job) {
  FollowUpdate u;
  u.id = job.id;
  u.owner = job.follow_owner;
  u.execution_id = job.execution_id;
  return u;
}

} // namespace

FollowUpdate gave_up(const OutboxJob &job, int64_t max_hours) {
  FollowUpdate u = update_of(job);
  u.execution_status = kGaveUp;
  u.reason = max_hours == 0 ? "not followed: rundeck.followUpMaxHours is 0"
                            : "still not finished " + std::to_string(max_hours) +
                                  " h after it started (rundeck.followUpMaxHours): no longer followed";
  return u;
}

FollowUpdate not_final(const OutboxJob &job, int64_t now_ms, int64_t max_hours, std::string reason) {
  FollowUpdate u = update_of(job);
  u.execution_status = "running";
  // The last poll comes at the bound, so an execution is never given up on before it.
  u.next_poll_ms = std::min(now_ms + poll_delay_ms(job.follow_polls + 1), give_up_at(job, max_hours));
  u.reason = std::move(reason);
  return u;
}

FollowUpdate after_lookup(const OutboxJob &job, const ExecutionLookup &l, int64_t now_ms, int64_t max_hours) {
  using Kind = ExecutionLookup::Kind;
  if (l.kind == Kind::not_found) {
    FollowUpdate u = update_of(job);
    u.execution_status = "other";
    u.reason = "not found: Rundeck has no execution " + job.execution_id + " (" + l.reason + ")";
    return u;
  }
  if (l.kind != Kind::found) return not_final(job, now_ms, max_hours, "cannot ask Rundeck: " + l.reason);
  const Execution &e = l.execution;
  // Not final yet: running, scheduled, queued (a Rundeck with a queue).
  if (e.status == "running" || e.status == "scheduled" || e.status == "queued") {
    FollowUpdate u = not_final(job, now_ms, max_hours);
    u.permalink = e.permalink;
    return u;
  }
  FollowUpdate u = update_of(job);
  u.permalink = e.permalink;
  u.ended_ms = e.ended_ms;
  u.duration_ms = e.ended_ms && e.started_ms && e.ended_ms >= e.started_ms ? e.ended_ms - e.started_ms : 0;
  if (final_status(e.status)) {
    u.execution_status = e.status;
  } else { // a custom status (Rundeck's "other" with a name of the job's choosing)
    u.execution_status = "other";
    u.reason = "Rundeck's status: " + e.status;
  }
  return u;
}

} // namespace rdwh::gateway::follow
