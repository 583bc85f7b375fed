// The dispatcher thread: takes due jobs from the outbox one at a time and runs them on Rundeck,
// with exponential backoff and jitter on temporary failures. Rundeck's settings and token are
// read from the current runtime for every call, so a reload applies to the next call.
//
// At-least-once window: a job is marked running (committed) before the call and done right after
// Rundeck answers. If the process dies between Rundeck starting the job and that commit, the row
// is still "running" at the next start, goes back to "queued", and the job runs a second time.
// The window is one HTTP answer plus one SQLite commit wide; nothing can close it without
// Rundeck supporting idempotency keys.
#pragma once

#include "metrics.hpp"
#include "outbox.hpp"
#include "rundeck_client.hpp"
#include "runtime.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>

namespace rdwh::gateway {

class Dispatcher {
public:
  Dispatcher(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime);
  ~Dispatcher();
  Dispatcher(const Dispatcher &) = delete;
  Dispatcher &operator=(const Dispatcher &) = delete;

  void start();
  // New jobs were queued, or the config changed: look at the outbox again now.
  void notify();
  // Stops after the call in progress (if any) has been answered and recorded. Idempotent.
  void stop();

private:
  void run();
  void dispatch(const OutboxJob &job, const Runtime &rt);
  // Runs an outbox write, retrying every second while the database refuses it (a lost "done"
  // would run the job again after a restart). False when stopping before it succeeded.
  template <class F> bool persist(const OutboxJob &job, F &&write);
  // Waits up to `ms`, or until notify()/stop(). False when stopping.
  bool wait_for_ms(int64_t ms);

  Outbox &outbox_;
  Metrics &metrics_;
  const CurrentRuntime &runtime_;
  RundeckClient client_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, wake_ = false;
  std::thread thread_;
};

// The delay before attempt `attempts + 1`: initial * 2^(attempts-1), capped at max, then "equal
// jitter" (half fixed, half random) so a crowd of retries does not hit Rundeck in step.
int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng);

} // namespace rdwh::gateway
