// Writing back to PagerDuty (dispatch/note.hpp, store/outbox.hpp's resolve_verdict): what each
// answer makes of a note row, and when an event's incident is resolved. No database, no network,
// no clock.
#include <catch2/catch.hpp>

#include "dispatch/note.hpp"

using namespace rdwh::gateway;

namespace {

constexpr int64_t kNow = 1'000'000;

NoteRow sending(int64_t attempts = 1, bool uncertain = false) {
  NoteRow n;
  n.id = 7;
  n.kind = "note";
  n.owner = "gw-1";
  n.status = "sending";
  n.attempts = attempts;
  n.uncertain = uncertain;
  return n;
}

PagerDutyOutcome answer(PagerDutyOutcome::Kind kind, long status, std::string reason = "", int64_t retry_after = -1) {
  PagerDutyOutcome o;
  o.kind = kind;
  o.http_status = status;
  o.reason = std::move(reason);
  o.retry_after_ms = retry_after;
  return o;
}

OutboxJob ended(const std::string &rule, const std::string &execution_status, const std::string &status = "done") {
  OutboxJob j;
  j.rule = rule;
  j.job_id = "job-" + rule;
  j.status = status;
  j.execution_id = status == "done" ? "10" + rule : "";
  j.execution_status = execution_status;
  return j;
}

} // namespace

TEST_CASE("note: posted once PagerDuty accepts it, by the owner that claimed it") {
  const NoteUpdate u = note::after_call(sending(1, true), answer(PagerDutyOutcome::Kind::ok, 201), kNow);
  CHECK(u.status == "posted");
  CHECK(u.id == 7);
  CHECK(u.owner == "gw-1");
  CHECK_FALSE(u.uncertain);
  CHECK(u.reason.empty());
}

TEST_CASE("note: 5xx and 429 wait with a doubling backoff, a 429's hint when longer") {
  CHECK(note::retry_delay_ms(1) == note::kFirstRetryMs);
  CHECK(note::retry_delay_ms(3) == 4 * note::kFirstRetryMs);
  CHECK(note::retry_delay_ms(100) == note::kMaxRetryMs);
  NoteUpdate u = note::after_call(sending(2), answer(PagerDutyOutcome::Kind::retry, 500, "boom"), kNow);
  CHECK(u.status == "waiting");
  CHECK(u.next_attempt_ms == kNow + 2 * note::kFirstRetryMs);
  CHECK(u.reason == "boom");
  CHECK_FALSE(u.uncertain);
  u = note::after_call(sending(1), answer(PagerDutyOutcome::Kind::retry, 429, "slow down", 60000), kNow);
  CHECK(u.next_attempt_ms == kNow + 60000);
}

TEST_CASE("note: a 4xx stops it with PagerDuty's reason; 401/403 wait, due at once") {
  NoteUpdate u = note::after_call(sending(), answer(PagerDutyOutcome::Kind::stop, 404, "Incident Not Found"), kNow);
  CHECK(u.status == "stopped");
  CHECK(u.reason == "Incident Not Found");
  CHECK(u.http_status == 404);
  u = note::after_call(sending(), answer(PagerDutyOutcome::Kind::auth, 401, "Unauthorized"), kNow);
  CHECK(u.status == "waiting");
  CHECK(u.next_attempt_ms == kNow);
}

TEST_CASE("note: an unknown outcome leaves it uncertain; the marker search decides") {
  NoteUpdate u = note::after_call(sending(), answer(PagerDutyOutcome::Kind::unknown, 0, "reset"), kNow);
  CHECK(u.status == "waiting");
  CHECK(u.uncertain);
  CHECK(u.next_attempt_ms > kNow);

  NoteSearch found;
  found.outcome = answer(PagerDutyOutcome::Kind::ok, 200);
  found.found = true;
  const std::optional<NoteUpdate> f = note::after_search(sending(2, true), found, kNow);
  REQUIRE(f);
  CHECK(f->status == "posted");
  CHECK_FALSE(f->uncertain);

  NoteSearch absent;
  absent.outcome = answer(PagerDutyOutcome::Kind::ok, 200);
  CHECK_FALSE(note::after_search(sending(2, true), absent, kNow)); // post it now

  NoteSearch failed;
  failed.outcome = answer(PagerDutyOutcome::Kind::retry, 503, "down");
  const std::optional<NoteUpdate> w = note::after_search(sending(2, true), failed, kNow);
  REQUIRE(w);
  CHECK(w->status == "waiting");
  CHECK(w->uncertain); // never posted before the search has read the notes
}

TEST_CASE("note: a claimed row left untried waits, due now, as uncertain as it was") {
  const NoteUpdate u = note::untried(sending(1, true), kNow);
  CHECK(u.status == "waiting");
  CHECK(u.next_attempt_ms == kNow);
  CHECK(u.uncertain);
}

TEST_CASE("note: an event's incident is resolved only when every job it started succeeded") {
  CHECK_FALSE(resolve_verdict({ended("a", "succeeded"), ended("b", "running")}));
  CHECK_FALSE(resolve_verdict({ended("a", "succeeded"), ended("b", "", "queued")}));
  CHECK_FALSE(resolve_verdict({ended("a", "", "skipped")})); // nothing started
  const auto ok = resolve_verdict({ended("a", "succeeded"), ended("b", "succeeded"), ended("c", "", "skipped")});
  REQUIRE(ok);
  CHECK(ok->status == "waiting");
  const auto bad = resolve_verdict({ended("a", "succeeded"), ended("b", "failed")});
  REQUIRE(bad);
  CHECK(bad->status == "skipped");
  CHECK(bad->reason == "not resolved: job 'b' (job-b) failed");
  const auto refused = resolve_verdict({ended("a", "succeeded"), ended("b", "", "refused")});
  REQUIRE(refused);
  CHECK(refused->reason == "not resolved: job 'b' (job-b) was refused by Rundeck");
}
