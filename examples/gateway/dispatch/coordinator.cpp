// The coordinator's loop: each round records the outcomes the workers reported and claims due
// jobs for the free workers, in one transaction, then sleeps until something is due.
#include "dispatch/dispatcher.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"

#include <algorithm>
#include <chrono>

namespace rdwh::gateway {

namespace {

constexpr int64_t kPollMs = 1000;      // also picks up jobs requeued by another process (--requeue)
constexpr int64_t kDbRetryMs = 1000;
constexpr int64_t kStopBoundMs = 2000; // how long stop() waits for outcomes to be recorded

} // namespace

void Dispatcher::coordinate() {
  Coordination st;
  for (;;) {
    const Round r = begin_round(st);
    if (r.stopping && st.pending.empty()) {
      if (await_last_outcomes(st, r.mono)) continue;
      break;
    }
    try {
      maintain(st, r);
      if (st.pending.empty() && r.free == 0 && !r.stopping) {
        // Every slot busy and no outcome to record: a transaction would only read the next due
        // time, which matters once a slot frees, and a finished call wakes us then.
        wait_for_work(st, r, INT64_MAX);
        continue;
      }
      const auto [claimed, next_due_ms] = settle_and_claim(st, r);
      // All free slots filled: more may be due. Fewer: nothing else is due before next_due_ms.
      // While stopping, record as outcomes come.
      if ((r.free > 0 && claimed == r.free) || r.stopping) continue;
      wait_for_work(st, r, next_due_ms);
    } catch (const OutboxError &e) {
      if (!outbox_failed(st, r, e)) break;
    }
  }
}

Dispatcher::Round Dispatcher::begin_round(Coordination &st) {
  Round r;
  r.rt = runtime_.get();
  const Config &cfg = r.rt->config();
  r.lease_ms = cfg.outbox.lease_seconds * 1000;
  r.mono = mono_ms();
  r.now = outbox_.clock_ms();
  std::lock_guard lock(mu_);
  for (Settlement &s : results_) st.pending.push_back(std::move(s));
  results_.clear();
  r.stopping = stop_;
  r.owner = owner_;
  if (r.stopping && st.stop_deadline == INT64_MAX) st.stop_deadline = r.mono + kStopBoundMs;
  // Calls in flight: claimed jobs whose outcome has not come back. The outcomes in `pending`
  // are recorded by the same transaction that claims, so their slots are free now.
  const size_t limit = cfg.rundeck.max_concurrent_calls, in_flight = busy_ - st.pending.size();
  if (!r.stopping && in_flight < limit) {
    r.free = limit - in_flight;
    if (auth_failing_) r.free = r.mono >= pause_until_ms_ && in_flight == 0 ? 1 : 0; // one probe at a time
  }
  return r;
}

// Stopping: calls in flight were cut off; waits (boundedly) for their outcomes to record them.
bool Dispatcher::await_last_outcomes(Coordination &st, int64_t mono) {
  std::unique_lock lock(mu_);
  if (busy_ == 0) return false;
  wake_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(st.stop_deadline - mono, 0)),
                    [this] { return !results_.empty(); });
  if (results_.empty()) {
    log::warn("stopping before every outcome was recorded: those jobs are reconciled at the next start",
              {{"jobs", busy_}});
    return false;
  }
  return true;
}

std::pair<size_t, int64_t> Dispatcher::settle_and_claim(Coordination &st, const Round &r) {
  rebase(st.pending, r.now);
  const int64_t sent = mono_ms();
  ClaimResult c = outbox_.settle_and_claim(r.owner, st.pending, r.free, r.now, r.lease_ms);
  for (int64_t id : c.lost)
    log::warn("a job's lease was taken over by another gateway before its outcome was recorded; the new owner "
              "reconciles it",
              {{"job_row", id}});
  {
    std::lock_guard lock(mu_);
    for (const Settlement &s : st.pending) {
      --busy_;
      lease_ok_until_.erase(s.id);
      if (--held_by_owner_[s.owner] == 0) held_by_owner_.erase(s.owner);
    }
    for (OutboxJob &j : c.jobs) {
      ++busy_;
      ++held_by_owner_[j.owner];
      lease_ok_until_[j.id] = sent + r.lease_ms;
      todo_.push_back({std::move(j), r.rt});
    }
    if (!c.jobs.empty()) work_cv_.notify_all();
  }
  st.pending.clear();
  return {c.jobs.size(), c.next_due_ms};
}

bool Dispatcher::outbox_failed(Coordination &st, const Round &r, const OutboxError &e) {
  if (r.stopping && mono_ms() >= st.stop_deadline) {
    log::error("stopping before every outcome was recorded: those jobs are reconciled at the next start",
               {{"jobs", st.pending.size()}, {"error", e.what()}});
    return false;
  }
  log::error("cannot record or claim jobs; retrying", {{"error", e.what()}});
  {
    // The commit may have happened: jobs claimed by it would be held by `owner` without being
    // run. Claims use a new name from now on, so the old one's leases lapse once its jobs in
    // hand are recorded; those jobs are then reconciled and run by whoever claims them.
    std::lock_guard lock(mu_);
    owner_ = base_owner_ + "#" + std::to_string(++owner_epoch_);
  }
  if (r.stopping) std::this_thread::sleep_for(std::chrono::milliseconds(100)); // wait_until returns at once
  else wait_until(mono_ms() + kDbRetryMs);
  return true;
}

// Until a job is due at due_ms (the outbox's clock), a timer's time, a poll, or a wake-up (an
// outcome, a new job). The wait is on the monotonic clock: a step of the wall clock neither
// lengthens nor shortens it.
void Dispatcher::wait_for_work(const Coordination &st, const Round &r, int64_t due_ms) {
  const int64_t due = due_ms == INT64_MAX ? INT64_MAX : r.mono + std::max<int64_t>(due_ms - r.now, 0);
  int64_t deadline = std::min({due, st.next_renew, st.next_expire, st.next_purge, r.mono + kPollMs});
  {
    std::lock_guard lock(mu_);
    if (auth_failing_) deadline = std::min(deadline, std::max(pause_until_ms_, r.mono));
  }
  wait_until(deadline);
}

void Dispatcher::rebase(std::vector<Settlement> &pending, int64_t now) {
  for (Settlement &s : pending) {
    if (s.decided_ms) s.next_attempt_ms += now - s.decided_ms;
    s.decided_ms = now;
  }
}

bool Dispatcher::wait_until(int64_t mono_deadline_ms) {
  std::unique_lock lock(mu_);
  const int64_t ms = std::max<int64_t>(mono_deadline_ms - mono_ms(), 0);
  wake_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_ || wake_; });
  wake_ = false;
  return !stop_;
}

} // namespace rdwh::gateway
