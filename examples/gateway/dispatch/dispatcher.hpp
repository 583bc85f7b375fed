// The dispatcher: runs the outbox's jobs on Rundeck, up to rundeck.maxConcurrentCalls at once.
//
// One coordinator thread owns every outbox write of the dispatcher: in one transaction per step
// it records the outcomes the workers reported and claims as many due jobs as there are free
// workers (the outbox only offers a resource's job once its earlier jobs are finished, so an
// incident's jobs start in the order their events arrived). It renews the leases of the jobs it
// holds, expires the leases of dead gateways' jobs, and purges old finished jobs. Worker threads
// make the calls: a job whose last call had an unknown outcome is first looked up in Rundeck's
// executions (reconciliation) and runs only when Rundeck has no matching execution.
//
// Rundeck refusing the API token (401/403) pauses dispatch (jobs stay queued) with a growing
// delay, probing with one job at a time; degraded_reason() says why, for /healthz. A reload
// (notify_reloaded) ends the pause at once.
#pragma once

#include "base/metrics.hpp"
#include "store/outbox.hpp"
#include "rundeck/client.hpp"
#include "runtime/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace rdwh::gateway {

class Dispatcher {
public:
  // owner: this process's identity in the outbox's leases (unique among the gateways sharing it).
  // take_over_others: at start, every job another owner left running is taken over at once
  // (SQLite: the state directory's lock proves that owner dead); else only when its lease expires.
  Dispatcher(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
             bool take_over_others);
  ~Dispatcher();
  Dispatcher(const Dispatcher &) = delete;
  Dispatcher &operator=(const Dispatcher &) = delete;

  void start();
  // New jobs may be queued: look at the outbox now.
  void notify();
  // The config was reloaded (maybe a new token): end an authentication pause and look again.
  void notify_reloaded();
  // Stops within about two seconds: calls in flight are cut off (their outcome is unknown: they
  // are queued again, marked for reconciliation), outcomes known are recorded. Idempotent.
  void stop();

  // Why dispatch is degraded ("" when it is not): Rundeck refuses the API token.
  std::string degraded_reason() const;

private:
  struct Task {
    OutboxJob job;
    std::shared_ptr<const Runtime> runtime;
  };
  void coordinate();
  void work();
  Settlement execute(RundeckClient &client, const OutboxJob &job, const Runtime &rt);
  // Returns the settlement for a job left queued: a retry after the backoff (or `min_delay_ms`).
  Settlement retry_later(const OutboxJob &job, const RetrySettings &retry, int64_t min_delay_ms, int64_t http_status,
                         const std::string &reason);
  void auth_failed(const OutboxJob &job, const Runtime &rt, long http_status, const std::string &reason);
  void auth_ok();
  bool wait_until(int64_t deadline_ms); // false when stopping

  Outbox &outbox_;
  Metrics &metrics_;
  const CurrentRuntime &runtime_;
  const std::string base_owner_;
  const bool take_over_others_;

  mutable std::mutex mu_;
  std::condition_variable wake_cv_; // the coordinator's
  std::condition_variable work_cv_; // the workers'
  bool stop_ = false, wake_ = false;
  std::atomic<bool> abort_{false};  // cuts off calls in flight
  std::deque<Task> todo_;           // claimed, not yet taken by a worker
  std::vector<Settlement> results_; // reported by workers, not yet recorded
  size_t busy_ = 0;                 // claimed and not yet recorded
  std::map<std::string, size_t> held_by_owner_; // jobs claimed (not recorded) per owner name used
  std::string owner_;               // the name claims use now (changes after a commit of unknown outcome)
  int owner_epoch_ = 0;

  // Authentication state (guarded by mu_).
  bool auth_failing_ = false;
  int64_t auth_failures_ = 0;
  int64_t pause_until_ms_ = 0;
  std::string auth_reason_;
  std::string token_user_; // the user Rundeck runs jobs as for our token (from run answers)

  std::mt19937_64 rng_{std::random_device{}()}; // guarded by mu_
  std::mutex reconcile_mu_; // one reconciliation at a time: two jobs never take one execution
  std::thread coordinator_;
  std::vector<std::thread> workers_;
};

// The delay before attempt `attempts + 1`: initial * 2^(attempts-1), capped at max, then "equal
// jitter" (half fixed, half random) so a crowd of retries does not hit Rundeck in step.
int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng);

// A process identity for leases: host name, pid and a random part.
std::string make_owner_id();

} // namespace rdwh::gateway
