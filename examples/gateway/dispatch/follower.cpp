#include "dispatch/follower.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "dispatch/follow.hpp"
#include "pagerduty/client.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace rdwh::gateway {

namespace {

constexpr size_t kBatch = 100;      // executions claimed per round
constexpr int64_t kIdleMs = 1000;   // the longest wait between rounds (picks up executions started meanwhile)
constexpr int64_t kDbRetryMs = 1000;

} // namespace

Follower::Follower(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
                   bool take_over_others)
    : outbox_(outbox), metrics_(metrics), runtime_(runtime), owner_(std::move(owner)),
      take_over_others_(take_over_others) {}

Follower::~Follower() { stop(); }

void Follower::start() { thread_ = std::thread([this] { loop(); }); }

void Follower::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    abort_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Follower::loop() {
  RundeckClient client; // its own connections: a slow poll never holds up a run call
  for (;;) {
    int64_t wait_ms = kDbRetryMs;
    try {
      wait_ms = round(client);
    } catch (const OutboxError &e) {
      log::error("cannot follow executions; retrying", {{"error", e.what()}});
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_; });
    if (stop_) return;
  }
}

int64_t Follower::round(RundeckClient &client) {
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  const Config &cfg = rt->config();
  const int64_t now = outbox_.clock_ms();
  const FollowClaim claim = outbox_.claim_follow(owner_, kBatch, now, cfg.outbox.lease_seconds * 1000,
                                                 take_over_others_ ? owner_ : std::string());
  if (!claim.jobs.empty()) {
    std::vector<FollowUpdate> updates = poll(client, *rt, claim, now, mono_ms() + cfg.outbox.lease_seconds * 500);
    if (abort_) return 0; // polls cut off: their leases lapse, and whoever follows them next polls again
    ask_follow_up(*rt, updates, claim.jobs);
    report(updates, outbox_.record_follow(updates, outbox_.clock_ms()), claim.jobs);
    if (claim.jobs.size() == kBatch) return 0; // more may be due
  }
  if (claim.next_due_ms == INT64_MAX) return kIdleMs;
  return std::clamp<int64_t>(claim.next_due_ms - now, 10, kIdleMs);
}

std::vector<FollowUpdate> Follower::poll(RundeckClient &client, const Runtime &rt, const FollowClaim &claim,
                                         int64_t now, int64_t mono_deadline) {
  const RundeckSettings &rd = rt.config().rundeck;
  const int64_t max_hours = rd.follow_up_max_hours;
  std::vector<FollowUpdate> out;
  std::map<std::string, std::vector<const OutboxJob *>> by_project;
  for (const OutboxJob &j : claim.jobs) {
    if (max_hours == 0 || now >= follow::give_up_at(j, max_hours)) out.push_back(follow::gave_up(j, max_hours));
    else by_project[j.project].push_back(&j);
  }
  for (const auto &[project, jobs] : by_project) {
    // Several unfinished in one project: one call says which still run; only the others are read.
    std::set<std::string> running;
    const auto unfinished = claim.unfinished.find(project);
    if (unfinished != claim.unfinished.end() && unfinished->second >= 2) {
      const RunningExecutions r = client.running_executions(rd, rt.rundeck_token(), project, abort_);
      if (!r.ok) {
        for (const OutboxJob *j : jobs)
          out.push_back(follow::not_final(*j, now, max_hours, "cannot ask Rundeck: " + r.reason));
        continue;
      }
      running.insert(r.ids.begin(), r.ids.end());
    }
    for (const OutboxJob *j : jobs) {
      if (abort_) return out;
      // Past half the lease (a slow Rundeck): no new poll, so none outlives the lease and another
      // gateway never polls one of ours at the same time. The rest are polled once their lease ends.
      if (mono_ms() >= mono_deadline) return out;
      if (running.count(j->execution_id)) out.push_back(follow::not_final(*j, now, max_hours));
      else out.push_back(follow::after_lookup(*j, client.execution(rd, rt.rundeck_token(), j->execution_id, abort_),
                                              outbox_.clock_ms(), max_hours));
    }
  }
  return out;
}

void Follower::ask_follow_up(const Runtime &rt, std::vector<FollowUpdate> &updates, const std::vector<OutboxJob> &jobs) {
  if (!rt.config().pagerduty.enabled) return;
  for (FollowUpdate &u : updates) {
    if (u.execution_status == "running" || u.execution_status == follow::kGaveUp) continue;
    const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const OutboxJob &j) { return j.id == u.id; });
    if (job == jobs.end()) continue;
    // The webhook as it is now (a webhook deleted meanwhile asks for nothing).
    const Webhook *hook = rt.find_key(job->webhook_key);
    if (!hook) continue;
    const FollowUpSettings &f = hook->config.follow_up;
    u.note = f.note;
    u.resolve = f.resolve_on_success;
    u.output_lines = f.output_lines;
    u.marker = note_marker(u.execution_id);
  }
}

void Follower::report(const std::vector<FollowUpdate> &updates, const std::vector<int64_t> &recorded,
                      const std::vector<OutboxJob> &jobs) {
  const std::set<int64_t> done(recorded.begin(), recorded.end());
  for (const FollowUpdate &u : updates) {
    if (u.execution_status == "running") continue;
    const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const OutboxJob &j) { return j.id == u.id; });
    if (!done.count(u.id) || job == jobs.end()) {
      log::warn("an execution's follow lease was taken over before its final status was recorded; the new owner "
                "polls it again",
                {{"job_row", u.id}});
      continue;
    }
    if (u.execution_status != follow::kGaveUp) metrics_.execution_ended(u.execution_status);
    const bool bad = u.execution_status != "succeeded";
    log::write(bad ? log::Level::warn : log::Level::info, u.execution_status == follow::kGaveUp ? "execution no longer followed"
                                                                        : "execution ended",
                                  {{"job_row", u.id}, {"webhook", job->webhook_name}, {"job", job->job_id},
                                   {"execution", job->execution_id}, {"status", u.execution_status},
                                   {"duration_ms", u.duration_ms}, {"reason", u.reason}});
  }
}

} // namespace rdwh::gateway
