// The SQLite outbox: one file in stateDir, WAL mode, for one gateway process (the state
// directory's lock, StateDirLock, keeps a second one out).
#include "store/sqlite/outbox.hpp"

#include "store/schema.hpp"
#include "store/sqlite/connection.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rdwh::gateway {

namespace {

// No claim lock (one writer at a time), no NOTIFY (one process), and records need no relaxed
// commit: run(Use::record) leaves synchronous=NORMAL.
const sql::Dialect kDialect{"INTEGER PRIMARY KEY", "", nullptr, nullptr, nullptr, nullptr};

// Version 1: the first layout (identity by delivery header and rule position).
const char *const kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY, webhook_key TEXT NOT NULL, webhook_name TEXT NOT NULL, project TEXT NOT NULL,
  delivery_key TEXT NOT NULL, event_index INTEGER NOT NULL, rule_index INTEGER NOT NULL, rule TEXT NOT NULL,
  event_id TEXT NOT NULL, job_id TEXT NOT NULL, request_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'refused')),
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, execution_id TEXT NOT NULL DEFAULT '', http_status INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '', UNIQUE (webhook_key, delivery_key, event_index, rule_index));
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_ms, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// Version 1 -> 2: identities from what the sender signed (event key, rule key, webhook project),
// leases, uncertain outcomes, resources. Old rows keep their old keys (a redelivery of an event
// acknowledged before the upgrade is not recognised: see docs/operations.md); rows left running
// become uncertain (their owner is gone).
std::string migration_v2() {
  return "ALTER TABLE jobs RENAME TO jobs_v1; DROP INDEX IF EXISTS jobs_due;" + schema::schema_v2_sql(kDialect) +
         R"sql(
INSERT INTO jobs (id, webhook_key, webhook_name, project, delivery_key, rule_key, rule, event_id, job_id,
  request_json, status, uncertain, attempts, next_attempt_ms, sent_ms, created_ms, updated_ms, execution_id,
  http_status, reason)
SELECT id, CASE WHEN webhook_key = webhook_name THEN 'name:' || project || '/' || webhook_name
                ELSE 'uuid:' || webhook_key END,
  webhook_name, project, delivery_key || '#' || event_index, 'index:' || rule_index, rule, event_id, job_id,
  request_json, status, CASE WHEN status = 'running' THEN 1 ELSE 0 END, attempts, next_attempt_ms,
  CASE WHEN status = 'running' THEN updated_ms ELSE 0 END, created_ms, updated_ms, execution_id, http_status, reason
FROM jobs_v1;
DROP TABLE jobs_v1;
)sql";
}

// Version 4 -> 5: ids are never used twice. Without AUTOINCREMENT SQLite gives a new row the
// largest id + 1, so deleting the newest webhook, delivery or job handed its id to the next one (a
// Terraform state or a link holding it then named another). The tables are made again with
// AUTOINCREMENT, every row keeping its id; the counters start above the largest id still named
// anywhere (a delivery's webhook_id, a replay's replay_of), even when its row is gone.
std::string migration_v5() {
  const sql::Dialect autoincrement{"INTEGER PRIMARY KEY AUTOINCREMENT", "", nullptr, nullptr, nullptr, nullptr};
  return R"sql(
ALTER TABLE jobs RENAME TO jobs_v4;
DROP INDEX jobs_due; DROP INDEX jobs_open_by_resource; DROP INDEX jobs_running_by_owner; DROP INDEX jobs_by_execution;
ALTER TABLE webhooks RENAME TO webhooks_v4; DROP INDEX webhooks_by_token;
ALTER TABLE deliveries RENAME TO deliveries_v4; DROP INDEX deliveries_by_webhook; DROP INDEX deliveries_by_time;
)sql" + schema::schema_v2_sql(autoincrement) +
         schema::console_tables_sql(autoincrement) + schema::schema_v4_sql() + R"sql(
INSERT INTO jobs SELECT * FROM jobs_v4;
INSERT INTO webhooks SELECT * FROM webhooks_v4;
INSERT INTO deliveries SELECT * FROM deliveries_v4;
DROP TABLE jobs_v4; DROP TABLE webhooks_v4; DROP TABLE deliveries_v4;
INSERT INTO sqlite_sequence (name, seq) SELECT t.name, 0 FROM (SELECT 'webhooks' AS name UNION ALL
  SELECT 'deliveries' UNION ALL SELECT 'jobs') t WHERE t.name NOT IN (SELECT name FROM sqlite_sequence);
UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(webhook_id), 0) FROM deliveries))
  WHERE name = 'webhooks';
UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(replay_of), 0) FROM deliveries))
  WHERE name = 'deliveries';
)sql" + schema::schema_v5_sql() +
         R"sql(
INSERT INTO delivery_jobs (delivery_id, webhook_key, delivery_key, rule_key)
SELECT d.id, d.webhook_key, json_extract(e.value, '$.deliveryKey'), json_extract(e.value, '$.ruleKey')
FROM deliveries d, json_each(CASE WHEN json_valid(d.jobs_json) THEN d.jobs_json ELSE '[]' END) e
WHERE json_extract(e.value, '$.deliveryKey') IS NOT NULL AND json_extract(e.value, '$.ruleKey') IS NOT NULL;
)sql";
}

using schema::Migration;
std::vector<Migration> migrations() {
  return {{1, kSchemaV1}, {2, migration_v2()}, {3, schema::schema_v3_sql(kDialect)},
          {4, schema::schema_v4_sql()}, {5, migration_v5()},
          {6, schema::schema_kept_signature_sql()},
          {7, schema::schema_delivery_events_sql(), &schema::fill_delivery_events},
          {8, schema::schema_webhook_versions_sql(kDialect), &schema::fill_webhook_versions},
          {9, schema::schema_follow_sql()},
          {10, schema::schema_notes_sql(kDialect)},
          {11, schema::schema_webhook_follow_up_sql()}};
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
};

} // namespace

constexpr int kShortWaitMs = 250;

struct SqliteOutbox::Impl {
  std::string path;
  int busy_timeout_ms = 2000;
  FileId file;
  std::mutex mu;   // guards writer
  std::unique_ptr<sql::SqliteConnection> writer;
  std::mutex read_mu; // guards reader
  std::unique_ptr<sql::SqliteConnection> reader;

  // Empty when the file at `path` is still the one opened; else what happened to it.
  std::string file_problem() const {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return "the outbox file " + path + " is gone (" + std::strerror(errno) + "): acknowledged jobs cannot be kept";
    if (st.st_dev != file.dev || st.st_ino != file.ino)
      return "the outbox file " + path + " was replaced by another file while the gateway runs";
    return "";
  }
};

SqliteOutbox::SqliteOutbox(const std::string &path, int busy_timeout_ms, std::unique_ptr<StateDirLock> lock,
                           bool migrate)
    : SqlOutbox(kDialect), lock_(std::move(lock)), impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->busy_timeout_ms = busy_timeout_ms;
  try {
    impl_->writer = std::make_unique<sql::SqliteConnection>(path, busy_timeout_ms, true);
    sql::SqliteConnection &db = *impl_->writer;
    if (db.scalar("PRAGMA journal_mode=WAL") != "wal") throw OutboxError(path + ": cannot switch to WAL mode");
    // Corruption found now stops the start with a clear message, rather than failing deliveries later.
    const std::string check = db.scalar("PRAGMA quick_check");
    if (check != "ok")
      throw OutboxError(path + ": the integrity check failed (" + check +
                        "); restore the outbox from a backup (docs/operations.md)");
    // NORMAL for the dispatcher's bookkeeping (WAL: durable across a process crash; a power loss
    // can at worst forget a recent `done`, which reconciliation then finds on Rundeck).
    // Deliveries commit with FULL (run(Use::intake)).
    db.script("PRAGMA synchronous=NORMAL");
    const int version = std::stoi(db.scalar("PRAGMA user_version"));
    const std::vector<Migration> steps = migrations();
    if (version > steps.back().version)
      throw OutboxError(path + ": schema version " + std::to_string(version) + " is newer than this gateway's (" +
                        std::to_string(steps.back().version) + "): run the newer gateway, or restore a backup");
    if (!migrate && version < steps.back().version)
      throw OutboxError(path + ": schema version " + std::to_string(version) + " is older than this gateway's (" +
                        std::to_string(steps.back().version) + "); the gateway migrates it when it starts");
    for (const Migration &m : steps) {
      if (m.version <= version) continue;
      sql::Transaction tx(db);
      db.script(m.sql.c_str());
      if (m.fill) m.fill(db);
      db.script(("PRAGMA user_version = " + std::to_string(m.version)).c_str());
      tx.commit();
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw OutboxError(path + ": " + std::strerror(errno));
    impl_->file = {st.st_dev, st.st_ino};
    impl_->reader = std::make_unique<sql::SqliteConnection>(path, busy_timeout_ms, false);
    impl_->reader->script("PRAGMA query_only=1");
  } catch (const sql::Error &e) {
    const std::string_view what = e.what();
    throw OutboxError(what.substr(0, path.size()) == path ? std::string(what) : path + ": " + std::string(what));
  }
}

SqliteOutbox::~SqliteOutbox() = default;

std::string SqliteOutbox::describe() const { return "sqlite " + impl_->path; }

void SqliteOutbox::run(Use use, const std::function<void(sql::Connection &)> &fn) {
  if (use == Use::read) {
    std::lock_guard lock(impl_->read_mu);
    fn(*impl_->reader);
    return;
  }
  std::lock_guard lock(impl_->mu);
  sql::SqliteConnection &db = *impl_->writer;
  // Intake and dispatcher share this connection (and its mutex). Only a delivery waits the full
  // busy timeout for a lock held by another process; the dispatcher and the health check give up
  // soon, so they never hold the mutex (and the deliveries behind it) for long.
  const bool delivery = use == Use::intake || use == Use::record;
  db.set_busy_timeout(delivery ? impl_->busy_timeout_ms : std::min(impl_->busy_timeout_ms, kShortWaitMs));
  if (use == Use::dispatch) {
    fn(db);
    return;
  }
  // A write to a deleted file would succeed and be lost at the next start: refuse it.
  if (std::string problem = impl_->file_problem(); !problem.empty()) throw sql::Error(problem);
  if (use == Use::record) { // nothing acknowledged depends on it: NORMAL (WAL: survives a process crash)
    fn(db);
    return;
  }
  // FULL: the commit is on disk (fsync'd) before any delivery of it is answered 2xx, so even a
  // power loss cannot lose an acknowledged job.
  db.script("PRAGMA synchronous=FULL");
  struct Normal {
    sql::SqliteConnection &db;
    ~Normal() {
      try {
        db.script("PRAGMA synchronous=NORMAL");
      } catch (const sql::Error &) {
        // Stays FULL: slower, never less safe.
      }
    }
  } normal{db};
  fn(db);
}

std::optional<int64_t> SqliteOutbox::local_free_bytes() const {
  struct statvfs fs {};
  if (::statvfs(impl_->path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

Health SqliteOutbox::backend_health() {
  std::string problem = impl_->file_problem();
  return {problem.empty(), problem};
}

} // namespace rdwh::gateway
