#include "dispatcher.hpp"

#include "log.hpp"

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
constexpr int64_t kDbRetryMs = 1000;
} // namespace

int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng) {
  int64_t d = retry.initial_delay_ms;
  for (int64_t i = 1; i < attempts && d < retry.max_delay_ms; ++i) d *= 2;
  d = std::min(d, retry.max_delay_ms);
  std::uniform_int_distribution<int64_t> half(0, d / 2);
  return d - d / 2 + half(rng);
}

Dispatcher::Dispatcher(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime)
    : outbox_(outbox), metrics_(metrics), runtime_(runtime) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() { thread_ = std::thread([this] { run(); }); }

void Dispatcher::notify() {
  std::lock_guard lock(mu_);
  wake_ = true;
  cv_.notify_all();
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool Dispatcher::wait_for_ms(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(ms, 0)), [this] { return stop_ || wake_; });
  wake_ = false;
  return !stop_;
}

template <class F> bool Dispatcher::persist(const OutboxJob &job, F &&write) {
  for (;;) {
    try {
      write();
      return true;
    } catch (const OutboxError &e) {
      log::error("cannot record a job's outcome; retrying",
                 {{"job_row", job.id}, {"webhook", job.webhook_name}, {"error", e.what()}});
    }
    if (!wait_for_ms(kDbRetryMs)) {
      log::error("stopping before a job's outcome was recorded: it will run again after the restart",
                 {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id}});
      return false;
    }
  }
}

void Dispatcher::run() {
  int64_t next_purge = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      wake_ = false;
    }
    const std::shared_ptr<const Runtime> rt = runtime_.get();
    const int64_t now = now_ms();
    if (now >= next_purge) {
      next_purge = now + kPurgeEveryMs;
      try {
        const int64_t n = outbox_.purge_done(now - rt->config().outbox.retain_done_hours * 3600 * 1000);
        if (n > 0) log::info("purged finished jobs", {{"jobs", n}});
      } catch (const OutboxError &e) {
        log::warn("cannot purge finished jobs", {{"error", e.what()}});
      }
    }
    int64_t next_due = INT64_MAX;
    std::optional<OutboxJob> job;
    try {
      job = outbox_.claim_next(now, next_due);
    } catch (const OutboxError &e) {
      log::error("cannot read the outbox", {{"error", e.what()}});
      if (!wait_for_ms(kDbRetryMs)) return;
      continue;
    }
    if (!job) {
      if (!wait_for_ms(std::min(next_due, next_purge) - now)) return;
      continue;
    }
    dispatch(*job, *rt);
  }
}

void Dispatcher::dispatch(const OutboxJob &job, const Runtime &rt) {
  const RundeckSettings &rd = rt.config().rundeck;
  const auto t0 = std::chrono::steady_clock::now();
  const RunOutcome o = client_.run_job(rd, rt.rundeck_token(), job.job_id, job.request_json);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t ms = static_cast<int64_t>(secs * 1000);
  const int64_t now = now_ms();

  switch (o.kind) {
  case RunOutcome::Kind::started:
    if (!persist(job, [&] { outbox_.mark_done(job.id, o.execution_id, o.http_status, now); })) return;
    metrics_.job_run(job.webhook_name, secs);
    log::info("job started", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                              {"job", job.job_id}, {"execution", o.execution_id}, {"attempt", job.attempts},
                              {"ms", ms}});
    break;
  case RunOutcome::Kind::refused:
    if (!persist(job, [&] { outbox_.mark_refused(job.id, o.http_status, o.reason, now); })) return;
    metrics_.job_refused(job.webhook_name, secs);
    log::error("job refused by Rundeck", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"rule", job.rule},
                                          {"job", job.job_id}, {"status", o.http_status}, {"reason", o.reason},
                                          {"attempt", job.attempts}});
    break;
  case RunOutcome::Kind::retry: {
    int64_t delay = retry_delay_ms(job.attempts, rd.retry, rng_);
    if (o.retry_after_ms > 0) delay = std::min(std::max(delay, o.retry_after_ms), rd.retry.max_delay_ms);
    if (!persist(job, [&] { outbox_.mark_retry(job.id, now + delay, o.http_status, o.reason, now); })) return;
    metrics_.job_retried(job.webhook_name, secs);
    log::warn("job run failed; will retry", {{"job_row", job.id}, {"webhook", job.webhook_name}, {"job", job.job_id},
                                             {"status", o.http_status}, {"reason", o.reason},
                                             {"attempt", job.attempts}, {"retry_in_ms", delay}});
    break;
  }
  }
}

} // namespace rdwh::gateway
