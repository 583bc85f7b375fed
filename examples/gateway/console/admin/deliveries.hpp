// What the console can do with a stored delivery beyond Rundeck: replay it against the current
// rules (a dry run first, then for real), try it against an edited config (nothing is stored or
// run), and requeue a job.
//
// A replay runs the stored body through the webhook's current handler, without the signature
// check: the stored headers lack the signature (it is never kept), and only deliveries whose
// signature was verified (the plugin accepted or judged them) can be replayed. A delivery whose
// body was cut at console.deliveries.maxBodyBytes cannot be.
//
// De-duplication of a replay: by default its jobs keep the original event's identity, so a job
// that already ran (or is queued) for that event and rule is not run again (it counts as a
// duplicate), while rules that fire now and did not before run. Running jobs again is an explicit
// choice (runAgain): the replay's jobs then get identities of their own ("replay:<id>:" before the
// event's key) and maxEventAge does not apply. Either way the replay is recorded as a new delivery
// pointing at the one it replays.
//
// Verifying again (reverify): a delivery refused for its signature (the operator had the wrong
// secret in key storage; PagerDuty does not retry a 4xx) runs again as intake ran it: its stored
// body and the signature headers kept apart for it (DeliveryStore::kept_signature), through a
// handler made now from the webhook's current config and key storage, received when it was
// received, its jobs with the identities intake gives them (so a redelivery or a second
// verification never runs a job twice; maxEventAge applies). Verified, it is recorded as a new
// delivery pointing at the original (replay_of), with its jobs, and the original is not tried
// again; still refused, nothing is stored and the plugin's reason is returned.
#pragma once

#include "console/admin/outcome.hpp"
#include "intake/pipeline.hpp"
#include "store/delivery_store.hpp"
#include "store/outbox.hpp"
#include "runtime/runtime.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

// The most deliveries a bulk replay or requeue acts on: a larger selection is refused (narrow the
// filter), so one request never holds the database, or Rundeck, for long.
inline constexpr size_t kBulkMax = 1000;

struct Replay {
  DeliveryRecord record;  // the replay as a delivery: explanation, jobs (stored when `stored`)
  bool stored = false;
  EnqueueResult enqueued; // stored: new jobs and duplicates
  HttpResponse answer;    // the plugin's
};

struct Reverify {
  bool verified = false;
  int64_t earlier = 0;    // verified before, as this delivery: nothing was run now
  std::string refused;    // not verified: the plugin's reason
  Replay replay;          // verified now: the new delivery, stored with its jobs
};

// One delivery of a bulk replay: its replay (or dry run), or why it cannot be replayed.
struct BulkReplay {
  int64_t id = 0;
  std::optional<DeliveryRecord> original; // nullopt: no longer stored
  Outcome<Replay> result;
};

class DeliveryAdmin {
public:
  DeliveryAdmin(Outbox &outbox, const CurrentRuntime &runtime, std::function<void()> jobs_added)
      : outbox_(outbox), runtime_(runtime), jobs_added_(std::move(jobs_added)) {}

  // Refused: conflict (not replayable), not_found (its webhook), invalid (the config), failed
  // (the plugin), unavailable (storing it).
  Outcome<Replay> replay(const DeliveryRecord &original, bool dry_run, bool run_again);
  // `config_json`: the edited plugin config (a JSON object's text). Nothing is stored.
  Outcome<Replay> try_config(const DeliveryRecord &original, std::string_view config_json);
  // Refused: conflict (not refused for its signature, a verification itself, body cut), not_found
  // (its webhook), invalid (its config now), failed (the plugin), unavailable (the store).
  Outcome<Reverify> reverify(const DeliveryRecord &original);
  // Queues job `id` again (a refused, skipped or waiting one; a done one only with `again`): the
  // job as now stored. Refused: not_found, conflict (running, done, changed meanwhile), unavailable.
  Outcome<OutboxJob> requeue(int64_t id, bool again);

  // Bulk actions: a preview names what its confirm acts on (ids), so deliveries and jobs arriving
  // in between are left out.
  // The deliveries `filter` selects, newest first. Refused (invalid) beyond kBulkMax.
  Outcome<std::vector<DeliveryRecord>> select(DeliveryFilter filter);
  // Of the jobs the deliveries `delivery_ids` asked for, those a requeue takes (refused, waiting for
  // a retry; skipped ones with `skipped`): the preview. Refused: unavailable.
  Outcome<std::vector<OutboxJob>> requeue_preview(const std::vector<int64_t> &delivery_ids, bool skipped);
  // Requeues the jobs `ids` (a preview's) still in a state a requeue takes; returns them.
  // Refused: invalid (none, or beyond kBulkMax), unavailable.
  Outcome<std::vector<OutboxJob>> requeue_jobs(const std::vector<int64_t> &ids, bool skipped);
  // Replays (or, `dry_run`, previews) each delivery `ids`, in order, as replay() does one.
  // Refused: invalid (none, or beyond kBulkMax).
  Outcome<std::vector<BulkReplay>> replay_all(const std::vector<int64_t> &ids, bool dry_run, bool run_again);

private:
  // config_json: the config to use (nullopt: the webhook's current one).
  Outcome<Replay> run(const DeliveryRecord &original, std::optional<std::string_view> config_json, bool store,
                      bool run_again);
  // The stored delivery through the intake pipeline as `request`, recorded (per `commit`) as a new
  // delivery pointing at `original`.
  Outcome<Replay> record(const DeliveryRecord &original, const WebhookConfig &cfg, const MadeHandler &handler,
                         host::Handler::Request request, const JobOptions &options, Commit commit);

  Outbox &outbox_;
  const CurrentRuntime &runtime_;
  std::function<void()> jobs_added_;
};

} // namespace rdwh::gateway
