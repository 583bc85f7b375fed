// The note sender: writes each ended execution's result back onto its PagerDuty incident (a note,
// and the incident's resolve when the webhook asks for it), on its own thread with its own
// connections to PagerDuty and Rundeck: never on the intake path, never inside the dispatcher's
// or the follower's transactions. dispatch/note.hpp decides; store/outbox.hpp keeps the rows.
//
// Each round claims the due rows (leased like dispatch's jobs: two gateways sharing PostgreSQL
// never send one row in one round; a row whose sender died is claimed again, uncertain, once its
// lease ends; on SQLite, the next start takes it over at once). A note reads the last
// followUp.outputLines lines of the execution's log (a log that cannot be read does not hold the
// note back: it says why), hides the values the run call took from key storage, and is posted.
// While PagerDuty refuses the token (401/403) no call is made until the token changes (a SIGHUP)
// or a while has passed, as the dispatcher does for Rundeck's.
#pragma once

#include "base/metrics.hpp"
#include "pagerduty/client.hpp"
#include "rundeck/client.hpp"
#include "runtime/runtime.hpp"
#include "store/outbox.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rdwh::gateway {

class NoteSender {
public:
  // owner, take_over_others: as the follower's (dispatch/follower.hpp).
  NoteSender(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
             bool take_over_others);
  ~NoteSender();
  NoteSender(const NoteSender &) = delete;
  NoteSender &operator=(const NoteSender &) = delete;

  void start();
  // Stops within about a second (a call in flight is cut off: its row is left uncertain). Idempotent.
  void stop();

private:
  void loop();
  // One round; returns how long to wait before the next (ms).
  int64_t round(PagerDutyClient &pd, RundeckClient &rd);
  // Makes the row's calls; a call that would start past `mono_deadline` is not made (untried).
  NoteUpdate send(PagerDutyClient &pd, RundeckClient &rd, const Runtime &rt, const NoteRow &row,
                  int64_t mono_deadline);
  // The note's text: the job's execution, the end of its log, key storage's values hidden.
  std::string content(RundeckClient &rd, const Runtime &rt, const NoteRow &row, const OutboxJob &job);
  void report(const std::vector<NoteRow> &rows, const std::vector<NoteUpdate> &updates,
              const std::vector<bool> &tried, const std::vector<int64_t> &recorded);

  Outbox &outbox_;
  Metrics &metrics_;
  const CurrentRuntime &runtime_;
  const std::string owner_;
  const bool take_over_others_;

  // PagerDuty refused the token whose hash is refused_token_: no call until it changes or until
  // probe_at_ms_ (monotonic).
  bool token_refused_ = false;
  size_t refused_token_ = 0;
  int64_t probe_at_ms_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> abort_{false};
  std::thread thread_;
};

} // namespace rdwh::gateway
