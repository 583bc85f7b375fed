// A worker: takes a claimed job, makes its calls, reports its settlement to the coordinator. Each
// call is one pass: talk (the Rundeck client), decide (settle.hpp), do (token state, metrics, log).
#include "dispatch/dispatcher.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "dispatch/follow.hpp"

#include <chrono>

namespace rdwh::gateway {

void Dispatcher::work() {
  RundeckClient client;                           // one per worker: it keeps its connections to Rundeck
  std::mt19937_64 rng{std::random_device{}()}; // the backoff's jitter
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !todo_.empty(); });
      if (todo_.empty()) return; // stopping, nothing left
      task = std::move(todo_.front());
      todo_.pop_front();
    }
    Settlement s = attempt(client, task.job, *task.runtime, rng);
    // A started execution is followed to its end (dispatch/follower.hpp), unless that is off.
    if (task.runtime->config().rundeck.follow_up_max_hours > 0) s.follow_after_ms = follow::poll_delay_ms(0);
    s.decided_ms = outbox_.clock_ms();
    s.id = task.job.id;
    s.owner = task.job.owner;
    std::lock_guard lock(mu_);
    results_.push_back(std::move(s));
    wake_ = true;
    wake_cv_.notify_all();
  }
}

Settlement Dispatcher::attempt(RundeckClient &client, const OutboxJob &job, const Runtime &rt,
                               std::mt19937_64 &rng) {
  const RundeckSettings &rd = rt.config().rundeck;
  Verdict v = settle_before_call(job, rd, outbox_.clock_ms(), abort_, lease_lapsed(job.id));
  // The stored body holds marks where key-storage values were: they are put back here, for the
  // call only, and hidden again in whatever Rundeck answers (config/key_values.hpp).
  SendableBody body;
  if (v.kind == Verdict::Kind::reconcile || v.kind == Verdict::Kind::run) {
    sendable_run_body(job.request_json, [&rt](std::string_view path) { return rt.keys().get(path); }, body);
    if (!body.error.empty()) return unsendable(job, body.error);
  }
  if (v.kind == Verdict::Kind::reconcile) {
    std::lock_guard one_at_a_time(reconcile_mu_); // two jobs never take one execution
    const Reconciliation r = reconcile(client, job, body, rt);
    v = settle_reconciliation(job, r, {outbox_.clock_ms(), retry_delay_ms(job.attempts, rd.retry, rng)});
    report_reconciliation(v, job, rt, r);
    // The lookup took a while: the lease must still hold for the run call.
    if (v.kind == Verdict::Kind::run && lease_lapsed(job.id))
      v = settle_before_call(job, rd, outbox_.clock_ms(), abort_, true);
  }
  if (v.kind == Verdict::Kind::lapsed)
    log::warn("a job's lease lapsed before its call (its renewal failed): not called; whoever holds it next "
              "reconciles it",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}});
  if (v.kind != Verdict::Kind::run) return v.settlement;

  const int64_t sent = outbox_.clock_ms();
  const auto t0 = std::chrono::steady_clock::now();
  RunOutcome o = client.run_job(rd, rt.rundeck_token(), job.job_id, body.json, abort_);
  o.reason = hide_values(o.reason, body.values);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  v = settle_run(job, rd, o, sent, {outbox_.clock_ms(), retry_delay_ms(job.attempts, rd.retry, rng)});
  report_run(v, job, rt, o, secs);
  return v.settlement;
}

Settlement Dispatcher::unsendable(const OutboxJob &job, const std::string &why) {
  metrics_.job_refused(job.webhook_name, 0);
  log::error("job not sent: its run call needs a key-storage value that is gone",
             {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule}, {"job", job.job_id},
              {"reason", why}});
  return settle_unsendable(job, why, outbox_.clock_ms()).settlement;
}

void Dispatcher::report_run(const Verdict &v, const OutboxJob &job, const Runtime &rt, const RunOutcome &o,
                            double secs) {
  using Kind = Verdict::Kind;
  note_token(v.token, job, rt, o.http_status, o.reason);
  if (v.kind == Kind::started) {
    if (!o.user.empty()) {
      std::lock_guard lock(mu_);
      token_user_ = o.user;
    }
    metrics_.job_run(job.webhook_name, secs);
    log::info("job started", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                              {"job", job.job_id}, {"execution", o.execution_id}, {"attempt", job.attempts},
                              {"ms", static_cast<int64_t>(secs * 1000)}});
  } else if (v.kind == Kind::refused) {
    metrics_.job_refused(job.webhook_name, secs);
    log::error("job refused by Rundeck", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                                          {"job", job.job_id}, {"status", o.http_status}, {"reason", o.reason},
                                          {"attempt", job.attempts}});
  } else if (v.kind == Kind::auth) {
    metrics_.job_retried(job.webhook_name, secs);
  } else {
    metrics_.job_retried(job.webhook_name, secs);
    log::warn(v.kind == Kind::unknown
                  ? "job run call of unknown outcome; Rundeck is asked whether it ran before any new attempt"
                  : "job run failed; will retry",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}, {"status", o.http_status},
               {"reason", o.reason}, {"attempt", job.attempts},
               {"retry_in_ms", v.settlement.next_attempt_ms - outbox_.clock_ms()}});
  }
}

} // namespace rdwh::gateway
