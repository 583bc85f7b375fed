// Reconciliation: a job whose last call had an unknown outcome runs again only when Rundeck has
// no execution of it that another job has not already taken.
#include "dispatch/dispatcher.hpp"

#include "base/log.hpp"

namespace rdwh::gateway {

namespace {

// Executions that started this long before our call are still candidates: Rundeck's clock may be
// behind ours. A candidate already recorded for another job is never taken.
constexpr int64_t kClockSkewMs = 10 * 60 * 1000;

} // namespace

Reconciliation Dispatcher::reconcile(RundeckClient &client, const OutboxJob &job, const SendableBody &body,
                                     const Runtime &rt) {
  std::string token_user;
  {
    std::lock_guard lock(mu_);
    token_user = token_user_;
  }
  const ExecutionsOutcome q =
      client.job_executions(rt.config().rundeck, rt.rundeck_token(), job.job_id, job.sent_ms - kClockSkewMs, abort_);
  Reconciliation r;
  r.kind = q.kind;
  r.http_status = q.http_status;
  r.reason = hide_values(q.reason, body.values);
  if (q.kind != RunOutcome::Kind::started) return r;
  try {
    r.execution_id = first_unrecorded(matching_executions(q.executions, body.json, token_user));
  } catch (const OutboxError &e) {
    r.lookup_error = e.what();
  }
  return r;
}

std::optional<std::string> Dispatcher::first_unrecorded(const std::vector<std::string> &ids) {
  for (const std::string &id : ids)
    if (!outbox_.execution_recorded(id)) return id;
  return std::nullopt;
}

void Dispatcher::report_reconciliation(const Verdict &v, const OutboxJob &job, const Runtime &rt,
                                       const Reconciliation &r) {
  using Kind = Verdict::Kind;
  note_token(v.token, job, rt, r.http_status, r.reason);
  if (v.kind == Kind::query_failed) {
    metrics_.job_retried(job.webhook_name, 0);
    log::warn("cannot ask Rundeck whether a job of unknown outcome ran; will ask again",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}, {"reason", r.reason}});
  } else if (v.kind == Kind::reconciled) {
    metrics_.job_reconciled(job.webhook_name, true);
    log::info("reconciled: Rundeck had started the job; it is not run again",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule}, {"job", job.job_id},
               {"execution", *r.execution_id}});
  } else if (v.kind == Kind::run) {
    metrics_.job_reconciled(job.webhook_name, false);
    log::info("reconciled: Rundeck has no run of the job; running it",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}});
  }
}

} // namespace rdwh::gateway
