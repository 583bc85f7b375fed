#include "dispatch/dispatcher.hpp"

#include "base/crypto.hpp"
#include "base/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>

namespace rdwh::gateway {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kPurgeEveryMs = 60 * 60 * 1000;
constexpr int64_t kPollMs = 1000;        // also picks up jobs requeued by another process (--requeue)
constexpr int64_t kDbRetryMs = 1000;
constexpr int64_t kStopBoundMs = 2000;   // how long stop() waits for outcomes to be recorded
// Executions that started this long before our call are still candidates: Rundeck's clock may be
// behind ours. A candidate already recorded for another job is never taken.
constexpr int64_t kClockSkewMs = 10 * 60 * 1000;

} // namespace

int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng) {
  int64_t d = retry.initial_delay_ms;
  for (int64_t i = 1; i < attempts && d < retry.max_delay_ms; ++i) d *= 2;
  d = std::min(d, retry.max_delay_ms);
  std::uniform_int_distribution<int64_t> half(0, d / 2);
  return d - d / 2 + half(rng);
}

std::string make_owner_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + random_uuid().substr(0, 8);
}

Dispatcher::Dispatcher(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
                       bool take_over_others)
    : outbox_(outbox), metrics_(metrics), runtime_(runtime), base_owner_(std::move(owner)),
      take_over_others_(take_over_others), owner_(base_owner_) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  const unsigned n = runtime_.get()->config().rundeck.max_concurrent_calls;
  for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
  coordinator_ = std::thread([this] { coordinate(); });
}

void Dispatcher::notify() {
  std::lock_guard lock(mu_);
  wake_ = true;
  wake_cv_.notify_all();
}

void Dispatcher::notify_reloaded() {
  std::lock_guard lock(mu_);
  pause_until_ms_ = 0;
  wake_ = true;
  wake_cv_.notify_all();
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !coordinator_.joinable()) return;
    stop_ = true;
    abort_ = true;
    wake_cv_.notify_all();
    work_cv_.notify_all();
  }
  for (std::thread &w : workers_)
    if (w.joinable()) w.join();
  if (coordinator_.joinable()) coordinator_.join();
}

std::string Dispatcher::degraded_reason() const {
  std::lock_guard lock(mu_);
  return auth_failing_ ? auth_reason_ : std::string();
}

bool Dispatcher::wait_until(int64_t deadline_ms) {
  std::unique_lock lock(mu_);
  const int64_t ms = std::max<int64_t>(deadline_ms - now_ms(), 0);
  wake_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_ || wake_; });
  wake_ = false;
  return !stop_;
}

void Dispatcher::coordinate() {
  const bool take_over = take_over_others_;
  int64_t next_purge = 0, next_renew = 0, next_expire = 0;
  int64_t stop_deadline = INT64_MAX;
  bool first = true;
  std::vector<Settlement> pending; // outcomes to record
  // Until a job is due at due_ms, a timer's time, a poll, or a wake-up (an outcome, a new job).
  const auto wait_for_work = [&](int64_t now, int64_t due_ms) {
    int64_t deadline = std::min({due_ms, next_renew, next_expire, next_purge, now + kPollMs});
    {
      std::lock_guard lock(mu_);
      if (auth_failing_) deadline = std::min(deadline, std::max(pause_until_ms_, now));
    }
    wait_until(deadline);
  };
  for (;;) {
    const std::shared_ptr<const Runtime> rt = runtime_.get();
    const Config &cfg = rt->config();
    const int64_t lease_ms = cfg.outbox.lease_seconds * 1000;
    int64_t now = now_ms();
    size_t free = 0;
    bool stopping = false;
    std::string owner;
    {
      std::lock_guard lock(mu_);
      for (Settlement &s : results_) pending.push_back(std::move(s));
      results_.clear();
      stopping = stop_;
      owner = owner_;
      if (stopping && stop_deadline == INT64_MAX) stop_deadline = now + kStopBoundMs;
      // Calls in flight: claimed jobs whose outcome has not come back. The outcomes in `pending`
      // are recorded by the same transaction that claims, so their slots are free now.
      const size_t limit = cfg.rundeck.max_concurrent_calls, in_flight = busy_ - pending.size();
      if (!stopping && in_flight < limit) {
        free = limit - in_flight;
        if (auth_failing_) free = now >= pause_until_ms_ && in_flight == 0 ? 1 : 0; // one probe at a time
      }
    }
    if (stopping && pending.empty()) {
      // Calls in flight were cut off; wait (boundedly) for their outcomes to record them.
      std::unique_lock lock(mu_);
      if (busy_ == 0) break;
      wake_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(stop_deadline - now, 0)),
                        [this] { return !results_.empty(); });
      if (results_.empty()) {
        log::warn("stopping before every outcome was recorded: those jobs are reconciled at the next start",
                  {{"jobs", busy_}});
        break;
      }
      continue;
    }

    try {
      if (first) {
        // Jobs left running by a gateway that is gone: queued again, to be reconciled first.
        const int64_t n = outbox_.expire_leases(now, take_over ? owner : std::string());
        if (n > 0)
          log::warn("jobs left running by a stopped gateway are queued again; Rundeck is asked whether they ran "
                    "before they run again",
                    {{"jobs", n}});
        first = false;
        next_expire = now + lease_ms / 3;
      }
      if (now >= next_purge && !stopping) {
        next_purge = now + kPurgeEveryMs;
        if (const int64_t n = outbox_.purge_done(now - cfg.outbox.retain_done_hours * 3600 * 1000))
          log::info("purged finished jobs", {{"jobs", n}});
        // Kept for the console: purged with the store's retention even when the console is off now.
        if (const int64_t n = outbox_.deliveries().purge(now - cfg.console.deliveries.retain_hours * 3600 * 1000))
          log::info("purged old deliveries", {{"deliveries", n}});
      }
      if (now >= next_renew) {
        next_renew = now + lease_ms / 3;
        std::vector<std::string> owners;
        {
          std::lock_guard lock(mu_);
          for (const auto &[name, n] : held_by_owner_)
            if (n > 0) owners.push_back(name);
        }
        for (const std::string &o : owners) outbox_.renew_leases(o, now + lease_ms);
      }
      if (now >= next_expire && !stopping) {
        next_expire = now + lease_ms / 3;
        if (const int64_t n = outbox_.expire_leases(now))
          log::warn("took over jobs whose gateway's lease expired; Rundeck is asked whether they ran before they "
                    "run again",
                    {{"jobs", n}});
      }

      if (pending.empty() && free == 0 && !stopping) {
        // Every slot busy and no outcome to record: a transaction would only read the next due
        // time, which matters once a slot frees, and a finished call wakes us then.
        wait_for_work(now, INT64_MAX);
        continue;
      }
      ClaimResult r = outbox_.settle_and_claim(owner, pending, free, now, lease_ms);
      for (int64_t id : r.lost)
        log::warn("a job's lease was taken over by another gateway before its outcome was recorded; the new owner "
                  "reconciles it",
                  {{"job_row", id}});
      {
        std::lock_guard lock(mu_);
        for (const Settlement &s : pending) {
          --busy_;
          if (--held_by_owner_[s.owner] == 0) held_by_owner_.erase(s.owner);
        }
        for (OutboxJob &j : r.jobs) {
          ++busy_;
          ++held_by_owner_[j.owner];
          todo_.push_back({std::move(j), rt});
        }
        if (!r.jobs.empty()) work_cv_.notify_all();
      }
      pending.clear();
      // All free slots filled: more may be due. Fewer: nothing else is due before next_due_ms.
      // While stopping, record as outcomes come.
      if ((free > 0 && r.jobs.size() == free) || stopping) continue;
      wait_for_work(now, r.next_due_ms);
    } catch (const OutboxError &e) {
      if (stopping && now_ms() >= stop_deadline) {
        log::error("stopping before every outcome was recorded: those jobs are reconciled at the next start",
                   {{"jobs", pending.size()}, {"error", e.what()}});
        break;
      }
      log::error("cannot record or claim jobs; retrying", {{"error", e.what()}});
      {
        // The commit may have happened: jobs claimed by it would be held by `owner` without being
        // run. Claims use a new name from now on, so the old one's leases lapse once its jobs in
        // hand are recorded; those jobs are then reconciled and run by whoever claims them.
        std::lock_guard lock(mu_);
        owner_ = base_owner_ + "#" + std::to_string(++owner_epoch_);
      }
      if (stopping) std::this_thread::sleep_for(std::chrono::milliseconds(100)); // wait_until returns at once
      else wait_until(now_ms() + kDbRetryMs);
    }
  }
}

void Dispatcher::work() {
  RundeckClient client; // one per worker: it keeps its connections to Rundeck
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !todo_.empty(); });
      if (todo_.empty()) return; // stopping, nothing left
      task = std::move(todo_.front());
      todo_.pop_front();
    }
    Settlement s = execute(client, task.job, *task.runtime);
    s.id = task.job.id;
    s.owner = task.job.owner;
    std::lock_guard lock(mu_);
    results_.push_back(std::move(s));
    wake_ = true;
    wake_cv_.notify_all();
  }
}

Settlement Dispatcher::retry_later(const OutboxJob &job, const RetrySettings &retry, int64_t min_delay_ms,
                                   int64_t http_status, const std::string &reason) {
  int64_t delay;
  {
    std::lock_guard lock(mu_);
    delay = retry_delay_ms(job.attempts, retry, rng_);
  }
  Settlement s;
  s.status = "queued";
  s.next_attempt_ms = now_ms() + std::max(delay, min_delay_ms);
  s.http_status = http_status;
  s.reason = reason;
  s.uncertain = job.uncertain;
  s.sent_ms = job.sent_ms;
  return s;
}

void Dispatcher::auth_failed(const OutboxJob &job, const Runtime &rt, long http_status, const std::string &reason) {
  const RundeckSettings &rd = rt.config().rundeck;
  metrics_.rundeck_auth_failure();
  std::lock_guard lock(mu_);
  ++auth_failures_;
  pause_until_ms_ = now_ms() + retry_delay_ms(auth_failures_, rd.retry, rng_);
  const bool first = !auth_failing_;
  auth_failing_ = true;
  auth_reason_ = "Rundeck refuses the API token read from " + rd.auth_token_file + " (HTTP " +
                 std::to_string(http_status) + ": " + reason + "); jobs stay queued until it is fixed";
  if (first)
    log::error("Rundeck refuses the API token; jobs stay queued. Fix the token file and reload (SIGHUP)",
               {{"tokenFile", rd.auth_token_file}, {"status", http_status}, {"reason", reason},
                {"job_row", job.id}, {"webhook", job.webhook_name}});
}

void Dispatcher::auth_ok() {
  std::lock_guard lock(mu_);
  if (!auth_failing_) return;
  auth_failing_ = false;
  auth_failures_ = 0;
  pause_until_ms_ = 0;
  log::info("Rundeck accepts the API token again; dispatching resumes");
}

Settlement Dispatcher::execute(RundeckClient &client, const OutboxJob &job, const Runtime &rt) {
  const RundeckSettings &rd = rt.config().rundeck;
  if (abort_) {
    Settlement s = retry_later(job, rd.retry, 0, 0, "the gateway stopped before the call");
    s.next_attempt_ms = now_ms();
    return s;
  }
  std::string token_user;
  {
    std::lock_guard lock(mu_);
    token_user = token_user_;
  }

  if (job.uncertain) {
    // Its last call may have started it. Give a slow Rundeck time to finish creating the
    // execution, then look for it; run again only when there is none.
    const int64_t ready = job.sent_ms + rd.reconcile_delay_ms;
    if (now_ms() < ready) {
      Settlement s = retry_later(job, rd.retry, 0, job.http_status, job.reason);
      s.next_attempt_ms = ready;
      return s;
    }
    std::lock_guard one_at_a_time(reconcile_mu_);
    const ExecutionsOutcome q = client.job_executions(rd, rt.rundeck_token(), job.job_id, job.sent_ms - kClockSkewMs, abort_);
    if (q.kind == RunOutcome::Kind::auth) {
      auth_failed(job, rt, q.http_status, q.reason);
      return retry_later(job, rd.retry, 0, q.http_status, "cannot ask Rundeck whether it ran: " + q.reason);
    }
    if (q.kind != RunOutcome::Kind::started) {
      metrics_.job_retried(job.webhook_name, 0);
      log::warn("cannot ask Rundeck whether a job of unknown outcome ran; will ask again",
                {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}, {"reason", q.reason}});
      return retry_later(job, rd.retry, 0, q.http_status, "cannot ask Rundeck whether it ran: " + q.reason);
    }
    auth_ok();
    for (auto it = q.executions.rbegin(); it != q.executions.rend(); ++it) { // oldest first
      if (!execution_matches(*it, job.request_json, token_user)) continue;
      bool taken = true;
      try {
        taken = outbox_.execution_recorded(it->id);
      } catch (const OutboxError &e) {
        return retry_later(job, rd.retry, 0, 0, std::string("cannot check the outbox: ") + e.what());
      }
      if (taken) continue;
      metrics_.job_reconciled(job.webhook_name, true);
      log::info("reconciled: Rundeck had started the job; it is not run again",
                {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule}, {"job", job.job_id},
                 {"execution", it->id}});
      Settlement s;
      s.status = "done";
      s.execution_id = it->id;
      s.http_status = 200;
      s.reason = "reconciled: found execution " + it->id + " on Rundeck";
      s.next_attempt_ms = now_ms();
      return s;
    }
    metrics_.job_reconciled(job.webhook_name, false);
    log::info("reconciled: Rundeck has no run of the job; running it",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}});
  }

  const int64_t sent = now_ms();
  const auto t0 = std::chrono::steady_clock::now();
  const RunOutcome o = client.run_job(rd, rt.rundeck_token(), job.job_id, job.request_json, abort_);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Settlement s;
  s.http_status = o.http_status;
  s.next_attempt_ms = now_ms();
  switch (o.kind) {
  case RunOutcome::Kind::started:
    auth_ok();
    if (!o.user.empty()) {
      std::lock_guard lock(mu_);
      token_user_ = o.user;
    }
    s.status = "done";
    s.execution_id = o.execution_id;
    metrics_.job_run(job.webhook_name, secs);
    log::info("job started", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                              {"job", job.job_id}, {"execution", o.execution_id}, {"attempt", job.attempts},
                              {"ms", static_cast<int64_t>(secs * 1000)}});
    return s;
  case RunOutcome::Kind::refused:
    auth_ok();
    s.status = "refused";
    s.reason = o.reason;
    metrics_.job_refused(job.webhook_name, secs);
    log::error("job refused by Rundeck", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                                          {"job", job.job_id}, {"status", o.http_status}, {"reason", o.reason},
                                          {"attempt", job.attempts}});
    return s;
  case RunOutcome::Kind::auth: {
    auth_failed(job, rt, o.http_status, o.reason);
    metrics_.job_retried(job.webhook_name, secs);
    Settlement r = retry_later(job, rd.retry, 0, o.http_status, o.reason);
    r.uncertain = false; // it did not run: Rundeck refused the call
    r.sent_ms = 0;
    r.next_attempt_ms = now_ms(); // held back by the pause, not by its own backoff
    return r;
  }
  case RunOutcome::Kind::retry:
  case RunOutcome::Kind::unknown: {
    const bool unknown = o.kind == RunOutcome::Kind::unknown;
    int64_t min_delay = unknown ? rd.reconcile_delay_ms : 0;
    if (o.retry_after_ms > 0) min_delay = std::max(min_delay, std::min(o.retry_after_ms, rd.retry.max_delay_ms));
    Settlement r = retry_later(job, rd.retry, min_delay, o.http_status, o.reason);
    r.uncertain = unknown;
    r.sent_ms = unknown ? sent : 0;
    metrics_.job_retried(job.webhook_name, secs);
    log::warn(unknown ? "job run call of unknown outcome; Rundeck is asked whether it ran before any new attempt"
                      : "job run failed; will retry",
              {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}, {"status", o.http_status},
               {"reason", o.reason}, {"attempt", job.attempts}, {"retry_in_ms", r.next_attempt_ms - now_ms()}});
    return r;
  }
  }
  return s;
}

} // namespace rdwh::gateway
