// The dispatcher's decisions (dispatch/settle.hpp): what Rundeck answered -> the settlement to
// store. No database, no network, no clock.
#include <catch2/catch.hpp>

#include "dispatch/settle.hpp"

using namespace rdwh::gateway;
using Kind = Verdict::Kind;
using Token = Verdict::Token;

namespace {

constexpr int64_t kNow = 1'000'000;

RundeckSettings settings() {
  RundeckSettings rd;
  rd.reconcile_delay_ms = 10'000;
  rd.retry = {1000, 60'000};
  return rd;
}

OutboxJob certain_job() {
  OutboxJob j;
  j.id = 7;
  j.job_id = "job-1";
  j.attempts = 2;
  j.request_json = R"({"options":{"incident":"P1"},"asUser":"oncall"})";
  return j;
}

// Its last call's outcome is unknown: sent 20 s ago, answered with a 502.
OutboxJob uncertain_job() {
  OutboxJob j = certain_job();
  j.uncertain = true;
  j.sent_ms = kNow - 20'000;
  j.http_status = 502;
  j.reason = "bad gateway";
  return j;
}

RunOutcome answer(RunOutcome::Kind kind, long status, std::string reason = "") {
  RunOutcome o;
  o.kind = kind;
  o.http_status = status;
  o.reason = std::move(reason);
  return o;
}

Execution execution(std::string id, std::string incident, std::string user) {
  Execution e;
  e.id = std::move(id);
  e.user = std::move(user);
  e.options["incident"] = std::move(incident);
  return e;
}

void check_queued(const Settlement &s, int64_t due, int64_t status, const std::string &reason, bool uncertain,
                  int64_t sent_ms) {
  CHECK(s.status == "queued");
  CHECK(s.next_attempt_ms == due);
  CHECK(s.http_status == status);
  CHECK(s.reason == reason);
  CHECK(s.uncertain == uncertain);
  CHECK(s.sent_ms == sent_ms);
  CHECK(s.execution_id.empty());
}

} // namespace

TEST_CASE("before any call: a stopping gateway leaves the job due now, as it was") {
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    const Verdict v = settle_before_call(job, settings(), kNow, true);
    CHECK(v.kind == Kind::stopped);
    CHECK(v.token == Token::unknown);
    check_queued(v.settlement, kNow, 0, "the gateway stopped before the call", job.uncertain, job.sent_ms);
  }
}

TEST_CASE("before any call: a certain job runs, an uncertain one is reconciled once Rundeck had time") {
  CHECK(settle_before_call(certain_job(), settings(), kNow, false).kind == Kind::run);
  CHECK(settle_before_call(uncertain_job(), settings(), kNow, false).kind == Kind::reconcile);

  OutboxJob recent = uncertain_job();
  recent.sent_ms = kNow - 4000; // reconcileDelay is 10 s: ready in 6 s
  const Verdict v = settle_before_call(recent, settings(), kNow, false);
  CHECK(v.kind == Kind::wait);
  CHECK(v.token == Token::unknown);
  check_queued(v.settlement, recent.sent_ms + 10'000, 502, "bad gateway", true, recent.sent_ms);

  recent.sent_ms = kNow - 10'000; // exactly ready
  CHECK(settle_before_call(recent, settings(), kNow, false).kind == Kind::reconcile);
}

TEST_CASE("reconciliation: the candidates are the matching executions, oldest first") {
  const std::vector<Execution> newest_first = {execution("30", "P1", "oncall"), execution("20", "P2", "oncall"),
                                               execution("10", "P1", "oncall"), execution("5", "P1", "admin")};
  CHECK(matching_executions(newest_first, certain_job().request_json, "") == std::vector<std::string>{"10", "30"});
  CHECK(matching_executions({}, certain_job().request_json, "").empty());
  // Without asUser, the token's user (when known) must have run it.
  const std::string no_as_user = R"({"options":{"incident":"P1"}})";
  CHECK(matching_executions(newest_first, no_as_user, "admin") == std::vector<std::string>{"5"});
  CHECK(matching_executions(newest_first, no_as_user, "") == std::vector<std::string>{"5", "10", "30"});
}

TEST_CASE("reconciliation: Rundeck could not be asked: ask again after the backoff, still uncertain") {
  const OutboxJob job = uncertain_job();
  const Moment m{kNow, 4000};
  Reconciliation r;
  r.kind = RunOutcome::Kind::auth;
  r.http_status = 403;
  r.reason = "unauthorized";
  Verdict v = settle_reconciliation(job, r, m);
  CHECK(v.kind == Kind::query_refused);
  CHECK(v.token == Token::refused);
  check_queued(v.settlement, kNow + 4000, 403, "cannot ask Rundeck whether it ran: unauthorized", true, job.sent_ms);

  for (const RunOutcome::Kind k : {RunOutcome::Kind::retry, RunOutcome::Kind::unknown, RunOutcome::Kind::refused}) {
    r.kind = k;
    r.http_status = 500;
    r.reason = "boom";
    v = settle_reconciliation(job, r, m);
    CHECK(v.kind == Kind::query_failed);
    CHECK(v.token == Token::unknown);
    check_queued(v.settlement, kNow + 4000, 500, "cannot ask Rundeck whether it ran: boom", true, job.sent_ms);
  }
}

TEST_CASE("reconciliation: Rundeck answered: the found execution settles it, none found runs it") {
  const OutboxJob job = uncertain_job();
  const Moment m{kNow, 4000};
  Reconciliation r;
  r.kind = RunOutcome::Kind::started;
  r.http_status = 200;

  r.lookup_error = "database is locked";
  Verdict v = settle_reconciliation(job, r, m);
  CHECK(v.kind == Kind::lookup_failed);
  CHECK(v.token == Token::accepted);
  check_queued(v.settlement, kNow + 4000, 0, "cannot check the outbox: database is locked", true, job.sent_ms);

  r.lookup_error.clear();
  v = settle_reconciliation(job, r, m);
  CHECK(v.kind == Kind::run);
  CHECK(v.token == Token::accepted);

  r.execution_id = "1234";
  v = settle_reconciliation(job, r, m);
  CHECK(v.kind == Kind::reconciled);
  CHECK(v.token == Token::accepted);
  CHECK(v.settlement.status == "done");
  CHECK(v.settlement.execution_id == "1234");
  CHECK(v.settlement.http_status == 200);
  CHECK(v.settlement.reason == "reconciled: found execution 1234 on Rundeck");
  CHECK(v.settlement.next_attempt_ms == kNow);
  CHECK_FALSE(v.settlement.uncertain);
  CHECK(v.settlement.sent_ms == 0);
}

TEST_CASE("run: started is done with Rundeck's execution, refused is final") {
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    RunOutcome o = answer(RunOutcome::Kind::started, 200);
    o.execution_id = "99";
    Verdict v = settle_run(job, settings(), o, kNow - 100, {kNow, 4000});
    CHECK(v.kind == Kind::started);
    CHECK(v.token == Token::accepted);
    CHECK(v.settlement.status == "done");
    CHECK(v.settlement.execution_id == "99");
    CHECK(v.settlement.http_status == 200);
    CHECK(v.settlement.reason.empty());
    CHECK(v.settlement.next_attempt_ms == kNow);
    CHECK_FALSE(v.settlement.uncertain);
    CHECK(v.settlement.sent_ms == 0);

    v = settle_run(job, settings(), answer(RunOutcome::Kind::refused, 404, "no such job"), kNow - 100, {kNow, 4000});
    CHECK(v.kind == Kind::refused);
    CHECK(v.token == Token::accepted);
    CHECK(v.settlement.status == "refused");
    CHECK(v.settlement.reason == "no such job");
    CHECK(v.settlement.http_status == 404);
    CHECK(v.settlement.next_attempt_ms == kNow);
    CHECK(v.settlement.execution_id.empty());
    CHECK_FALSE(v.settlement.uncertain);
  }
}

TEST_CASE("run: a refused token leaves the job due now, certain (the pause holds it back)") {
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    const Verdict v =
        settle_run(job, settings(), answer(RunOutcome::Kind::auth, 401, "unauthorized"), kNow - 100, {kNow, 4000});
    CHECK(v.kind == Kind::auth);
    CHECK(v.token == Token::refused);
    check_queued(v.settlement, kNow, 401, "unauthorized", false, 0);
  }
}

TEST_CASE("run: a retry waits the backoff, or Retry-After (capped) when longer, and it did not run") {
  const RundeckSettings rd = settings();
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    RunOutcome o = answer(RunOutcome::Kind::retry, 429, "slow down");
    Verdict v = settle_run(job, rd, o, kNow - 100, {kNow, 4000});
    CHECK(v.kind == Kind::retry);
    CHECK(v.token == Token::unknown);
    check_queued(v.settlement, kNow + 4000, 429, "slow down", false, 0);

    o.retry_after_ms = 2000; // shorter than the backoff
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 4000);
    o.retry_after_ms = 30'000;
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 30'000);
    o.retry_after_ms = 3'600'000; // capped at retry.maxDelayMs
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 60'000);
    o.retry_after_ms = 0; // no wait asked: the backoff
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 4000);
  }
}

TEST_CASE("run: an unknown outcome is uncertain, sent when the call was, reconciled after reconcileDelay") {
  const RundeckSettings rd = settings();
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    RunOutcome o = answer(RunOutcome::Kind::unknown, 502, "bad gateway");
    Verdict v = settle_run(job, rd, o, kNow - 100, {kNow, 4000});
    CHECK(v.kind == Kind::unknown);
    CHECK(v.token == Token::unknown);
    check_queued(v.settlement, kNow + 10'000, 502, "bad gateway", true, kNow - 100);

    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 20'000}).settlement.next_attempt_ms == kNow + 20'000);
    o.retry_after_ms = 15'000;
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 15'000);
    o.retry_after_ms = 5000; // below reconcileDelay: that wins
    CHECK(settle_run(job, rd, o, kNow - 100, {kNow, 4000}).settlement.next_attempt_ms == kNow + 10'000);
  }
}

TEST_CASE("the backoff drawn is the retry schedule's") {
  std::mt19937_64 rng(7);
  const RetrySettings r{1000, 8000};
  for (int64_t attempts = 1; attempts < 10; ++attempts) {
    const int64_t full = std::min<int64_t>(1000LL << std::min<int64_t>(attempts - 1, 20), 8000);
    const int64_t d = retry_delay_ms(attempts, r, rng);
    CHECK((d >= full - full / 2 && d <= full));
  }
}

TEST_CASE("a run call that cannot be built (a key gone from key storage) is refused, the key named") {
  const Verdict v = settle_unsendable(uncertain_job(), "key storage has no key 'keys/token' now", kNow);
  CHECK(v.kind == Kind::refused);
  CHECK(v.token == Token::unknown);
  CHECK(v.settlement.status == "refused");
  CHECK(v.settlement.reason == "not sent: key storage has no key 'keys/token' now");
  CHECK(v.settlement.next_attempt_ms == kNow);
}

TEST_CASE("before any call: an owner whose lease lapsed starts no call, whatever the job needs") {
  const RundeckSettings rd = settings();
  for (const OutboxJob &job : {certain_job(), uncertain_job()}) {
    const Verdict v = settle_before_call(job, rd, kNow, false, true);
    CHECK(v.kind == Kind::lapsed);
    check_queued(v.settlement, kNow, job.http_status,
                 "its lease lapsed before the call (renewal failed): not called", job.uncertain, job.sent_ms);
  }
  CHECK(settle_before_call(certain_job(), rd, kNow, true, true).kind == Kind::stopped); // stopping comes first
}

TEST_CASE("clock steps: a call sent 'in the future' (the clock stepped back) waits reconcileDelay from now") {
  OutboxJob job = uncertain_job();
  job.sent_ms = kNow + 10 * 60'000; // the clock stepped back 10 minutes since the call
  const Verdict v = settle_before_call(job, settings(), kNow, false);
  CHECK(v.kind == Kind::wait);
  CHECK(v.settlement.next_attempt_ms == kNow + 10'000); // not kNow + 10 min + 10 s
  CHECK(v.settlement.sent_ms == kNow); // counts as sent now: it waits once, not at every claim
  job.sent_ms = v.settlement.sent_ms;
  CHECK(settle_before_call(job, settings(), kNow + 10'000, false).kind == Kind::reconcile);
}

TEST_CASE("takeover: reconciled no earlier than the lease's end plus connect, request and reconcile delays") {
  RundeckSettings rd = settings();
  rd.connect_timeout_ms = 2'000;
  rd.request_timeout_ms = 20'000;
  CHECK(takeover_window_ms(rd) == 32'000);
  // A lease that ended (its last renewal plus the lease): from its end, however late the takeover.
  CHECK(takeover_reconcile_at(kNow - 5'000, kNow, rd) == kNow - 5'000 + 32'000);
  // An owner known dead before its lease ends (SQLite at start): from the takeover.
  CHECK(takeover_reconcile_at(kNow + 30'000, kNow, rd) == kNow + 32'000);
}

TEST_CASE("clock steps: a step is a change of the clock against the monotonic clock beyond the tolerance") {
  ClockWatch w;
  CHECK(w.observe(kNow, 500) == 0);              // the first reading
  CHECK(w.observe(kNow + 1'000, 1'500) == 0);    // in step
  CHECK(w.observe(kNow + 2'400, 2'000) == 0);    // 900 ms of drift: within the tolerance
  CHECK(w.observe(kNow - 600'000, 3'000) == -602'500); // stepped back 10 min (and the drift)
  CHECK(w.observe(kNow - 599'000, 4'000) == 0);
  CHECK(w.observe(kNow + 170 * 3'600'000LL, 5'000) == 170 * 3'600'000LL + 598'000);
}

TEST_CASE("purge: a clock stepped ahead never makes a finished job look older than the time elapsed") {
  const int64_t retain = 168 * 3'600'000LL, hour = 3'600'000;
  PurgeClock c;
  CHECK(purge_cutoff(c, kNow, 0, retain) == kNow - retain);
  // One hour later, the clock says 170 hours: only the hour elapsed counts.
  CHECK(purge_cutoff(c, kNow + 170 * hour, hour, retain) == kNow + hour - retain);
  // The clock back to the right time: it is trusted again.
  CHECK(purge_cutoff(c, kNow + 2 * hour, 2 * hour, retain) == kNow + 2 * hour - retain);
  // A step back is trusted at once (rows are kept longer), and the time goes on from there.
  CHECK(purge_cutoff(c, kNow, 3 * hour, retain) == kNow - retain);
  CHECK(purge_cutoff(c, kNow + 2 * hour, 4 * hour, retain) == kNow + hour - retain);
}
