#include "outbox.hpp"

#include <sqlite3.h>

#include <climits>

namespace rdwh::gateway {

namespace {

// How long a statement waits for a lock held by another connection (an operator's sqlite3, a
// --jobs listing) before failing: a delivery then gets 503 and PagerDuty retries it later.

const char *const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id              INTEGER PRIMARY KEY,
  webhook_key     TEXT NOT NULL,
  webhook_name    TEXT NOT NULL,
  project         TEXT NOT NULL,
  delivery_key    TEXT NOT NULL,
  event_index     INTEGER NOT NULL,
  rule_index      INTEGER NOT NULL,
  rule            TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  request_json    TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'refused')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  execution_id    TEXT NOT NULL DEFAULT '',
  http_status     INTEGER NOT NULL DEFAULT 0,
  reason          TEXT NOT NULL DEFAULT '',
  UNIQUE (webhook_key, delivery_key, event_index, rule_index)
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_ms, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version = 1;
)sql";

const char *const kJobColumns =
    "id, webhook_key, webhook_name, project, delivery_key, event_index, rule_index, rule, event_id, job_id, "
    "request_json, status, attempts, next_attempt_ms, created_ms, updated_ms, execution_id, http_status, reason";

[[noreturn]] void fail(sqlite3 *db, const std::string &what) {
  throw OutboxError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A prepared statement, finalised on scope exit.
class Stmt {
public:
  Stmt(sqlite3 *db, const char *sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail(db, "prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt &) = delete;
  Stmt &operator=(const Stmt &) = delete;

  Stmt &bind(int i, int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt &bind(int i, std::string_view v) {
    check(sqlite3_bind_text64(s_, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  // True when a row is available; false when done. Throws on error.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "step");
  }
  // Ready to run again with new bindings.
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const {
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }

private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, "bind");
  }
  sqlite3 *db_;
  sqlite3_stmt *s_ = nullptr;
};

// BEGIN IMMEDIATE (takes the write lock up front, waiting up to the busy timeout); rolls back on
// scope exit unless committed.
class Transaction {
public:
  explicit Transaction(sqlite3 *db) : db_(db) {
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, "begin");
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, "commit");
    done_ = true;
  }

private:
  sqlite3 *db_;
  bool done_ = false;
};

// PRAGMA synchronous=FULL for the scope (transactions opened in it), NORMAL again after.
class SynchronousFull {
public:
  explicit SynchronousFull(sqlite3 *db) : db_(db) {
    if (sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, "synchronous");
  }
  ~SynchronousFull() { sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr); }

private:
  sqlite3 *db_;
};

OutboxJob read_job(const Stmt &s) {
  OutboxJob j;
  j.id = s.i64(0);
  j.webhook_key = s.text(1);
  j.webhook_name = s.text(2);
  j.project = s.text(3);
  j.delivery_key = s.text(4);
  j.event_index = s.i64(5);
  j.rule_index = s.i64(6);
  j.rule = s.text(7);
  j.event_id = s.text(8);
  j.job_id = s.text(9);
  j.request_json = s.text(10);
  j.status = s.text(11);
  j.attempts = s.i64(12);
  j.next_attempt_ms = s.i64(13);
  j.created_ms = s.i64(14);
  j.updated_ms = s.i64(15);
  j.execution_id = s.text(16);
  j.http_status = s.i64(17);
  j.reason = s.text(18);
  return j;
}

} // namespace

sqlite3 *Outbox::open_connection(const std::string &path, int busy_timeout_ms) {
  sqlite3 *db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw OutboxError(path + ": cannot open: " + why);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return db;
}

Outbox::Outbox(const std::string &path, int busy_timeout_ms) {
  try {
    db_ = open_connection(path, busy_timeout_ms);
    {
      Stmt wal(db_, "PRAGMA journal_mode=WAL");
      if (!wal.step() || wal.text(0) != "wal") throw OutboxError(path + ": cannot switch to WAL mode");
    }
    // NORMAL for the dispatcher's bookkeeping (WAL: durable across a process crash, and a power
    // loss can at worst forget a recent `done`, which re-runs that job: the same at-least-once
    // window as a crash before `done`). Deliveries commit with FULL (commit_batch).
    if (sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK)
      fail(db_, path + ": schema");
    reader_ = open_connection(path, busy_timeout_ms);
    if (sqlite3_exec(reader_, "PRAGMA query_only=1", nullptr, nullptr, nullptr) != SQLITE_OK)
      fail(reader_, path + ": reader");
  } catch (...) {
    sqlite3_close(reader_);
    sqlite3_close(db_);
    throw;
  }
}

Outbox::~Outbox() {
  sqlite3_close(reader_);
  sqlite3_close(db_);
}

EnqueueResult Outbox::enqueue(const std::vector<NewJob> &jobs, int64_t now_ms) {
  if (jobs.empty()) return {};
  std::unique_lock lock(batch_mu_);
  if (!open_batch_) open_batch_ = std::make_shared<Batch>();
  std::shared_ptr<Batch> batch = open_batch_;
  const std::size_t index = batch->deliveries.size();
  batch->deliveries.emplace_back(&jobs, now_ms);
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
      batch_done_.notify_all();
      break;
    }
    batch_done_.wait(lock);
  }
  if (batch->error) std::rethrow_exception(batch->error);
  return batch->results[index];
}

// One transaction for every delivery of the batch. A failure fails them all (each gets 503 and
// PagerDuty delivers it again); nothing of a failed batch is stored.
void Outbox::commit_batch(Batch &batch) {
  try {
    std::lock_guard lock(mu_);
    // FULL: the commit is on disk (fsync'd) before any of these deliveries is answered 2xx, so
    // even a power loss cannot lose an acknowledged job.
    SynchronousFull durable(db_);
    Transaction tx(db_);
    // ON CONFLICT ... DO NOTHING is INSERT OR IGNORE restricted to the identity key: a redelivered
    // job is skipped, while any other constraint failure still fails the delivery.
    Stmt ins(db_, "INSERT INTO jobs (webhook_key, webhook_name, project, delivery_key, event_index, rule_index, rule, "
                  "event_id, job_id, request_json, status, next_attempt_ms, created_ms, updated_ms) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?11, ?11) "
                  "ON CONFLICT (webhook_key, delivery_key, event_index, rule_index) DO NOTHING");
    std::vector<EnqueueResult> results(batch.deliveries.size());
    for (std::size_t d = 0; d < batch.deliveries.size(); ++d) {
      const auto &[jobs, now_ms] = batch.deliveries[d];
      for (const NewJob &j : *jobs) {
        ins.bind(1, j.webhook_key).bind(2, j.webhook_name).bind(3, j.project).bind(4, j.delivery_key);
        ins.bind(5, static_cast<int64_t>(j.event_index)).bind(6, static_cast<int64_t>(j.rule_index));
        ins.bind(7, j.rule).bind(8, j.event_id).bind(9, j.job_id).bind(10, j.request_json).bind(11, now_ms);
        ins.step();
        if (sqlite3_changes(db_) > 0) ++results[d].inserted;
        else ++results[d].duplicates;
        ins.reset();
      }
    }
    tx.commit();
    batch.results = std::move(results);
  } catch (...) {
    batch.error = std::current_exception();
  }
}

int64_t Outbox::requeue_running(int64_t now_ms) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt up(db_, "UPDATE jobs SET status = 'queued', next_attempt_ms = ?1, updated_ms = ?1, "
               "reason = 'requeued after a restart: the gateway stopped during the run call' "
               "WHERE status = 'running'");
  up.bind(1, now_ms).step();
  const int64_t n = sqlite3_changes(db_);
  tx.commit();
  return n;
}

std::optional<OutboxJob> Outbox::claim_next(int64_t now_ms, int64_t &next_due_ms) {
  std::lock_guard lock(mu_);
  next_due_ms = INT64_MAX;
  Transaction tx(db_);
  Stmt sel(db_, (std::string("SELECT ") + kJobColumns +
                 " FROM jobs WHERE status = 'queued' ORDER BY next_attempt_ms, id LIMIT 1")
                    .c_str());
  if (!sel.step()) return std::nullopt;
  OutboxJob job = read_job(sel);
  if (job.next_attempt_ms > now_ms) {
    next_due_ms = job.next_attempt_ms;
    return std::nullopt;
  }
  // Committed before Rundeck is called: after a crash, the row says the call may have happened.
  Stmt up(db_, "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_ms = ?2 WHERE id = ?1");
  up.bind(1, job.id).bind(2, now_ms).step();
  tx.commit();
  job.status = "running";
  ++job.attempts;
  job.updated_ms = now_ms;
  return job;
}

void Outbox::finish_attempt(int64_t id, const char *status, int64_t next_attempt_ms, std::string_view execution_id,
                            int64_t http_status, std::string_view reason, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt up(db_, "UPDATE jobs SET status = ?2, next_attempt_ms = ?3, execution_id = ?4, http_status = ?5, "
               "reason = ?6, updated_ms = ?7 WHERE id = ?1");
  up.bind(1, id).bind(2, std::string_view(status)).bind(3, next_attempt_ms).bind(4, execution_id);
  up.bind(5, http_status).bind(6, reason).bind(7, now_ms);
  up.step(); // autocommit: one statement, one durable transaction
}

void Outbox::mark_done(int64_t id, std::string_view execution_id, int64_t http_status, int64_t now_ms) {
  finish_attempt(id, "done", now_ms, execution_id, http_status, "", now_ms);
}

void Outbox::mark_retry(int64_t id, int64_t next_attempt_ms, int64_t http_status, std::string_view reason,
                        int64_t now_ms) {
  finish_attempt(id, "queued", next_attempt_ms, "", http_status, reason, now_ms);
}

void Outbox::mark_refused(int64_t id, int64_t http_status, std::string_view reason, int64_t now_ms) {
  finish_attempt(id, "refused", now_ms, "", http_status, reason, now_ms);
}

int64_t Outbox::purge_done(int64_t before_ms) {
  std::lock_guard lock(mu_);
  Stmt del(db_, "DELETE FROM jobs WHERE status = 'done' AND updated_ms < ?1");
  del.bind(1, before_ms).step();
  return sqlite3_changes(db_);
}

OutboxGauges Outbox::gauges() {
  OutboxGauges g;
  try {
    std::lock_guard lock(read_mu_);
    Stmt s(reader_, "SELECT status, COUNT(*) FROM jobs GROUP BY status");
    while (s.step()) {
      const std::string status = s.text(0);
      const int64_t n = s.i64(1);
      if (status == "queued") g.queued = n;
      else if (status == "running") g.running = n;
      else if (status == "refused") g.refused = n;
      else if (status == "done") g.done = n;
    }
    g.ok = true;
  } catch (const OutboxError &) {
    g.ok = false;
  }
  return g;
}

bool Outbox::writable(int64_t now_ms) {
  try {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO meta (key, value) VALUES ('healthz', ?1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    s.bind(1, std::to_string(now_ms)).step();
    return true;
  } catch (const OutboxError &) {
    return false;
  }
}

std::vector<OutboxJob> Outbox::list(std::string_view status) {
  std::lock_guard lock(read_mu_);
  std::vector<OutboxJob> out;
  Stmt s(reader_, (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE ?1 = '' OR status = ?1 ORDER BY id").c_str());
  s.bind(1, status);
  while (s.step()) out.push_back(read_job(s));
  return out;
}

} // namespace rdwh::gateway
