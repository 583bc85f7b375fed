// The durable outbox: every job request a delivery produced, with its dispatch state. One
// interface, two databases: SQLite (one gateway, the default) and PostgreSQL (any number of
// gateways sharing it). open_outbox() picks one from the config.
//
// Exactly once:
// - A job's identity is UNIQUE(webhook key, delivery key, rule key): the webhook's uuid or its
//   project and name; the event's own identity (what the sender signed, see intake/listener.cpp); the
//   rule's uuid or name. A delivery's jobs are inserted with ON CONFLICT DO NOTHING in one
//   transaction committed before the delivery is answered, so a redelivery adds nothing.
// - A row moves queued -> running -> done | refused (or back to queued to be retried); a row
//   that arrives too old is stored as skipped. A running row has an owner (one gateway process)
//   and a lease; the owner renews it while it lives. A row whose lease expired (its owner died
//   during the run call) goes back to queued marked `uncertain`, like a call whose answer was
//   lost: before it runs again, Rundeck's executions are searched for it (reconciliation).
// - A job of a resource (an incident) is claimed only once every earlier job of that resource
//   is finished (done, refused or skipped), so they start in the order their events arrived.
// All methods are thread-safe.
#pragma once

#include "config/config.hpp"
#include "store/delivery_store.hpp"
#include "store/webhook_store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

class OutboxError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A job request to store.
struct NewJob {
  std::string webhook_key;  // "uuid:<uuid>" or "name:<project>/<name>"
  std::string webhook_name, project;
  std::string delivery_key; // "event:<event key>", or "delivery:<delivery id>#<event index>" when nothing identifies the event
  std::string rule_key;     // the rule's uuid or name ("#2"... for a repeated name)
  std::string rule, event_id, resource_id, job_id;
  int64_t event_time_ms = 0;
  std::string request_json; // the body of Rundeck's job run call
  bool skip = false;        // store as "skipped" with `reason` (runs nothing, kept as a redelivery's memory)
  std::string reason;
  uint32_t event_index = 0, rule_index = 0; // where the plugin's result had it (for the delivery store)
};

struct EnqueueResult {
  uint64_t inserted = 0, duplicates = 0;
  uint64_t skipped = 0; // of `inserted`: stored as skipped (too old)
};

// The outcome (see store/delivery_store.hpp) of a delivery whose jobs were stored with this result.
const char *outcome_of(const EnqueueResult &r);

// One stored job.
struct OutboxJob {
  int64_t id = 0;
  std::string webhook_key, webhook_name, project, delivery_key, rule_key;
  std::string rule, event_id, resource_id, job_id, request_json;
  int64_t event_time_ms = 0;
  std::string status;     // queued, running, done, refused, skipped
  bool uncertain = false; // a run call's outcome is unknown: reconcile before running it again
  int64_t attempts = 0, next_attempt_ms = 0;
  int64_t sent_ms = 0;    // when the first run call of unknown outcome was sent (0: none)
  std::string owner;      // the process running it (status running)
  int64_t lease_until_ms = 0;
  int64_t created_ms = 0, updated_ms = 0;
  std::string execution_id; // Rundeck's, when done
  int64_t http_status = 0;  // Rundeck's last answer; 0 when none
  std::string reason;       // why the last attempt failed, why Rundeck refused, why it was skipped
  // Its execution, followed to its end (dispatch/follower.hpp): execution_status is "" (not
  // followed), "running" (until final), one of Rundeck's final statuses (succeeded, failed,
  // aborted, timedout, failed-with-retry, other) or "gave-up" (not final after
  // rundeck.followUpMaxHours).
  std::string execution_status;
  int64_t execution_ended_ms = 0, execution_duration_ms = 0; // Rundeck's date-ended; 0 when unknown
  std::string execution_reason; // why "other" or "gave-up" (Rundeck had no such execution...)
  std::string permalink;        // Rundeck's page of the execution ("" when not known yet)
  int64_t follow_since_ms = 0, follow_next_ms = 0, follow_polls = 0;
  std::string follow_owner;     // the gateway polling it now (its lease until follow_lease_until_ms)
  int64_t follow_lease_until_ms = 0;
};

// An execution's final status that counts as a failed run (the deliveries' filter execution-failed).
bool execution_failed(std::string_view execution_status);

// What became of a claimed job.
struct Settlement {
  int64_t id = 0;
  std::string owner;        // the owner it was claimed as
  std::string status;       // done, refused or queued (a retry)
  bool uncertain = false;   // queued: reconcile before the next run
  int64_t next_attempt_ms = 0;
  int64_t sent_ms = 0;      // uncertain: when the call was sent
  std::string execution_id;
  int64_t http_status = 0;
  std::string reason;
  int64_t decided_ms = 0;   // the clock when it was decided (the dispatcher's; not stored)
  // done: follow the execution, first polled this long after now (0: not followed); its permalink.
  int64_t follow_after_ms = 0;
  std::string permalink;
};

// What one poll of a followed execution found (dispatch/follower.hpp), recorded by its owner.
struct FollowUpdate {
  int64_t id = 0;
  std::string owner;            // the owner it was claimed as
  std::string execution_id;     // the execution polled (a job run again meanwhile has another)
  std::string execution_status; // "running": not final (polled again at next_poll_ms); else final
  int64_t next_poll_ms = 0;
  int64_t ended_ms = 0, duration_ms = 0;
  std::string permalink;        // "" keeps the one stored
  std::string reason;
  // A final status and the job's webhook has followUp (set by the follower from the webhook in
  // force): the rows written back to PagerDuty are created with the status, in its transaction.
  bool note = false;              // followUp.note: a note for this execution
  bool resolve = false;           // followUp.resolveOnSuccess: the event's resolve, once all its jobs ended
  int output_lines = 10;          // followUp.outputLines
  std::string marker;             // the note's marker (pagerduty/client.hpp, note_marker)
};

// One row of what is written back to PagerDuty (store/schema.hpp, version 10): a note on the
// incident for one execution, or the incident's resolve for one event.
struct NoteRow {
  int64_t id = 0;
  std::string kind;          // "note" or "resolve"
  std::string event_key;     // the event's jobs' webhook_key and delivery_key
  int64_t job_row = 0;       // note: the job (0 for a resolve)
  std::string execution_id;  // note: the execution it is about
  std::string incident_id, webhook_name;
  int output_lines = 10;
  std::string marker;
  // waiting (due at next_attempt_ms; also while PagerDuty refuses the token), sending (leased to
  // `owner`), posted (done: noted, or resolved), stopped (PagerDuty refused it for good: `reason`),
  // skipped (nothing to send: no incident, or not resolved because a job failed).
  std::string status;
  bool uncertain = false;    // a call of unknown outcome: search the incident's notes before posting again
  int64_t attempts = 0, next_attempt_ms = 0;
  std::string owner;
  int64_t lease_until_ms = 0, http_status = 0;
  std::string reason;
  int64_t created_ms = 0, updated_ms = 0;
};

// What became of a claimed note (each recorded only by the owner that claimed it).
struct NoteUpdate {
  int64_t id = 0;
  std::string owner;
  std::string status; // waiting (retried at next_attempt_ms), posted, stopped
  bool uncertain = false;
  int64_t next_attempt_ms = 0, http_status = 0;
  std::string reason;
};

struct NoteClaim {
  std::vector<NoteRow> notes;      // now sending, owned by the caller, in id order
  int64_t next_due_ms = INT64_MAX; // the next waiting one's due time after now (INT64_MAX: none)
};

// Whether an event's jobs (all of them, as stored) resolve its incident: nullopt while one has not
// ended (queued, running, or its execution still followed), else the resolve row's status and
// reason: "waiting" when every started execution succeeded, "skipped" with "not resolved: ..."
// naming the job when one failed or was refused; nullopt when none started.
struct ResolveVerdict {
  std::string status, reason;
};
std::optional<ResolveVerdict> resolve_verdict(const std::vector<OutboxJob> &event_jobs);

// Executions due for a poll, claimed by one gateway (leased like dispatch's jobs).
struct FollowClaim {
  std::vector<OutboxJob> jobs;                     // their follow lease is the caller's now
  std::map<std::string, int64_t> unfinished;       // every project's unfinished executions (claimed or not)
  int64_t next_due_ms = INT64_MAX;                 // the next poll's due time after now (INT64_MAX: none)
};

struct ClaimResult {
  std::vector<OutboxJob> jobs;     // now running, owned by the caller, in id order
  std::vector<int64_t> lost;       // settlements not recorded: the row's lease had been taken over
  int64_t next_due_ms = INT64_MAX; // the next queued job's due time after now (INT64_MAX: none)
};

struct RequeueFilter {
  // "" = refused and queued (a retry waiting: now due), and skipped ones with `skipped`; never running
  std::string status;
  std::string webhook;      // "" = any (the webhook's name)
  std::vector<int64_t> ids; // empty = any; else only these jobs (each taken once)
  // With status "": skipped jobs too. They were older than maxEventAge when they arrived, so
  // running them late is asked for, never a default.
  bool skipped = false;
  bool dry_run = false; // change nothing: return the jobs it would requeue
};

// Point-in-time gauges read from the outbox when /metrics is scraped.
struct OutboxGauges {
  bool ok = false; // false: the outbox could not be read (gauges omitted)
  int64_t queued = 0, running = 0, refused = 0, done = 0, skipped = 0;
  int64_t uncertain = 0; // queued or running jobs whose last run call had an unknown outcome
  int64_t oldest_unfinished_execution_ms = 0; // the age of the oldest execution still followed (0: none)
  int64_t notes_waiting = 0; // notes and resolves not yet written to PagerDuty (waiting or sending)
  // Counters kept by the outbox (read even when ok is false): durable intake commits, and the
  // deliveries they carried (their ratio is the group commit's size); the dispatcher's
  // transactions (each records outcomes and claims jobs).
  uint64_t intake_commits = 0, intake_committed_deliveries = 0, dispatch_commits = 0;
};

struct Health {
  bool ok = false;
  std::string reason; // why not
};

class Outbox {
public:
  virtual ~Outbox() = default;

  // Stores a delivery's jobs and, when `record` is given, the delivery itself in the same
  // transaction (its id and outcome are set), and returns once they are committed, durably: an
  // acknowledged job survives a crash or power loss. Throws OutboxError when the commit fails:
  // nothing of the delivery is then stored. Deliveries arriving while a commit is under way share
  // the next one. Without jobs, the record alone is stored as record() does.
  virtual EnqueueResult enqueue(const std::vector<NewJob> &jobs, int64_t now_ms, DeliveryRecord *record = nullptr) = 0;

  // One dispatcher step, in one transaction: records `done` (each by the owner that claimed it),
  // then claims up to `max` due jobs for `owner` with a lease until now + lease_ms.
  virtual ClaimResult settle_and_claim(const std::string &owner, const std::vector<Settlement> &done, size_t max,
                                       int64_t now_ms, int64_t lease_ms) = 0;
  // Extends the leases of every job `owner` runs to lease_ms from now. Returns their ids.
  virtual std::vector<int64_t> renew_leases(const std::string &owner, int64_t now_ms, int64_t lease_ms) = 0;
  // Running jobs whose lease expired go back to queued, uncertain, due for reconciliation at the
  // lease's end (or now, when that is earlier) plus reconcile_window_ms (see dispatch/settle.hpp,
  // takeover_reconcile_at). `only_owner_not`: all rows of other owners regardless of their lease
  // (SQLite: the state directory's lock proves them dead).
  virtual int64_t expire_leases(int64_t now_ms, int64_t reconcile_window_ms,
                                const std::string &only_owner_not = "") = 0;
  // The clock stepped by step_ms (now_ms is after the step): queued jobs not yet due and running
  // jobs' leases move with it, so every wait keeps what was left of it. Only for an exclusive
  // outbox (its times are all this gateway's clock).
  virtual void shift_times(int64_t step_ms, int64_t now_ms) = 0;
  // The clock the outbox's times are on: the database's where it has one (PostgreSQL: read with
  // every dispatcher step, followed in between on the monotonic clock, so a step of this
  // gateway's wall clock does not move it), else this gateway's wall clock (base/clock.hpp).
  // Leases are compared on the database's own clock in SQL, never on a gateway's.
  virtual int64_t clock_ms() = 0;

  // Following executions (dispatch/follower.hpp), apart from dispatch's transactions. Claims up to
  // `max` executions due for a poll for `owner` with a lease until now + lease_ms; those another
  // owner holds are skipped until their lease ends (`only_owner_not` set: every other owner's at
  // once, as expire_leases).
  virtual FollowClaim claim_follow(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                                   const std::string &only_owner_not = "") = 0;
  // Records what the polls found, in one transaction, each only by the owner that claimed it.
  // Returns the ids recorded (an update whose lease was taken over is left out).
  virtual std::vector<int64_t> record_follow(const std::vector<FollowUpdate> &updates, int64_t now_ms) = 0;

  // Writing back to PagerDuty (dispatch/note_sender.hpp), leased like dispatch. Claims up to `max`
  // due rows for `owner` (status sending) with a lease until now + lease_ms; a row found sending
  // whose lease ended (its sender died, maybe after posting) is claimed uncertain.
  virtual NoteClaim claim_notes(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                                const std::string &only_owner_not = "") = 0;
  // Records what the sender did, in one transaction; returns the ids recorded.
  virtual std::vector<int64_t> record_notes(const std::vector<NoteUpdate> &updates, int64_t now_ms) = 0;
  // The note row of each of these jobs that has one (its latest execution's), by job row.
  virtual std::map<int64_t, NoteRow> job_notes(const std::vector<int64_t> &job_rows) = 0;
  // Every row, oldest first (tests, --jobs).
  virtual std::vector<NoteRow> list_notes() = 0;

  // Puts jobs back in the queue (due now); returns them, in id order. Throws OutboxError for a bad filter.
  virtual std::vector<OutboxJob> requeue(const RequeueFilter &filter, int64_t now_ms) = 0;
  // The jobs the stored deliveries `delivery_ids` asked for, as stored now, each once, in id order
  // (a job purged from the outbox is not there). Throws OutboxError.
  virtual std::vector<OutboxJob> delivery_jobs(const std::vector<int64_t> &delivery_ids) = 0;
  // Stores the records of deliveries that hold no job, in one transaction that does not wait for
  // the disk (nothing acknowledged depends on them); sets their ids. Throws OutboxError.
  virtual void record(std::vector<DeliveryRecord> &records) = 0;
  // Deletes done and skipped jobs last updated before `before_ms`. Returns how many.
  virtual int64_t purge_done(int64_t before_ms) = 0;
  // True when a job row already holds Rundeck execution `id` (reconciliation must not take one
  // execution for two jobs).
  virtual bool execution_recorded(std::string_view execution_id) = 0;

  virtual OutboxGauges gauges() = 0;
  // Exercises the durable write path (a committed, synced write) and the backend's own checks.
  virtual Health health(int64_t now_ms) = 0;
  // Jobs with `status` ("" = all), oldest first.
  virtual std::vector<OutboxJob> list(std::string_view status) = 0;
  // The job with this identity (see NewJob), or with this id; nullopt when there is none (never
  // stored, or purged).
  virtual std::optional<OutboxJob> find(std::string_view webhook_key, std::string_view delivery_key,
                                        std::string_view rule_key) = 0;
  virtual std::optional<OutboxJob> find(int64_t id) = 0;

  // The console's tables, in the same database.
  virtual WebhookStore &webhooks() = 0;
  virtual DeliveryStore &deliveries() = 0;
  // Called (from any thread) when another process may have queued jobs (PostgreSQL's NOTIFY).
  virtual void on_wakeup(std::function<void()> fn) = 0;
  // "sqlite <path>" or "postgresql host:port/db", for logs.
  virtual std::string describe() const = 0;
  // True when no other process uses this outbox while it is open (SQLite opened to serve: the
  // state directory's lock keeps other gateways out), so a job another owner left running was
  // left by a dead process.
  virtual bool exclusive() const { return false; }
  // The free space of the filesystem holding the outbox, when it is a local file (SQLite);
  // nullopt when the database is elsewhere (PostgreSQL).
  virtual std::optional<int64_t> local_free_bytes() const { return std::nullopt; }
};

// Who opens the outbox. serve: the gateway itself; with SQLite, the state directory is locked
// first and stays locked while the outbox lives (one gateway per SQLite outbox), and the outbox
// is exclusive(). command: --jobs, --requeue, --export beside a running gateway (no lock).
// check: --check, as command, but a SQLite outbox that does not exist yet is not created.
enum class OpenFor { command, serve, check };

// The outbox a config asks for: PostgreSQL when outbox.postgresql is set, else SQLite in
// stateDir. Creates or migrates the schema. Throws OutboxError (the state directory's lock
// taken by another gateway included). nullptr only for OpenFor::check when there is no database.
std::unique_ptr<Outbox> open_outbox(const Config &config, OpenFor purpose = OpenFor::command);

} // namespace rdwh::gateway
