// The follower: polls every started execution until it ends (dispatch/follow.hpp decides), on
// its own thread and its own Rundeck connection, in transactions of its own: never on the intake
// path, never inside the dispatcher's.
//
// Each round claims the executions due for a poll (leased like dispatch's jobs, so two gateways
// sharing PostgreSQL never poll one execution in one round, and a gateway that dies leaves them to
// the others once its lease ends; on SQLite, the next start takes them over at once). A project
// with several unfinished executions is asked for its running ones in one call, and only those
// no longer running are read one by one. Then every poll's result is recorded in one transaction
// (store/outbox.hpp, record_follow), and the executions seen ending are counted.
#pragma once

#include "base/metrics.hpp"
#include "rundeck/client.hpp"
#include "runtime/runtime.hpp"
#include "store/outbox.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rdwh::gateway {

class Follower {
public:
  // owner: this process's identity in the follow leases. take_over_others: executions another
  // owner polls are taken at once (SQLite: the state directory's lock proves that owner dead).
  Follower(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner, bool take_over_others);
  ~Follower();
  Follower(const Follower &) = delete;
  Follower &operator=(const Follower &) = delete;

  void start();
  // Stops within about a second (a poll in flight is cut off; what it was is polled again). Idempotent.
  void stop();

private:
  void loop();
  // One round; returns how long to wait before the next (ms).
  int64_t round(RundeckClient &client);
  // Polls the claimed executions; starts none after mono_deadline (half their lease).
  std::vector<FollowUpdate> poll(RundeckClient &client, const Runtime &rt, const FollowClaim &claim, int64_t now,
                                 int64_t mono_deadline);
  // The follow-up (note, resolve) the final ones' webhooks ask for, stored with their status.
  void ask_follow_up(const Runtime &rt, std::vector<FollowUpdate> &updates, const std::vector<OutboxJob> &jobs);
  void report(const std::vector<FollowUpdate> &updates, const std::vector<int64_t> &recorded,
              const std::vector<OutboxJob> &jobs);

  Outbox &outbox_;
  Metrics &metrics_;
  const CurrentRuntime &runtime_;
  const std::string owner_;
  const bool take_over_others_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> abort_{false};
  std::thread thread_;
};

} // namespace rdwh::gateway
