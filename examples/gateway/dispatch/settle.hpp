// Deciding what becomes of a job: pure functions from what Rundeck answered, the job and the
// settings to the settlement the outbox stores (and what the worker reports). No clock, no
// randomness, no I/O: the caller reads the clock and draws the backoff (retry_delay_ms).
//
// Invariants: a job whose call may have reached Rundeck is queued `uncertain`, with the time the
// call was sent, and is reconciled (Rundeck is asked whether it ran) before it runs again; a job
// Rundeck provably did not run is never marked uncertain by its call; a token Rundeck refuses is
// not the job's fault: the job is due again at once, held back by the dispatcher's pause rather
// than by its own backoff.
#pragma once

#include "config/config.hpp"
#include "rundeck/client.hpp"
#include "store/outbox.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace rdwh::gateway {

// The delay before attempt `attempts + 1`: initial * 2^(attempts-1), capped at max, then "equal
// jitter" (half fixed, half random) so a crowd of retries does not hit Rundeck in step.
int64_t retry_delay_ms(int64_t attempts, const RetrySettings &retry, std::mt19937_64 &rng);

// When a decision is taken: now, and the backoff drawn for the job (retry_delay_ms).
struct Moment {
  int64_t now_ms = 0;
  int64_t backoff_ms = 0;
};

// A decision: either the next call to make (reconcile, run) or the settlement to store.
struct Verdict {
  enum class Kind {
    reconcile,     // ask Rundeck whether the job's last call started it
    run,           // call Rundeck's run
    stopped,       // the gateway stopped before the call: queued, due now
    lapsed,        // the job's lease lapsed (its renewal failed): no new call; queued, due now
    wait,          // uncertain: Rundeck is given reconcileDelay to create the execution first
    query_refused, // the executions query: Rundeck refuses the token
    query_failed,  // the executions query failed otherwise: ask again after the backoff
    lookup_failed, // the outbox could not say whether an execution is another job's
    reconciled,    // Rundeck had started it: done with that execution
    started,       // the run call's outcomes (RunOutcome::Kind)
    refused,
    auth,
    retry,
    unknown
  };
  // What the answer says about the API token.
  enum class Token { unknown, accepted, refused };
  Kind kind = Kind::run;
  Token token = Token::unknown;
  Settlement settlement; // the one to store; not for reconcile and run
};

// Before any call: stopping, the job's lease lapsed (its renewal failed: another gateway may own
// the job now, so no new call starts), or whether the job must be reconciled first (and may be
// yet: not before its call was sent plus reconcileDelay, a wait never longer than reconcileDelay
// from now, whatever the clock did since the call).
Verdict settle_before_call(const OutboxJob &job, const RundeckSettings &rd, int64_t now_ms, bool stopping,
                           bool lease_lapsed = false);

// A job taken over from a gateway whose lease expired may still be in that gateway's run call,
// which could create an execution until the call's deadline: the call started before the lease
// ran out (an owner that failed to renew starts no new call), and Rundeck may take up to the
// connect and request timeouts plus reconcileDelay to create its execution. So the new owner
// reconciles it no earlier than the lease's end (the last renewal plus the lease, never before
// the last renewal), or the takeover when that comes first (a gateway known dead at start), plus
// this window: connectTimeoutSeconds + timeoutSeconds + reconcileDelaySeconds.
int64_t takeover_window_ms(const RundeckSettings &rd);
// When a job taken over at `now_ms`, whose lease ran until `lease_until_ms`, may be reconciled
// (the SQL of Outbox::expire_leases says the same: the earlier of the two, plus the window).
int64_t takeover_reconcile_at(int64_t lease_until_ms, int64_t now_ms, const RundeckSettings &rd);

// Wall-clock steps, seen by the dispatcher as a change of the outbox clock against the monotonic
// clock. A change beyond kClockStepToleranceMs between two readings is a step; smaller ones
// (NTP's slewing, a reading's latency) are not.
inline constexpr int64_t kClockStepToleranceMs = 1000;
struct ClockWatch {
  bool known = false;
  int64_t offset = 0; // clock - mono at the last reading
  // The step since the last reading (positive: ahead), 0 when none; the first reading sees none.
  int64_t observe(int64_t clock_ms, int64_t mono_ms);
};

// The time a purge may trust: the clock, but never more than the monotonic time elapsed ahead of
// the last trusted time, so a clock stepped ahead (even for seconds) never makes a finished job
// look older than it is; a clock stepped back is trusted at once (rows are then kept longer).
struct PurgeClock {
  bool known = false;
  int64_t trusted = 0, mono = 0;
  int64_t trusted_now(int64_t clock_ms, int64_t mono_ms);
};
// The purge's cutoff: finished jobs last updated before it are deleted.
int64_t purge_cutoff(PurgeClock &clock, int64_t clock_ms, int64_t mono_ms, int64_t retain_ms);

// The job's run call cannot be built: a key-storage value it holds is gone (`why` names the key).
// Refused, as Rundeck's refusals are: requeued by the operator once the key is back.
Verdict settle_unsendable(const OutboxJob &job, const std::string &why, int64_t now_ms);

// What reconciliation learned from Rundeck's executions and the outbox.
struct Reconciliation {
  RunOutcome::Kind kind = RunOutcome::Kind::retry; // the query's: started when Rundeck answered
  long http_status = 0;
  std::string reason;       // why Rundeck could not be asked
  std::optional<std::string> execution_id; // the oldest matching execution no other job holds
  std::string lookup_error; // the outbox could not be asked ("": it could, or was not)
};

// The executions that may be the job's run (rundeck's execution_matches), oldest first.
std::vector<std::string> matching_executions(const std::vector<Execution> &newest_first,
                                             const std::string &request_json, const std::string &token_user);

// After reconciliation: query_refused, query_failed, lookup_failed, reconciled, or run.
Verdict settle_reconciliation(const OutboxJob &job, const Reconciliation &r, const Moment &m);

// After the run call, sent at `sent_ms`: started, refused, auth, retry or unknown.
Verdict settle_run(const OutboxJob &job, const RundeckSettings &rd, const RunOutcome &o, int64_t sent_ms,
                   const Moment &m);

} // namespace rdwh::gateway
