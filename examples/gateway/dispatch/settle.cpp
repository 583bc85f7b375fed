#include "dispatch/settle.hpp"

#include <algorithm>

namespace rdwh::gateway {

namespace {

using Kind = Verdict::Kind;
using Token = Verdict::Token;

Verdict verdict(Kind kind, Token token, Settlement s) {
  Verdict v;
  v.kind = kind;
  v.token = token;
  v.settlement = std::move(s);
  return v;
}

// Left queued, due at `due_ms`; what it knew about an earlier uncertain call is kept.
Settlement queued(const OutboxJob &job, int64_t due_ms, int64_t http_status, std::string reason) {
  Settlement s;
  s.status = "queued";
  s.next_attempt_ms = due_ms;
  s.http_status = http_status;
  s.reason = std::move(reason);
  s.uncertain = job.uncertain;
  s.sent_ms = job.sent_ms;
  return s;
}

Settlement finished(const char *status, int64_t now_ms, int64_t http_status) {
  Settlement s;
  s.status = status;
  s.next_attempt_ms = now_ms;
  s.http_status = http_status;
  return s;
}

// retry or unknown: after the backoff, and not before Rundeck's Retry-After (capped) nor, when
// it may have run, before Rundeck had time to create the execution.
Verdict settle_retry(const OutboxJob &job, const RundeckSettings &rd, const RunOutcome &o, int64_t sent_ms,
                     const Moment &m) {
  const bool unknown = o.kind == RunOutcome::Kind::unknown;
  int64_t min_delay = unknown ? rd.reconcile_delay_ms : 0;
  if (o.retry_after_ms > 0) min_delay = std::max(min_delay, std::min(o.retry_after_ms, rd.retry.max_delay_ms));
  Settlement s = queued(job, m.now_ms + std::max(m.backoff_ms, min_delay), o.http_status, o.reason);
  s.uncertain = unknown;
  s.sent_ms = unknown ? sent_ms : 0;
  return verdict(unknown ? Kind::unknown : Kind::retry, Token::unknown, std::move(s));
}

} // namespace

int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng) {
  int64_t d = retry.initial_delay_ms;
  for (int64_t i = 1; i < attempts && d < retry.max_delay_ms; ++i) d *= 2;
  d = std::min(d, retry.max_delay_ms);
  std::uniform_int_distribution<int64_t> half(0, d / 2);
  return d - d / 2 + half(rng);
}

Verdict settle_before_call(const OutboxJob &job, const RundeckSettings &rd, int64_t now_ms, bool stopping,
                           bool lease_lapsed) {
  if (stopping)
    return verdict(Kind::stopped, Token::unknown, queued(job, now_ms, 0, "the gateway stopped before the call"));
  if (lease_lapsed)
    return verdict(Kind::lapsed, Token::unknown,
                   queued(job, now_ms, job.http_status,
                          "its lease lapsed before the call (renewal failed): not called"));
  if (!job.uncertain) return verdict(Kind::run, Token::unknown, {});
  // Its last call may have started it: give a slow Rundeck time to finish creating the
  // execution before looking for it. A clock stepped back since the call does not lengthen it:
  // the call then counts as sent now (which only widens the executions searched, never narrows).
  const int64_t sent = std::min(job.sent_ms, now_ms), ready = sent + rd.reconcile_delay_ms;
  if (now_ms < ready) {
    Settlement s = queued(job, ready, job.http_status, job.reason);
    s.sent_ms = sent;
    return verdict(Kind::wait, Token::unknown, std::move(s));
  }
  return verdict(Kind::reconcile, Token::unknown, {});
}

Verdict settle_unsendable(const OutboxJob &, const std::string &why, int64_t now_ms) {
  Settlement s = finished("refused", now_ms, 0);
  s.reason = "not sent: " + why;
  return verdict(Kind::refused, Token::unknown, std::move(s));
}

int64_t takeover_window_ms(const RundeckSettings &rd) {
  return rd.connect_timeout_ms + rd.request_timeout_ms + rd.reconcile_delay_ms;
}

int64_t takeover_reconcile_at(int64_t lease_until_ms, int64_t now_ms, const RundeckSettings &rd) {
  return std::min(lease_until_ms, now_ms) + takeover_window_ms(rd);
}

int64_t ClockWatch::observe(int64_t clock_ms, int64_t mono_ms) {
  const int64_t now_offset = clock_ms - mono_ms;
  const int64_t step = known ? now_offset - offset : 0;
  if (!known || step > kClockStepToleranceMs || step < -kClockStepToleranceMs) {
    known = true;
    offset = now_offset;
    return step;
  }
  return 0; // small drifts accumulate against the first reading until they make a step
}

int64_t PurgeClock::trusted_now(int64_t clock_ms, int64_t mono_ms) {
  const int64_t t = known ? std::min(clock_ms, trusted + std::max<int64_t>(mono_ms - mono, 0)) : clock_ms;
  known = true;
  trusted = t;
  mono = mono_ms;
  return t;
}

int64_t purge_cutoff(PurgeClock &clock, int64_t clock_ms, int64_t mono_ms, int64_t retain_ms) {
  return clock.trusted_now(clock_ms, mono_ms) - retain_ms;
}

std::vector<std::string> matching_executions(const std::vector<Execution> &newest_first,
                                             const std::string &request_json, const std::string &token_user) {
  std::vector<std::string> ids;
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it)
    if (execution_matches(*it, request_json, token_user)) ids.push_back(it->id);
  return ids;
}

Verdict settle_reconciliation(const OutboxJob &job, const Reconciliation &r, const Moment &m) {
  const int64_t later = m.now_ms + m.backoff_ms;
  if (r.kind == RunOutcome::Kind::auth)
    return verdict(Kind::query_refused, Token::refused,
                   queued(job, later, r.http_status, "cannot ask Rundeck whether it ran: " + r.reason));
  if (r.kind != RunOutcome::Kind::started)
    return verdict(Kind::query_failed, Token::unknown,
                   queued(job, later, r.http_status, "cannot ask Rundeck whether it ran: " + r.reason));
  if (!r.lookup_error.empty())
    return verdict(Kind::lookup_failed, Token::accepted,
                   queued(job, later, 0, "cannot check the outbox: " + r.lookup_error));
  if (!r.execution_id) return verdict(Kind::run, Token::accepted, {});
  Settlement s = finished("done", m.now_ms, 200);
  s.execution_id = *r.execution_id;
  s.reason = "reconciled: found execution " + *r.execution_id + " on Rundeck";
  return verdict(Kind::reconciled, Token::accepted, std::move(s));
}

Verdict settle_run(const OutboxJob &job, const RundeckSettings &rd, const RunOutcome &o, int64_t sent_ms,
                   const Moment &m) {
  switch (o.kind) {
  case RunOutcome::Kind::started: {
    Settlement s = finished("done", m.now_ms, o.http_status);
    s.execution_id = o.execution_id;
    s.permalink = o.permalink;
    return verdict(Kind::started, Token::accepted, std::move(s));
  }
  case RunOutcome::Kind::refused: {
    Settlement s = finished("refused", m.now_ms, o.http_status);
    s.reason = o.reason;
    return verdict(Kind::refused, Token::accepted, std::move(s));
  }
  case RunOutcome::Kind::auth: {
    Settlement s = queued(job, m.now_ms, o.http_status, o.reason); // held back by the pause
    s.uncertain = false; // it did not run: Rundeck refused the call
    s.sent_ms = 0;
    return verdict(Kind::auth, Token::refused, std::move(s));
  }
  case RunOutcome::Kind::retry:
  case RunOutcome::Kind::unknown: return settle_retry(job, rd, o, sent_ms, m);
  }
  return verdict(Kind::retry, Token::unknown, finished("", m.now_ms, o.http_status));
}

} // namespace rdwh::gateway
