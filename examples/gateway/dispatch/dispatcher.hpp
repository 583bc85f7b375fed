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
//
// Files: coordinator.cpp (the loop), maintenance.cpp (leases, purges), worker.cpp (the calls),
// reconcile.cpp (unknown outcomes), settle.hpp (the decisions, pure); this one, the token's pause.
#pragma once

#include "base/metrics.hpp"
#include "dispatch/settle.hpp"
#include "store/outbox.hpp"
#include "rundeck/client.hpp"
#include "rundeck/run_request.hpp"
#include "runtime/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
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
  // The coordinator's own state, across rounds.
  // Timers are on the monotonic clock (mono_ms()); the outbox's times on its clock (clock_ms()).
  struct Coordination {
    int64_t next_purge = 0, next_renew = 0, next_expire = 0; // mono
    int64_t stop_deadline = INT64_MAX; // mono; set when stopping begins
    bool started = false;              // the jobs of gateways gone were taken over
    std::vector<Settlement> pending;   // outcomes to record (kept while recording fails)
    ClockWatch clock;                  // steps of the outbox's clock
    PurgeClock purge_clock;            // the time purges trust
  };
  // One round's look at the shared state.
  struct Round {
    std::shared_ptr<const Runtime> rt;
    int64_t now = 0;  // the outbox's clock
    int64_t mono = 0; // the monotonic clock, read with it
    int64_t lease_ms = 0;
    size_t free = 0; // how many jobs to claim
    bool stopping = false;
    std::string owner; // the name claims use
  };

  // coordinator.cpp: records outcomes, claims jobs, hands them to the workers.
  void coordinate();
  Round begin_round(Coordination &st);
  bool await_last_outcomes(Coordination &st, int64_t now); // false: stop now
  // Records the outcomes and claims jobs in one transaction; returns the claim's count and next due time.
  std::pair<size_t, int64_t> settle_and_claim(Coordination &st, const Round &r);
  bool outbox_failed(Coordination &st, const Round &r, const OutboxError &e); // false: stop now
  void wait_for_work(const Coordination &st, const Round &r, int64_t due_ms);
  bool wait_until(int64_t mono_deadline_ms); // false when stopping
  // The outcomes' due times from when they were decided to now (a step between keeps the wait).
  void rebase(std::vector<Settlement> &pending, int64_t now);
  // maintenance.cpp: leases (taken over at start, renewed, expired) and purges.
  void maintain(Coordination &st, const Round &r);
  void take_over_at_start(Coordination &st, const Round &r);
  void purge(Coordination &st, const Round &r);
  void renew_leases(Coordination &st, const Round &r);
  void expire_leases(Coordination &st, const Round &r);
  void clock_stepped(const Round &r, int64_t step_ms);
  // The leases this gateway holds, per job row: the monotonic time until which its claim or last
  // renewal keeps it (read before that statement was sent, so never later than the database's).
  void note_leases(const std::vector<int64_t> &ids, int64_t mono_sent, int64_t lease_ms);
  bool lease_lapsed(int64_t job_row);
  // worker.cpp: each job in one pass: decide (settle.hpp), then do (report), then talk.
  void work();
  Settlement attempt(RundeckClient &client, const OutboxJob &job, const Runtime &rt, std::mt19937_64 &rng);
  void report_run(const Verdict &v, const OutboxJob &job, const Runtime &rt, const RunOutcome &o, double secs);
  // A job whose run call cannot be built (a key gone from key storage): refused, and said so.
  Settlement unsendable(const OutboxJob &job, const std::string &why);
  // reconcile.cpp: whether Rundeck started a job whose last call had an unknown outcome.
  // `body`: the job's run call as sent (its key-storage values put back), to match executions.
  Reconciliation reconcile(RundeckClient &client, const OutboxJob &job, const SendableBody &body, const Runtime &rt);
  std::optional<std::string> first_unrecorded(const std::vector<std::string> &ids); // throws OutboxError
  void report_reconciliation(const Verdict &v, const OutboxJob &job, const Runtime &rt, const Reconciliation &r);
  // dispatcher.cpp: what an answer said about the API token (the authentication pause).
  void note_token(Verdict::Token token, const OutboxJob &job, const Runtime &rt, long http_status,
                  const std::string &reason);
  void auth_failed(const OutboxJob &job, const Runtime &rt, long http_status, const std::string &reason);
  void auth_ok();

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
  std::map<int64_t, int64_t> lease_ok_until_;    // per job row held: mono time its lease is sure until
  std::string owner_;               // the name claims use now (changes after a commit of unknown outcome)
  int owner_epoch_ = 0;

  // Authentication state (guarded by mu_).
  bool auth_failing_ = false;
  int64_t auth_failures_ = 0;
  int64_t pause_until_ms_ = 0; // mono
  std::string auth_reason_;
  std::string token_user_; // the user Rundeck runs jobs as for our token (from run answers)

  std::mt19937_64 rng_{std::random_device{}()}; // the pause's jitter; guarded by mu_
  std::mutex reconcile_mu_; // one reconciliation at a time: two jobs never take one execution
  std::thread coordinator_;
  std::vector<std::thread> workers_;
};

// A process identity for leases: host name, pid and a random part.
std::string make_owner_id();

} // namespace rdwh::gateway
