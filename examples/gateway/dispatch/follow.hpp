// Following a started execution to its end: the decisions, pure (no clock, no I/O; the follower
// in dispatch/follower.hpp polls and records). Unit-tested.
//
// An execution is polled first kFirstPollMs after its start, then each wait doubles up to
// kMaxPollMs, until Rundeck says it is final or rundeck.followUpMaxHours have passed since it
// started (then it is "gave-up"). A poll that could not ask Rundeck (no answer, 5xx, a refused
// token) changes nothing but the next poll's time; 404 ends it as "other", with the reason.
#pragma once

#include "rundeck/client.hpp"
#include "store/outbox.hpp"

#include <cstdint>
#include <string_view>

namespace rdwh::gateway::follow {

inline constexpr int64_t kFirstPollMs = 3000;
inline constexpr int64_t kMaxPollMs = 5 * 60 * 1000;
inline constexpr const char *kGaveUp = "gave-up";

// The wait before poll number `polls` + 1 (polls: those made so far; 0: the wait after the start).
int64_t poll_delay_ms(int64_t polls);

// Rundeck's final statuses: succeeded, failed, aborted, timedout, failed-with-retry, other.
bool final_status(std::string_view status);

// When following `job` ends without a final status: its start plus max_hours.
int64_t give_up_at(const OutboxJob &job, int64_t max_hours);

// `job` is past give_up_at (or following is off: max_hours 0): no longer followed.
FollowUpdate gave_up(const OutboxJob &job, int64_t max_hours);
// Rundeck listed `job` among its project's running executions (or could not be asked, `reason`
// says why): polled again later.
FollowUpdate not_final(const OutboxJob &job, int64_t now_ms, int64_t max_hours, std::string reason = "");
// What GET execution/{id} answered.
FollowUpdate after_lookup(const OutboxJob &job, const ExecutionLookup &lookup, int64_t now_ms, int64_t max_hours);

} // namespace rdwh::gateway::follow
