#include "store/sql_outbox.hpp"

#include "base/clock.hpp"

#include <algorithm>
#include <set>

namespace rdwh::gateway {

namespace {

// Every statement below runs unchanged on SQLite and PostgreSQL.

#define RDWH_JOB_COLUMNS                                                                                        \
  "id, webhook_key, webhook_name, project, delivery_key, rule_key, rule, event_id, resource_id, event_time_ms, " \
  "job_id, request_json, status, uncertain, attempts, next_attempt_ms, sent_ms, owner, lease_until_ms, "        \
  "created_ms, updated_ms, execution_id, http_status, reason, execution_status, execution_ended_ms, "         \
  "execution_duration_ms, execution_reason, permalink, follow_since_ms, follow_next_ms, follow_polls, "         \
  "follow_owner, follow_lease_until_ms"

OutboxJob read_job(const sql::Row &r) {
  OutboxJob j;
  int c = 0;
  j.id = r.i64(c++);
  j.webhook_key = r.text(c++);
  j.webhook_name = r.text(c++);
  j.project = r.text(c++);
  j.delivery_key = r.text(c++);
  j.rule_key = r.text(c++);
  j.rule = r.text(c++);
  j.event_id = r.text(c++);
  j.resource_id = r.text(c++);
  j.event_time_ms = r.i64(c++);
  j.job_id = r.text(c++);
  j.request_json = r.text(c++);
  j.status = r.text(c++);
  j.uncertain = r.i64(c++) != 0;
  j.attempts = r.i64(c++);
  j.next_attempt_ms = r.i64(c++);
  j.sent_ms = r.i64(c++);
  j.owner = r.text(c++);
  j.lease_until_ms = r.i64(c++);
  j.created_ms = r.i64(c++);
  j.updated_ms = r.i64(c++);
  j.execution_id = r.text(c++);
  j.http_status = r.i64(c++);
  j.reason = r.text(c++);
  j.execution_status = r.text(c++);
  j.execution_ended_ms = r.i64(c++);
  j.execution_duration_ms = r.i64(c++);
  j.execution_reason = r.text(c++);
  j.permalink = r.text(c++);
  j.follow_since_ms = r.i64(c++);
  j.follow_next_ms = r.i64(c++);
  j.follow_polls = r.i64(c++);
  j.follow_owner = r.text(c++);
  j.follow_lease_until_ms = r.i64(c++);
  return j;
}

// ON CONFLICT ... DO NOTHING is INSERT OR IGNORE restricted to the identity key: a redelivered
// job is skipped, while any other constraint failure still fails the delivery.
const char *const kInsert =
    "INSERT INTO jobs (webhook_key, webhook_name, project, delivery_key, rule_key, rule, event_id, resource_id, "
    "event_time_ms, job_id, request_json, status, reason, next_attempt_ms, created_ms, updated_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14) "
    "ON CONFLICT (webhook_key, delivery_key, rule_key) DO NOTHING";

// Only the owner records an outcome: a row whose lease was taken over is left to its new owner.
// $11 > 0: a started execution, followed from now on, first polled $11 ms from now ($9).
const char *const kSettle =
    "UPDATE jobs SET status = $2, uncertain = $3, next_attempt_ms = $4, sent_ms = $5, execution_id = $6, "
    "http_status = $7, reason = $8, updated_ms = $9, owner = '', lease_until_ms = 0, permalink = $12, "
    "execution_status = CASE WHEN $11 > 0 THEN 'running' ELSE '' END, "
    "follow_since_ms = CASE WHEN $11 > 0 THEN $9 ELSE 0 END, follow_next_ms = $9 + $11, follow_polls = 0, "
    "follow_owner = '', follow_lease_until_ms = 0 "
    "WHERE id = $1 AND status = 'running' AND owner = $10";

// The executions due for a poll, oldest due first, skipping those another gateway polls now
// ($5 <> '': every other owner's, as kExpire). Materialised, as the claim above.
const char *const kFollowClaimHead =
    "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE execution_status = 'running' AND follow_next_ms <= $3 "
    "AND (follow_lease_until_ms < {now} OR ($5 <> '' AND follow_owner <> $5)) ORDER BY follow_next_ms, id LIMIT $4 ";
const char *const kFollowClaimTail =
    ") UPDATE jobs SET follow_owner = $1, follow_lease_until_ms = {now} + $2 WHERE id IN (SELECT id FROM picked) "
    "RETURNING " RDWH_JOB_COLUMNS;
const char *const kUnfinished =
    "SELECT project, COUNT(*) FROM jobs WHERE execution_status = 'running' GROUP BY project";
const char *const kFollowNextDue =
    "SELECT COALESCE(MIN(follow_next_ms), 0) FROM jobs WHERE execution_status = 'running' AND follow_next_ms > $1";
// Only the owner records a poll; a final status ends the following.
const char *const kFollowed =
    "UPDATE jobs SET execution_status = $2, follow_next_ms = $3, follow_polls = follow_polls + 1, "
    "execution_ended_ms = $4, execution_duration_ms = $5, permalink = CASE WHEN $6 = '' THEN permalink ELSE $6 END, "
    "execution_reason = $7, follow_owner = '', follow_lease_until_ms = 0 "
    "WHERE id = $1 AND execution_status = 'running' AND follow_owner = $8 AND execution_id = $9";
const char *const kOldestUnfinished =
    "SELECT COALESCE(MIN(follow_since_ms), 0) FROM jobs WHERE execution_status = 'running'";

// The due jobs, oldest first, each only when no earlier job of its resource is still open. The
// selection is a materialised CTE so it runs exactly once (as an IN subquery, PostgreSQL may run
// it again per row and claim more than asked).
const char *const kClaimHead =
    "WITH picked AS MATERIALIZED (SELECT j.id FROM jobs j WHERE j.status = 'queued' AND j.next_attempt_ms <= $3 "
    "AND (j.resource_id = '' OR NOT EXISTS (SELECT 1 FROM jobs e WHERE e.resource_id = j.resource_id "
    "AND e.id < j.id AND e.status IN ('queued', 'running'))) "
    "ORDER BY j.next_attempt_ms, j.id LIMIT $4 ";
// Leases are set and compared on the lease clock: "{now}" is the database's clock where it has one
// (PostgreSQL's now(): every gateway sharing it reads the same), else the caller's `now` ($n).
const char *const kClaimTail =
    ") UPDATE jobs SET status = 'running', owner = $1, lease_until_ms = {now} + $2, attempts = attempts + 1, "
    "updated_ms = $3 WHERE status = 'queued' AND id IN (SELECT id FROM picked) RETURNING " RDWH_JOB_COLUMNS;

const char *const kNextDue =
    "SELECT COALESCE(MIN(next_attempt_ms), 0) FROM jobs WHERE status = 'queued' AND next_attempt_ms > $1";

const char *const kRenew =
    "UPDATE jobs SET lease_until_ms = {now} + $3 WHERE status = 'running' AND owner = $1 RETURNING id";

// A job taken over is due for reconciliation only once its old owner's call can no longer create
// an execution: the lease's end (or the takeover, when the owner is known dead before it) plus
// $3, the window of dispatch/settle.hpp's takeover_reconcile_at.
const char *const kExpire =
    "UPDATE jobs SET status = 'queued', uncertain = 1, "
    "sent_ms = CASE WHEN sent_ms = 0 THEN updated_ms ELSE sent_ms END, "
    "next_attempt_ms = (CASE WHEN lease_until_ms < {now} THEN lease_until_ms ELSE {now} END) + $3, updated_ms = $1, "
    "reason = 'its gateway (' || owner || ') stopped during the run call: Rundeck is asked whether it ran before it "
    "runs again', owner = '', lease_until_ms = 0 "
    "WHERE status = 'running' AND (lease_until_ms < {now} OR ($2 <> '' AND owner <> $2))";

// After the clock stepped by $1 (exclusive outbox): the queued jobs stored before the step ($2:
// the time then) keep what was left of their waits (those due stay due), leases too.
const char *const kShiftDue =
    "UPDATE jobs SET next_attempt_ms = next_attempt_ms + $1 WHERE status = 'queued' AND updated_ms <= $2";
const char *const kShiftLeases = "UPDATE jobs SET lease_until_ms = lease_until_ms + $1 WHERE status = 'running'";
// The executions followed keep their waits and their bound (rundeck.followUpMaxHours) too.
const char *const kShiftFollow =
    "UPDATE jobs SET follow_next_ms = follow_next_ms + $1, follow_since_ms = follow_since_ms + $1, "
    "follow_lease_until_ms = CASE WHEN follow_lease_until_ms > 0 THEN follow_lease_until_ms + $1 ELSE 0 END "
    "WHERE execution_status = 'running'";

// Which jobs a requeue takes, the one place that says it: $1 a status ('' = refused and queued
// (a retry waiting), and skipped too when $2 = 1: those were older than maxEventAge, and running
// them late is a choice); never running ones (their gateway holds them); $3 a webhook's name
// ('' = any); $4 a job id (0 = any).
#define RDWH_REQUEUABLE                                                                                        \
  "status <> 'running' AND (($1 = '' AND (status IN ('refused', 'queued') OR ($2 = 1 AND status = 'skipped'))) " \
  "OR status = $1) AND ($3 = '' OR webhook_name = $3) AND ($4 = 0 OR id = $4)"
// $5: now.
const char *const kRequeue =
    "UPDATE jobs SET status = 'queued', next_attempt_ms = $5, updated_ms = $5, attempts = 0, "
    "reason = 'requeued by an operator (was ' || status || ')' WHERE " RDWH_REQUEUABLE " RETURNING " RDWH_JOB_COLUMNS;
// What kRequeue would take (a dry run).
const char *const kRequeuable = "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE " RDWH_REQUEUABLE;
// The jobs stored delivery $1 asked for (a job purged from the outbox is not there).
const char *const kDeliveryJobs =
    "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE id IN (SELECT j.id FROM delivery_jobs l JOIN jobs j ON "
    "j.webhook_key = l.webhook_key AND j.delivery_key = l.delivery_key AND j.rule_key = l.rule_key "
    "WHERE l.delivery_id = $1)";

const char *const kPurge = "DELETE FROM jobs WHERE status IN ('done', 'skipped') AND updated_ms < $1";
const char *const kExecution = "SELECT id FROM jobs WHERE execution_id = $1 LIMIT 1";
const char *const kGauges = "SELECT status, uncertain, COUNT(*) FROM jobs GROUP BY status, uncertain";
const char *const kHealthWrite =
    "INSERT INTO meta (key, value) VALUES ('healthz', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const char *const kList = "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE $1 = '' OR status = $1 ORDER BY id";
const char *const kFindByKey =
    "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE webhook_key = $1 AND delivery_key = $2 AND rule_key = $3";
const char *const kFindById = "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE id = $1";

// Writing back to PagerDuty (version 10's notes).
#define RDWH_NOTE_COLUMNS                                                                                      \
  "id, kind, event_key, job_row, execution_id, incident_id, webhook_name, output_lines, marker, status, "       \
  "uncertain, attempts, next_attempt_ms, owner, lease_until_ms, http_status, reason, created_ms, updated_ms"

// A final status's note, made from its job row ($1) in record_follow's transaction: skipped at once
// when the event names no incident. A job run again has a note per execution.
const char *const kInsertNote =
    "INSERT INTO notes (kind, event_key, job_row, execution_id, incident_id, webhook_name, output_lines, marker, "
    "status, reason, next_attempt_ms, created_ms, updated_ms) "
    "SELECT 'note', webhook_key || ' ' || delivery_key, id, execution_id, resource_id, webhook_name, $2, $3, "
    "CASE WHEN resource_id = '' THEN 'skipped' ELSE 'waiting' END, "
    "CASE WHEN resource_id = '' THEN 'no incident: the event was not about one' ELSE '' END, $4, $4, $4 "
    "FROM jobs WHERE id = $1 ON CONFLICT (kind, event_key, job_row, execution_id) DO NOTHING";
// Locks the jobs of job $1's event (all its gateways' record_follow for that event then run one
// after the other, so the last execution to end sees every other one ended), in id order.
const char *const kLockEvent =
    "UPDATE jobs SET updated_ms = updated_ms WHERE (webhook_key, delivery_key) IN "
    "(SELECT webhook_key, delivery_key FROM jobs WHERE id = $1)";
const char *const kEventJobs =
    "SELECT " RDWH_JOB_COLUMNS " FROM jobs WHERE (webhook_key, delivery_key) IN "
    "(SELECT webhook_key, delivery_key FROM jobs WHERE id = $1) ORDER BY id";
const char *const kInsertResolve =
    "INSERT INTO notes (kind, event_key, job_row, execution_id, incident_id, webhook_name, output_lines, marker, "
    "status, reason, next_attempt_ms, created_ms, updated_ms) "
    "SELECT 'resolve', webhook_key || ' ' || delivery_key, 0, '', resource_id, webhook_name, 0, '', "
    "CASE WHEN resource_id = '' THEN 'skipped' ELSE $2 END, "
    "CASE WHEN resource_id = '' THEN 'no incident: the event was not about one' ELSE $3 END, $4, $4, $4 "
    "FROM jobs WHERE id = $1 ON CONFLICT (kind, event_key, job_row, execution_id) DO NOTHING";
// Due rows, and rows whose sender's lease ended mid-call (claimed uncertain: it may have posted).
const char *const kNoteClaimHead =
    "WITH picked AS MATERIALIZED (SELECT id FROM notes WHERE (status = 'waiting' AND next_attempt_ms <= $3) "
    "OR (status = 'sending' AND (lease_until_ms < {now} OR ($5 <> '' AND owner <> $5))) "
    "ORDER BY next_attempt_ms, id LIMIT $4 ";
const char *const kNoteClaimTail =
    ") UPDATE notes SET uncertain = CASE WHEN status = 'sending' THEN 1 ELSE uncertain END, status = 'sending', "
    "owner = $1, lease_until_ms = {now} + $2, attempts = attempts + 1, updated_ms = $3 "
    "WHERE id IN (SELECT id FROM picked) RETURNING " RDWH_NOTE_COLUMNS;
const char *const kNoteNextDue =
    "SELECT COALESCE(MIN(next_attempt_ms), 0) FROM notes WHERE status = 'waiting' AND next_attempt_ms > $1";
const char *const kNoteRecord =
    "UPDATE notes SET status = $2, uncertain = $3, next_attempt_ms = $4, http_status = $5, reason = $6, "
    "updated_ms = $7, owner = '', lease_until_ms = 0 WHERE id = $1 AND status = 'sending' AND owner = $8";
const char *const kNoteOfJob =
    "SELECT " RDWH_NOTE_COLUMNS " FROM notes WHERE kind = 'note' AND job_row = $1 ORDER BY id DESC LIMIT 1";
const char *const kNotes = "SELECT " RDWH_NOTE_COLUMNS " FROM notes ORDER BY id";
const char *const kNotesWaiting = "SELECT COUNT(*) FROM notes WHERE status IN ('waiting', 'sending')";
const char *const kShiftNotes =
    "UPDATE notes SET next_attempt_ms = next_attempt_ms + $1, "
    "lease_until_ms = CASE WHEN lease_until_ms > 0 THEN lease_until_ms + $1 ELSE 0 END "
    "WHERE status IN ('waiting', 'sending') AND updated_ms <= $2";

NoteRow read_note(const sql::Row &r) {
  NoteRow n;
  int c = 0;
  n.id = r.i64(c++);
  n.kind = r.text(c++);
  n.event_key = r.text(c++);
  n.job_row = r.i64(c++);
  n.execution_id = r.text(c++);
  n.incident_id = r.text(c++);
  n.webhook_name = r.text(c++);
  n.output_lines = static_cast<int>(r.i64(c++));
  n.marker = r.text(c++);
  n.status = r.text(c++);
  n.uncertain = r.i64(c++) != 0;
  n.attempts = r.i64(c++);
  n.next_attempt_ms = r.i64(c++);
  n.owner = r.text(c++);
  n.lease_until_ms = r.i64(c++);
  n.http_status = r.i64(c++);
  n.reason = r.text(c++);
  n.created_ms = r.i64(c++);
  n.updated_ms = r.i64(c++);
  return n;
}

const std::set<std::string, std::less<>> kStatuses = {"queued", "running", "done", "refused", "skipped"};

// A status filter names one of the statuses ("" = all): a typo must not read as "no such jobs".
void check_status_filter(std::string_view status) {
  if (!status.empty() && !kStatuses.count(status))
    throw OutboxError("unknown status '" + std::string(status) + "' (queued, running, done, refused or skipped)");
}

// `sql` with every "{now}" replaced by the lease clock: the dialect's, else `param`.
std::string on_lease_clock(const char *sql, const sql::Dialect &dialect, const char *param) {
  std::string out = sql;
  const std::string clock = dialect.lease_clock ? dialect.lease_clock : param;
  for (size_t at = out.find("{now}"); at != std::string::npos; at = out.find("{now}", at + clock.size()))
    out.replace(at, 5, clock);
  return out;
}

} // namespace

bool execution_failed(std::string_view status) {
  return status == "failed" || status == "aborted" || status == "timedout" || status == "failed-with-retry";
}

std::optional<ResolveVerdict> resolve_verdict(const std::vector<OutboxJob> &jobs) {
  bool started = false;
  std::optional<ResolveVerdict> failed;
  for (const OutboxJob &j : jobs) {
    if (j.status == "queued" || j.status == "running" || j.execution_status == "running") return std::nullopt;
    const std::string name = "job '" + j.rule + "' (" + j.job_id + ")";
    if (j.status == "refused" && !failed) failed = ResolveVerdict{"skipped", "not resolved: " + name + " was refused by Rundeck"};
    if (j.status != "done" || j.execution_id.empty()) continue; // skipped (too old): it started nothing
    started = true;
    if (j.execution_status != "succeeded" && !failed)
      failed = ResolveVerdict{"skipped", "not resolved: " + name + " " +
                                             (j.execution_status.empty() ? "was not followed" : j.execution_status)};
  }
  if (failed) return failed;
  if (!started) return std::nullopt;
  return ResolveVerdict{"waiting", ""};
}

const char *outcome_of(const EnqueueResult &r) {
  if (r.inserted > r.skipped) return outcome::queued;
  if (r.skipped > 0) return outcome::skipped;
  return outcome::duplicate;
}

SqlOutbox::SqlOutbox(const sql::Dialect &dialect)
    : claim_sql_(on_lease_clock((std::string(kClaimHead) + dialect.claim_lock + kClaimTail).c_str(), dialect, "$3")),
      renew_sql_(on_lease_clock(kRenew, dialect, "$2")), expire_sql_(on_lease_clock(kExpire, dialect, "$1")),
      follow_claim_sql_(on_lease_clock((std::string(kFollowClaimHead) + dialect.claim_lock + kFollowClaimTail).c_str(),
                                       dialect, "$3")),
      note_claim_sql_(on_lease_clock((std::string(kNoteClaimHead) + dialect.claim_lock + kNoteClaimTail).c_str(),
                                     dialect, "$3")),
      dialect_(dialect),
      webhooks_(make_webhook_store(*this)), deliveries_(make_delivery_store(*this)) {}

SqlOutbox::~SqlOutbox() = default;

void SqlOutbox::with(Use use, const char *what, const std::function<void(sql::Connection &)> &fn) {
  try {
    run(use, fn);
  } catch (const sql::Error &e) {
    throw OutboxError(std::string(what) + ": " + e.what());
  }
}

EnqueueResult SqlOutbox::enqueue(const std::vector<NewJob> &jobs, int64_t now_ms, DeliveryRecord *record) {
  if (jobs.empty()) { // nothing to make durable: the record alone, on the no-job path
    if (record) {
      std::vector<DeliveryRecord> one(1, std::move(*record));
      this->record(one);
      *record = std::move(one[0]);
    }
    return {};
  }
  std::unique_lock lock(batch_mu_);
  if (!open_batch_) open_batch_ = std::make_shared<Batch>();
  std::shared_ptr<Batch> batch = open_batch_;
  const size_t index = batch->deliveries.size();
  batch->deliveries.push_back({&jobs, now_ms, record});
  // The first delivery to find no commit under way commits its whole batch (those that joined
  // it meanwhile included); the others wait for that commit. Each is answered only after it.
  while (!batch->done) {
    if (!committing_ && open_batch_ == batch) {
      committing_ = true;
      open_batch_.reset(); // later arrivals start the next batch
      lock.unlock();
      commit_batch(*batch);
      lock.lock();
      committing_ = false;
      batch->done = true;
      batch->cv.notify_all();
      if (open_batch_) open_batch_->cv.notify_one(); // deliveries that arrived meanwhile: one leads
      break;
    }
    batch->cv.wait(lock);
  }
  if (batch->error) std::rethrow_exception(batch->error);
  return batch->results[index];
}

// One transaction for every delivery of the batch, with their records. A failure fails them all
// (each gets 503 and PagerDuty delivers it again); nothing of a failed batch is stored. The jobs
// go in one exec_all (on PostgreSQL one round trip), then the records, whose outcomes depend on
// which jobs were new, in another.
void SqlOutbox::commit_batch(Batch &batch) {
  try {
    std::vector<EnqueueResult> results(batch.deliveries.size());
    with(Use::intake, "cannot store the jobs", [&](sql::Connection &db) {
      std::fill(results.begin(), results.end(), EnqueueResult{});
      sql::Transaction tx(db);
      std::vector<sql::Statement> inserts;
      for (const Pending &p : batch.deliveries)
        for (const NewJob &j : *p.jobs)
          inserts.push_back({kInsert,
                             {j.webhook_key, j.webhook_name, j.project, j.delivery_key, j.rule_key, j.rule, j.event_id,
                              j.resource_id, j.event_time_ms, j.job_id, j.request_json,
                              std::string_view(j.skip ? "skipped" : "queued"), j.reason, p.now_ms}});
      const std::vector<int64_t> changed = db.exec_all(inserts);
      bool queued = false;
      std::vector<sql::Statement> records;
      size_t k = 0;
      for (size_t d = 0; d < batch.deliveries.size(); ++d) {
        const Pending &p = batch.deliveries[d];
        for (const NewJob &j : *p.jobs) {
          if (changed[k++] > 0) {
            ++results[d].inserted;
            if (j.skip) ++results[d].skipped;
            queued = queued || !j.skip;
          } else {
            ++results[d].duplicates;
          }
        }
        if (p.record) {
          p.record->outcome = outcome_of(results[d]);
          records.push_back(insert_delivery(*p.record));
        }
      }
      if (!records.empty()) db.exec_all(records);
      std::vector<sql::Statement> links; // the records' ids are known now
      for (const Pending &p : batch.deliveries)
        if (p.record)
          for (const NewJob &j : *p.jobs) links.push_back(insert_delivery_job(*p.record, j));
      if (!links.empty()) db.exec_all(links);
      if (queued && dialect_.notify) db.script(dialect_.notify);
      tx.commit();
    });
    batch.results = std::move(results);
    commits_.fetch_add(1, std::memory_order_relaxed);
    committed_deliveries_.fetch_add(batch.deliveries.size(), std::memory_order_relaxed);
  } catch (...) {
    batch.error = std::current_exception();
  }
}

ClaimResult SqlOutbox::settle_and_claim(const std::string &owner, const std::vector<Settlement> &done, size_t max,
                                        int64_t now_ms, int64_t lease_ms) {
  ClaimResult out;
  with(Use::dispatch, "cannot claim jobs", [&](sql::Connection &db) {
    out = ClaimResult{};
    sql::Transaction tx(db);
    // One batch (on PostgreSQL one round trip): the outcomes, the claim, the next due time.
    std::vector<sql::Statement> step;
    step.reserve(done.size() + 2);
    for (const Settlement &s : done)
      step.push_back({kSettle,
                      {s.id, s.status, int64_t{s.uncertain ? 1 : 0}, s.next_attempt_ms, s.sent_ms, s.execution_id,
                       s.http_status, s.reason, now_ms, s.owner,
                       s.status == "done" && !s.execution_id.empty() ? s.follow_after_ms : int64_t{0},
                       s.permalink}});
    if (max > 0)
      step.push_back({claim_sql_.c_str(),
                      {owner, lease_ms, now_ms, static_cast<int64_t>(max)},
                      [&](const sql::Row &r) { out.jobs.push_back(read_job(r)); }});
    step.push_back({kNextDue, {now_ms}, [&](const sql::Row &r) {
                      if (const int64_t due = r.i64(0)) out.next_due_ms = due;
                    }});
    int64_t db_clock = 0; // the database's clock, read on the way (clock_ms() follows it)
    if (dialect_.clock_query)
      step.push_back({dialect_.clock_query, {}, [&](const sql::Row &r) { db_clock = r.i64(0); }});
    const int64_t before = mono_ms();
    const std::vector<int64_t> changed = db.exec_all(step);
    if (db_clock) note_clock(db_clock, before, mono_ms());
    for (size_t i = 0; i < done.size(); ++i)
      if (changed[i] == 0) out.lost.push_back(done[i].id);
    tx.commit();
  });
  dispatch_commits_.fetch_add(1, std::memory_order_relaxed);
  std::sort(out.jobs.begin(), out.jobs.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id < b.id; });
  return out;
}

FollowClaim SqlOutbox::claim_follow(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                                     const std::string &only_owner_not) {
  FollowClaim out;
  with(Use::dispatch, "cannot claim executions to follow", [&](sql::Connection &db) {
    out = FollowClaim{};
    sql::Transaction tx(db);
    db.exec_all({{follow_claim_sql_.c_str(),
                  {owner, lease_ms, now_ms, static_cast<int64_t>(max), only_owner_not},
                  [&](const sql::Row &r) { out.jobs.push_back(read_job(r)); }},
                 {kUnfinished, {}, [&](const sql::Row &r) { out.unfinished[r.text(0)] = r.i64(1); }},
                 {kFollowNextDue, {now_ms}, [&](const sql::Row &r) {
                    if (const int64_t due = r.i64(0)) out.next_due_ms = due;
                  }}});
    tx.commit();
  });
  std::sort(out.jobs.begin(), out.jobs.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id < b.id; });
  return out;
}

std::vector<int64_t> SqlOutbox::record_follow(const std::vector<FollowUpdate> &updates, int64_t now_ms) {
  std::vector<int64_t> recorded;
  if (updates.empty()) return recorded;
  with(Use::dispatch, "cannot record the executions followed", [&](sql::Connection &db) {
    recorded.clear();
    sql::Transaction tx(db);
    std::vector<sql::Statement> step;
    step.reserve(updates.size());
    // The events that may be resolved now are locked first, in id order (no two transactions
    // then wait on each other).
    std::vector<int64_t> resolvable;
    for (const FollowUpdate &u : updates)
      if (u.resolve && u.execution_status != "running" && u.execution_status != "gave-up") resolvable.push_back(u.id);
    std::sort(resolvable.begin(), resolvable.end());
    for (const int64_t id : resolvable) step.push_back({kLockEvent, {id}});
    const size_t first_update = step.size();
    for (const FollowUpdate &u : updates)
      step.push_back({kFollowed,
                      {u.id, u.execution_status, u.next_poll_ms, u.ended_ms, u.duration_ms, u.permalink, u.reason,
                       u.owner, u.execution_id}});
    const std::vector<int64_t> changed = db.exec_all(step);
    // An execution's final status and what is written back about it are stored together or not at all.
    std::vector<sql::Statement> notes;
    std::vector<int64_t> resolve_now;
    for (size_t i = 0; i < updates.size(); ++i) {
      const FollowUpdate &u = updates[i];
      if (changed[first_update + i] == 0) continue;
      recorded.push_back(u.id);
      if (u.execution_status == "running" || u.execution_status == "gave-up") continue;
      if (u.note) notes.push_back({kInsertNote, {u.id, static_cast<int64_t>(u.output_lines), u.marker, now_ms}});
      if (u.resolve) resolve_now.push_back(u.id);
    }
    if (!notes.empty()) db.exec_all(notes);
    for (const int64_t id : resolve_now) {
      std::vector<OutboxJob> event;
      db.exec(kEventJobs, {id}, [&](const sql::Row &r) { event.push_back(read_job(r)); });
      if (const std::optional<ResolveVerdict> v = resolve_verdict(event))
        db.exec(kInsertResolve, {id, v->status, v->reason, now_ms});
    }
    tx.commit();
  });
  return recorded;
}

NoteClaim SqlOutbox::claim_notes(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                                 const std::string &only_owner_not) {
  NoteClaim out;
  with(Use::dispatch, "cannot claim notes to send", [&](sql::Connection &db) {
    out = NoteClaim{};
    sql::Transaction tx(db);
    db.exec_all({{note_claim_sql_.c_str(),
                  {owner, lease_ms, now_ms, static_cast<int64_t>(max), only_owner_not},
                  [&](const sql::Row &r) { out.notes.push_back(read_note(r)); }},
                 {kNoteNextDue, {now_ms}, [&](const sql::Row &r) {
                    if (const int64_t due = r.i64(0)) out.next_due_ms = due;
                  }}});
    tx.commit();
  });
  std::sort(out.notes.begin(), out.notes.end(), [](const NoteRow &a, const NoteRow &b) { return a.id < b.id; });
  return out;
}

std::vector<int64_t> SqlOutbox::record_notes(const std::vector<NoteUpdate> &updates, int64_t now_ms) {
  std::vector<int64_t> recorded;
  if (updates.empty()) return recorded;
  with(Use::dispatch, "cannot record the notes sent", [&](sql::Connection &db) {
    recorded.clear();
    sql::Transaction tx(db);
    std::vector<sql::Statement> step;
    for (const NoteUpdate &u : updates)
      step.push_back({kNoteRecord,
                      {u.id, u.status, static_cast<int64_t>(u.uncertain ? 1 : 0), u.next_attempt_ms, u.http_status,
                       u.reason, now_ms, u.owner}});
    const std::vector<int64_t> changed = db.exec_all(step);
    for (size_t i = 0; i < updates.size(); ++i)
      if (changed[i] > 0) recorded.push_back(updates[i].id);
    tx.commit();
  });
  return recorded;
}

std::map<int64_t, NoteRow> SqlOutbox::job_notes(const std::vector<int64_t> &job_rows) {
  std::map<int64_t, NoteRow> out;
  if (job_rows.empty()) return out;
  with(Use::read, "cannot read the notes", [&](sql::Connection &db) {
    out.clear();
    for (const int64_t id : job_rows)
      db.exec(kNoteOfJob, {id}, [&](const sql::Row &r) { out[id] = read_note(r); });
  });
  return out;
}

std::vector<NoteRow> SqlOutbox::list_notes() {
  std::vector<NoteRow> out;
  with(Use::read, "cannot read the notes", [&](sql::Connection &db) {
    out.clear();
    db.exec(kNotes, {}, [&](const sql::Row &r) { out.push_back(read_note(r)); });
  });
  return out;
}

std::vector<int64_t> SqlOutbox::renew_leases(const std::string &owner, int64_t now_ms, int64_t lease_ms) {
  std::vector<int64_t> ids;
  with(Use::dispatch, "cannot renew leases", [&](sql::Connection &db) {
    ids.clear();
    db.exec(renew_sql_.c_str(), {owner, now_ms, lease_ms}, [&](const sql::Row &r) { ids.push_back(r.i64(0)); });
  });
  return ids;
}

int64_t SqlOutbox::expire_leases(int64_t now_ms, int64_t reconcile_window_ms, const std::string &only_owner_not) {
  int64_t n = 0;
  with(Use::dispatch, "cannot expire leases", [&](sql::Connection &db) {
    n = db.exec(expire_sql_.c_str(), {now_ms, only_owner_not, reconcile_window_ms});
  });
  return n;
}

void SqlOutbox::shift_times(int64_t step_ms, int64_t now_ms) {
  with(Use::dispatch, "cannot shift the due times", [&](sql::Connection &db) {
    sql::Transaction tx(db);
    db.exec(kShiftDue, {step_ms, now_ms - step_ms});
    db.exec(kShiftLeases, {step_ms});
    db.exec(kShiftFollow, {step_ms});
    db.exec(kShiftNotes, {step_ms, now_ms - step_ms});
    tx.commit();
  });
}

int64_t SqlOutbox::clock_ms() {
  if (!dialect_.clock_query) return now_ms();
  if (!clock_known_.load(std::memory_order_acquire)) {
    try {
      with(Use::read, "cannot read the database's clock", [&](sql::Connection &db) {
        const int64_t before = mono_ms();
        db.exec(dialect_.clock_query, {}, [&](const sql::Row &r) { note_clock(r.i64(0), before, mono_ms()); });
      });
    } catch (const OutboxError &) {
      return now_ms(); // the database is down: this gateway's clock until it is back
    }
  }
  return mono_ms() + clock_offset_.load(std::memory_order_relaxed);
}

void SqlOutbox::note_clock(int64_t db_ms, int64_t mono_before, int64_t mono_after) {
  clock_offset_.store(db_ms - (mono_before + mono_after) / 2, std::memory_order_relaxed);
  clock_known_.store(true, std::memory_order_release);
}

std::vector<OutboxJob> SqlOutbox::requeue(const RequeueFilter &f, int64_t now_ms) {
  check_status_filter(f.status);
  if (f.status == "running")
    throw OutboxError("running jobs are not requeued: their gateway holds them; when it dies, its lease expires "
                      "and another gateway (or the next start) takes them over");
  // One statement per id (0: any), all in one transaction: the jobs named, or none.
  const std::vector<int64_t> ids = f.ids.empty() ? std::vector<int64_t>{0} : f.ids;
  std::vector<OutboxJob> out;
  const int64_t skipped = f.skipped ? 1 : 0;
  if (f.dry_run) {
    with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
      out.clear();
      for (const int64_t id : ids)
        db.exec(kRequeuable, {f.status, skipped, f.webhook, id}, [&](const sql::Row &r) { out.push_back(read_job(r)); });
    });
  } else {
    with(Use::dispatch, "cannot requeue", [&](sql::Connection &db) {
      out.clear();
      sql::Transaction tx(db);
      for (const int64_t id : ids)
        db.exec(kRequeue, {f.status, skipped, f.webhook, id, now_ms},
                [&](const sql::Row &r) { out.push_back(read_job(r)); });
      if (!out.empty() && dialect_.notify) db.script(dialect_.notify);
      tx.commit();
    });
  }
  std::sort(out.begin(), out.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id < b.id; });
  // A job named twice is taken once.
  out.erase(std::unique(out.begin(), out.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id == b.id; }),
            out.end());
  return out;
}

std::vector<OutboxJob> SqlOutbox::delivery_jobs(const std::vector<int64_t> &delivery_ids) {
  std::vector<OutboxJob> out;
  with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
    out.clear();
    for (const int64_t id : delivery_ids)
      db.exec(kDeliveryJobs, {id}, [&](const sql::Row &r) { out.push_back(read_job(r)); });
  });
  std::sort(out.begin(), out.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id < b.id; });
  // A redelivery and its first delivery ask for the same jobs.
  out.erase(std::unique(out.begin(), out.end(), [](const OutboxJob &a, const OutboxJob &b) { return a.id == b.id; }),
            out.end());
  return out;
}

void SqlOutbox::record(std::vector<DeliveryRecord> &records) {
  if (records.empty()) return;
  with(Use::record, "cannot record the deliveries", [&](sql::Connection &db) {
    sql::Transaction tx(db);
    if (dialect_.relaxed) db.script(dialect_.relaxed);
    std::vector<sql::Statement> inserts;
    inserts.reserve(records.size());
    for (DeliveryRecord &r : records) inserts.push_back(insert_delivery(r));
    db.exec_all(inserts);
    tx.commit();
  });
}

int64_t SqlOutbox::purge_done(int64_t before_ms) {
  int64_t n = 0;
  with(Use::dispatch, "cannot purge", [&](sql::Connection &db) { n = db.exec(kPurge, {before_ms}); });
  return n;
}

bool SqlOutbox::execution_recorded(std::string_view execution_id) {
  bool found = false;
  with(Use::read, "cannot read the outbox",
       [&](sql::Connection &db) { db.exec(kExecution, {execution_id}, [&](const sql::Row &) { found = true; }); });
  return found;
}

OutboxGauges SqlOutbox::gauges() {
  OutboxGauges g;
  const int64_t now = clock_ms(); // read before: it may use the read connection itself
  try {
    with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
      g = OutboxGauges{};
      db.exec(kGauges, {}, [&](const sql::Row &r) {
        const std::string status = r.text(0);
        const int64_t n = r.i64(2);
        if (r.i64(1) != 0) g.uncertain += n;
        if (status == "queued") g.queued += n;
        else if (status == "running") g.running += n;
        else if (status == "refused") g.refused += n;
        else if (status == "done") g.done += n;
        else if (status == "skipped") g.skipped += n;
      });
      db.exec(kNotesWaiting, {}, [&](const sql::Row &r) { g.notes_waiting = r.i64(0); });
      db.exec(kOldestUnfinished, {}, [&](const sql::Row &r) {
        if (const int64_t since = r.i64(0)) g.oldest_unfinished_execution_ms = std::max<int64_t>(now - since, 0);
      });
    });
    g.ok = true;
  } catch (const OutboxError &) {
    g.ok = false;
  }
  g.intake_commits = commits_.load(std::memory_order_relaxed);
  g.intake_committed_deliveries = committed_deliveries_.load(std::memory_order_relaxed);
  g.dispatch_commits = dispatch_commits_.load(std::memory_order_relaxed);
  return g;
}

Health SqlOutbox::health(int64_t now_ms) {
  if (Health h = backend_health(); !h.ok) return h;
  try {
    with(Use::health, "the outbox is not writable", [&](sql::Connection &db) {
      sql::Transaction tx(db);
      db.exec(kHealthWrite, {std::to_string(now_ms)});
      tx.commit();
    });
  } catch (const OutboxError &e) {
    return {false, e.what()};
  }
  return {true, ""};
}

std::optional<OutboxJob> SqlOutbox::find(std::string_view webhook_key, std::string_view delivery_key,
                                         std::string_view rule_key) {
  std::optional<OutboxJob> out;
  with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
    out.reset();
    db.exec(kFindByKey, {webhook_key, delivery_key, rule_key}, [&](const sql::Row &r) { out = read_job(r); });
  });
  return out;
}

std::optional<OutboxJob> SqlOutbox::find(int64_t id) {
  std::optional<OutboxJob> out;
  with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
    out.reset();
    db.exec(kFindById, {id}, [&](const sql::Row &r) { out = read_job(r); });
  });
  return out;
}

std::vector<OutboxJob> SqlOutbox::list(std::string_view status) {
  check_status_filter(status);
  std::vector<OutboxJob> out;
  with(Use::read, "cannot read the outbox", [&](sql::Connection &db) {
    out.clear();
    db.exec(kList, {status}, [&](const sql::Row &r) { out.push_back(read_job(r)); });
  });
  return out;
}

} // namespace rdwh::gateway
