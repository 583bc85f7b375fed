// The coordinator's timed chores: leases (the jobs of gateways gone taken over, ours renewed,
// expired ones taken over), purges, and the outbox clock's steps. The chores' timers are on the
// monotonic clock: a wall-clock step neither brings a purge forward nor holds a renewal back.
#include "dispatch/dispatcher.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"

namespace rdwh::gateway {

namespace {

constexpr int64_t kPurgeEveryMs = 60 * 60 * 1000;
// The first purge waits this long after the start: a gateway started while its clock is stepped
// ahead has the time to see it stepped back before a purge trusts it (PurgeClock).
constexpr int64_t kFirstPurgeAfterMs = 10 * 60 * 1000;

} // namespace

void Dispatcher::maintain(Coordination &st, const Round &r) {
  if (const int64_t step = st.clock.observe(r.now, r.mono)) clock_stepped(r, step);
  if (!st.started) take_over_at_start(st, r);
  if (r.mono >= st.next_purge && !r.stopping) purge(st, r);
  if (r.mono >= st.next_renew) renew_leases(st, r);
  if (r.mono >= st.next_expire && !r.stopping) expire_leases(st, r);
}

// Jobs left running by a gateway that is gone: queued again, to be reconciled first.
void Dispatcher::take_over_at_start(Coordination &st, const Round &r) {
  const int64_t window = takeover_window_ms(r.rt->config().rundeck);
  const int64_t n = outbox_.expire_leases(r.now, window, take_over_others_ ? r.owner : std::string());
  if (n > 0)
    log::warn("jobs left running by a stopped gateway are queued again; Rundeck is asked whether they ran "
              "before they run again",
              {{"jobs", n}, {"reconcile_in_ms", window}});
  st.started = true;
  st.next_expire = r.mono + r.lease_ms / 3;
  st.next_purge = r.mono + kFirstPurgeAfterMs;
  st.purge_clock.trusted_now(r.now, r.mono);
}

// Finished jobs are the memory that makes a redelivery a no-op: a clock stepped ahead must not
// make them look old (purge_cutoff trusts the clock no further than the monotonic time elapsed).
void Dispatcher::purge(Coordination &st, const Round &r) {
  const Config &cfg = r.rt->config();
  st.next_purge = r.mono + kPurgeEveryMs;
  const int64_t trusted = st.purge_clock.trusted_now(r.now, r.mono);
  if (trusted < r.now - kClockStepToleranceMs)
    log::warn("the clock is ahead of the time elapsed since the last purge: purging by the elapsed time",
              {{"clock_ahead_ms", r.now - trusted}});
  if (const int64_t n = outbox_.purge_done(trusted - cfg.outbox.retain_done_hours * 3600 * 1000))
    log::info("purged finished jobs", {{"jobs", n}});
  // The delivery store is kept by its recorder's thread (intake/recorder.hpp), off this one.
}

// Every name we claimed jobs under that still holds some (see outbox_failed). A job whose lease
// is not renewed (the database is unreachable, or another gateway took it over) keeps its old
// term: once that passes, its worker starts no new call for it (lease_lapsed).
void Dispatcher::renew_leases(Coordination &st, const Round &r) {
  st.next_renew = r.mono + r.lease_ms / 3;
  std::vector<std::string> owners;
  {
    std::lock_guard lock(mu_);
    for (const auto &[name, n] : held_by_owner_)
      if (n > 0) owners.push_back(name);
  }
  for (const std::string &o : owners) {
    const int64_t sent = mono_ms();
    note_leases(outbox_.renew_leases(o, r.now, r.lease_ms), sent, r.lease_ms);
  }
}

void Dispatcher::note_leases(const std::vector<int64_t> &ids, int64_t mono_sent, int64_t lease_ms) {
  std::lock_guard lock(mu_);
  for (int64_t id : ids) {
    auto it = lease_ok_until_.find(id);
    if (it != lease_ok_until_.end()) it->second = mono_sent + lease_ms;
  }
}

bool Dispatcher::lease_lapsed(int64_t job_row) {
  std::lock_guard lock(mu_);
  auto it = lease_ok_until_.find(job_row);
  return it != lease_ok_until_.end() && mono_ms() >= it->second;
}

void Dispatcher::expire_leases(Coordination &st, const Round &r) {
  st.next_expire = r.mono + r.lease_ms / 3;
  const int64_t window = takeover_window_ms(r.rt->config().rundeck);
  if (const int64_t n = outbox_.expire_leases(r.now, window))
    log::warn("took over jobs whose gateway's lease expired; Rundeck is asked whether they ran (once that "
              "gateway's call can no longer create an execution) before they run again",
              {{"jobs", n}, {"reconcile_in_ms", window}});
}

// The outbox's clock moved against the monotonic clock. With an exclusive outbox every stored
// time is this gateway's clock: the waits and leases move with the step, so a retry never waits
// out a step back nor a reconciliation comes early after a step ahead. A shared outbox's clock is
// the database's (a step of ours does not move it): its steps are only reported.
void Dispatcher::clock_stepped(const Round &r, int64_t step_ms) {
  const bool shift = outbox_.exclusive();
  log::warn(shift ? "the clock stepped: the queued jobs' waits and the leases move with it"
                  : "the outbox's clock stepped (the database's clock)",
            {{"step_ms", step_ms}});
  if (shift) outbox_.shift_times(step_ms, r.now);
}

} // namespace rdwh::gateway
