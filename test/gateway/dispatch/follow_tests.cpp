// Following an execution to its end (dispatch/follow.hpp): the poll schedule and what each answer
// becomes. No database, no network, no clock.
#include <catch2/catch.hpp>

#include "dispatch/follow.hpp"

using namespace rdwh::gateway;

namespace {

constexpr int64_t kStart = 1'000'000;

OutboxJob followed(int64_t polls = 0) {
  OutboxJob j;
  j.id = 4;
  j.execution_id = "1003";
  j.execution_status = "running";
  j.follow_since_ms = kStart;
  j.follow_polls = polls;
  j.follow_owner = "gw-1";
  return j;
}

ExecutionLookup found(const std::string &status, int64_t started = kStart, int64_t ended = 0) {
  ExecutionLookup l;
  l.kind = ExecutionLookup::Kind::found;
  l.http_status = 200;
  l.execution.id = "1003";
  l.execution.status = status;
  l.execution.permalink = "https://rundeck/project/ops/execution/show/1003";
  l.execution.started_ms = started;
  l.execution.ended_ms = ended;
  return l;
}

} // namespace

TEST_CASE("follow: the first poll after a few seconds, then each wait doubles up to 5 minutes") {
  CHECK(follow::poll_delay_ms(0) == 3000);
  CHECK(follow::poll_delay_ms(1) == 6000);
  CHECK(follow::poll_delay_ms(2) == 12000);
  CHECK(follow::poll_delay_ms(6) == 192000);
  CHECK(follow::poll_delay_ms(7) == 300000); // capped
  CHECK(follow::poll_delay_ms(1000) == 300000);
  int64_t prev = 0;
  for (int64_t n = 0; n < 40; ++n) {
    CHECK(follow::poll_delay_ms(n) >= prev);
    prev = follow::poll_delay_ms(n);
  }
}

TEST_CASE("follow: still running: polled again after the next wait, never after the bound") {
  const int64_t now = kStart + 10'000;
  FollowUpdate u = follow::not_final(followed(2), now, 24);
  CHECK(u.execution_status == "running");
  CHECK(u.owner == "gw-1");
  CHECK(u.execution_id == "1003"); // recorded only while the job still holds this execution
  CHECK(u.next_poll_ms == now + follow::poll_delay_ms(3));
  // One minute before the bound: the last poll comes at the bound itself.
  const int64_t late = kStart + 3600 * 1000 - 60'000;
  u = follow::not_final(followed(20), late, 1);
  CHECK(u.next_poll_ms == kStart + 3600 * 1000);
  CHECK(follow::give_up_at(followed(), 1) == kStart + 3600 * 1000);
}

TEST_CASE("follow: a final status is recorded with date-ended, duration and permalink") {
  for (const char *status : {"succeeded", "failed", "aborted", "timedout", "failed-with-retry", "other"}) {
    const FollowUpdate u = follow::after_lookup(followed(), found(status, kStart, kStart + 4200), kStart + 9000, 24);
    CHECK(u.execution_status == status);
    CHECK(u.ended_ms == kStart + 4200);
    CHECK(u.duration_ms == 4200);
    CHECK(u.permalink == "https://rundeck/project/ops/execution/show/1003");
    CHECK(u.reason.empty());
  }
  // A custom status is Rundeck's "other", named in the reason.
  const FollowUpdate custom = follow::after_lookup(followed(), found("needs-review", kStart, kStart + 1), kStart, 24);
  CHECK(custom.execution_status == "other");
  CHECK(custom.reason == "Rundeck's status: needs-review");
  // Not final yet: running, scheduled, queued.
  for (const char *status : {"running", "scheduled", "queued"})
    CHECK(follow::after_lookup(followed(), found(status), kStart, 24).execution_status == "running");
}

TEST_CASE("follow: 404 ends it as other (not found), while no answer, 5xx or a refused token poll again") {
  ExecutionLookup l;
  l.kind = ExecutionLookup::Kind::not_found;
  l.http_status = 404;
  l.reason = "Execution ID does not exist: 1003";
  FollowUpdate u = follow::after_lookup(followed(), l, kStart, 24);
  CHECK(u.execution_status == "other");
  CHECK(u.reason == "not found: Rundeck has no execution 1003 (Execution ID does not exist: 1003)");
  for (const auto kind : {ExecutionLookup::Kind::retry, ExecutionLookup::Kind::auth}) {
    l.kind = kind;
    l.reason = "HTTP 503";
    u = follow::after_lookup(followed(1), l, kStart + 5000, 24);
    CHECK(u.execution_status == "running");
    CHECK(u.next_poll_ms == kStart + 5000 + follow::poll_delay_ms(2));
    CHECK(u.reason == "cannot ask Rundeck: HTTP 503");
  }
}

TEST_CASE("follow: past rundeck.followUpMaxHours, or with following off, it is given up on") {
  FollowUpdate u = follow::gave_up(followed(), 24);
  CHECK(u.execution_status == "gave-up");
  CHECK(u.reason == "still not finished 24 h after it started (rundeck.followUpMaxHours): no longer followed");
  u = follow::gave_up(followed(), 0);
  CHECK(u.reason == "not followed: rundeck.followUpMaxHours is 0");
}
