// The coordinator's timed chores: leases (the jobs of gateways gone taken over, ours renewed,
// expired ones taken over) and purges, each at most every third of a lease or every hour.
#include "dispatch/dispatcher.hpp"

#include "base/log.hpp"

namespace rdwh::gateway {

namespace {

constexpr int64_t kPurgeEveryMs = 60 * 60 * 1000;

} // namespace

void Dispatcher::maintain(Coordination &st, const Round &r) {
  if (!st.started) take_over_at_start(st, r);
  if (r.now >= st.next_purge && !r.stopping) purge(st, r);
  if (r.now >= st.next_renew) renew_leases(st, r);
  if (r.now >= st.next_expire && !r.stopping) expire_leases(st, r);
}

// Jobs left running by a gateway that is gone: queued again, to be reconciled first.
void Dispatcher::take_over_at_start(Coordination &st, const Round &r) {
  const int64_t n = outbox_.expire_leases(r.now, take_over_others_ ? r.owner : std::string());
  if (n > 0)
    log::warn("jobs left running by a stopped gateway are queued again; Rundeck is asked whether they ran "
              "before they run again",
              {{"jobs", n}});
  st.started = true;
  st.next_expire = r.now + r.lease_ms / 3;
}

void Dispatcher::purge(Coordination &st, const Round &r) {
  const Config &cfg = r.rt->config();
  st.next_purge = r.now + kPurgeEveryMs;
  if (const int64_t n = outbox_.purge_done(r.now - cfg.outbox.retain_done_hours * 3600 * 1000))
    log::info("purged finished jobs", {{"jobs", n}});
  // The delivery store is kept by its recorder's thread (intake/recorder.hpp), off this one.
}

// Every name we claimed jobs under that still holds some (see outbox_failed).
void Dispatcher::renew_leases(Coordination &st, const Round &r) {
  st.next_renew = r.now + r.lease_ms / 3;
  std::vector<std::string> owners;
  {
    std::lock_guard lock(mu_);
    for (const auto &[name, n] : held_by_owner_)
      if (n > 0) owners.push_back(name);
  }
  for (const std::string &o : owners) outbox_.renew_leases(o, r.now + r.lease_ms);
}

void Dispatcher::expire_leases(Coordination &st, const Round &r) {
  st.next_expire = r.now + r.lease_ms / 3;
  if (const int64_t n = outbox_.expire_leases(r.now))
    log::warn("took over jobs whose gateway's lease expired; Rundeck is asked whether they ran before they "
              "run again",
              {{"jobs", n}});
}

} // namespace rdwh::gateway
