#include "dispatch/note_sender.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "dispatch/note.hpp"
#include "rundeck/run_request.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

namespace rdwh::gateway {

namespace {

constexpr size_t kBatch = 20;          // rows claimed per round
constexpr int64_t kIdleMs = 1000;      // the longest wait between rounds (picks up rows made meanwhile)
constexpr int64_t kDbRetryMs = 1000;
constexpr int64_t kAuthProbeMs = 30000; // a refused token is tried again after this, even unchanged

} // namespace

NoteSender::NoteSender(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
                       bool take_over_others)
    : outbox_(outbox), metrics_(metrics), runtime_(runtime), owner_(std::move(owner)),
      take_over_others_(take_over_others) {}

NoteSender::~NoteSender() { stop(); }

void NoteSender::start() { thread_ = std::thread([this] { loop(); }); }

void NoteSender::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    abort_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void NoteSender::loop() {
  PagerDutyClient pd; // its own connections: a slow PagerDuty holds up nothing else
  RundeckClient rd;
  for (;;) {
    int64_t wait_ms = kDbRetryMs;
    try {
      wait_ms = round(pd, rd);
    } catch (const OutboxError &e) {
      log::error("cannot write back to PagerDuty; retrying", {{"error", e.what()}});
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_; });
    if (stop_) return;
  }
}

int64_t NoteSender::round(PagerDutyClient &pd, RundeckClient &rd) {
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  const Config &cfg = rt->config();
  if (!cfg.pagerduty.enabled) return kIdleMs; // rows stay waiting until the section is back
  if (token_refused_) {
    if (std::hash<std::string>{}(rt->pagerduty_token()) == refused_token_ && mono_ms() < probe_at_ms_) return kIdleMs;
    token_refused_ = false; // a new token (SIGHUP), or time to try the old one again
  }
  // No call starts past half the lease (taken before the claim, so the claim's own time counts),
  // and --check keeps pagerduty.timeoutSeconds within the other half: no call outlives the lease,
  // so no other gateway takes one of these rows over while its call is in flight.
  const int64_t mono_deadline = mono_ms() + cfg.outbox.lease_seconds * 500;
  const int64_t now = outbox_.clock_ms();
  const NoteClaim claim = outbox_.claim_notes(owner_, kBatch, now, cfg.outbox.lease_seconds * 1000,
                                              take_over_others_ ? owner_ : std::string());
  if (claim.notes.empty()) {
    if (claim.next_due_ms == INT64_MAX) return kIdleMs;
    return std::clamp<int64_t>(claim.next_due_ms - now, 10, kIdleMs);
  }
  std::vector<NoteUpdate> updates;
  std::vector<bool> tried;
  for (const NoteRow &row : claim.notes) {
    if (abort_ || token_refused_ || mono_ms() >= mono_deadline) {
      updates.push_back(note::untried(row, outbox_.clock_ms()));
      tried.push_back(false);
      continue;
    }
    updates.push_back(send(pd, rd, *rt, row, mono_deadline));
    tried.push_back(true);
  }
  report(claim.notes, updates, tried, outbox_.record_notes(updates, outbox_.clock_ms()));
  return claim.notes.size() == kBatch ? 0 : 10;
}

NoteUpdate NoteSender::send(PagerDutyClient &pd, RundeckClient &rd, const Runtime &rt, const NoteRow &row,
                            int64_t mono_deadline) {
  const PagerDutySettings &ps = rt.config().pagerduty;
  const std::string &token = rt.pagerduty_token();
  bool refused = false; // PagerDuty refused the token
  const auto decide = [&](const PagerDutyOutcome &o) {
    refused = o.kind == PagerDutyOutcome::Kind::auth;
    return note::after_call(row, o, outbox_.clock_ms());
  };
  NoteUpdate u;
  if (row.kind == "resolve") {
    // Resolving a resolved incident is ok: an uncertain resolve is simply made again.
    u = decide(pd.resolve(ps, token, row.incident_id, abort_));
  } else {
    std::optional<NoteUpdate> found;
    if (row.uncertain) {
      const NoteSearch search = pd.find_note(ps, token, row.incident_id, row.marker, abort_);
      refused = search.outcome.kind == PagerDutyOutcome::Kind::auth;
      found = note::after_search(row, search, outbox_.clock_ms());
    }
    if (found) {
      u = *found;
    } else if (const std::optional<OutboxJob> job = outbox_.find(row.job_row); !job) {
      PagerDutyOutcome gone;
      gone.kind = PagerDutyOutcome::Kind::stop;
      gone.reason = "its job is no longer in the outbox (purged)";
      u = decide(gone);
    } else {
      const std::string text = content(rd, rt, row, *job); // may wait on Rundeck for the log
      if (mono_ms() >= mono_deadline) return note::untried(row, outbox_.clock_ms());
      u = decide(pd.post_note(ps, token, row.incident_id, text, abort_));
    }
  }
  if (refused) {
    if (!token_refused_)
      log::error("PagerDuty refuses the API token (pagerduty.tokenFile): notes wait until it is fixed (SIGHUP)",
                 {{"status", u.http_status}, {"reason", u.reason}});
    token_refused_ = true;
    refused_token_ = std::hash<std::string>{}(token);
    probe_at_ms_ = mono_ms() + kAuthProbeMs;
  }
  return u;
}

std::string NoteSender::content(RundeckClient &rd, const Runtime &rt, const NoteRow &row, const OutboxJob &job) {
  NoteContent n;
  n.job_name = job.rule.empty() ? job.job_id : job.rule + " (" + job.job_id + ")";
  n.execution_id = row.execution_id;
  n.status = job.execution_status;
  n.duration_ms = job.execution_ended_ms ? job.execution_duration_ms : -1;
  n.permalink = job.permalink;
  n.output_lines = row.output_lines;
  // The values the run call took from key storage, as the dispatcher put them in: hidden wherever
  // they appear (the log may echo an option).
  SendableBody body;
  sendable_run_body(job.request_json, [&rt](std::string_view path) { return rt.keys().get(path); }, body);
  if (!body.error.empty()) {
    n.log_unavailable = "not shown: the values its options took from key storage cannot be read (" + body.error + ")";
  } else if (row.output_lines > 0) {
    const ExecutionOutput out =
        rd.execution_output(rt.config().rundeck, rt.rundeck_token(), row.execution_id, row.output_lines, abort_);
    if (out.ok) n.log_lines = out.lines;
    else n.log_unavailable = out.reason;
  }
  n.secrets = std::move(body.values);
  std::string text = render_note(n);
  for (std::string &s : n.secrets) std::fill(s.begin(), s.end(), '\0');
  return text;
}

void NoteSender::report(const std::vector<NoteRow> &rows, const std::vector<NoteUpdate> &updates,
                        const std::vector<bool> &tried, const std::vector<int64_t> &recorded) {
  for (size_t i = 0; i < updates.size(); ++i) {
    const NoteUpdate &u = updates[i];
    const NoteRow &row = rows[i];
    if (!tried[i]) continue;
    if (std::find(recorded.begin(), recorded.end(), u.id) == recorded.end()) {
      log::warn("a note's lease was taken over before its outcome was recorded; the new owner searches the "
                "incident's notes before posting",
                {{"note_row", u.id}});
      continue;
    }
    const char *what = row.kind == "resolve" ? "incident resolve" : "note";
    if (u.status == "posted") {
      metrics_.note_sent("posted");
      log::info(row.kind == "resolve" ? "incident resolved on PagerDuty" : "note posted on PagerDuty",
                {{"note_row", u.id}, {"webhook", row.webhook_name}, {"incident", row.incident_id},
                 {"execution", row.execution_id}, {"reason", u.reason}});
    } else if (u.status == "stopped") {
      metrics_.note_sent("failed");
      log::warn(std::string(what) + " refused by PagerDuty: not sent",
                {{"note_row", u.id}, {"webhook", row.webhook_name}, {"incident", row.incident_id},
                 {"execution", row.execution_id}, {"status", u.http_status}, {"reason", u.reason}});
    } else {
      metrics_.note_sent("retried");
      log::info(std::string(what) + " not sent yet; tried again later",
                {{"note_row", u.id}, {"incident", row.incident_id}, {"execution", row.execution_id},
                 {"status", u.http_status}, {"uncertain", u.uncertain}, {"reason", u.reason}});
    }
  }
}

} // namespace rdwh::gateway
