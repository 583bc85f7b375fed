#include "store/postgresql/outbox.hpp"

#include "base/log.hpp"
#include "store/postgresql/connection.hpp"
#include "store/schema.hpp"

#include <poll.h>

#include <atomic>
#include <thread>

namespace rdwh::gateway {

namespace {

constexpr const char *kChannel = "rdwh_jobs";
constexpr int64_t kAdvisoryLockKey = 0x72647768; // "rdwh": serialises migrations between gateways

// Claims skip rows another gateway's claim holds; a commit that queued jobs wakes every gateway
// (each LISTENs); records commit without waiting for the disk.
const sql::Dialect kDialect{"BIGSERIAL PRIMARY KEY", "FOR UPDATE SKIP LOCKED", "NOTIFY rdwh_jobs",
                           "SET LOCAL synchronous_commit TO OFF", "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
                           "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"};

// Version 5's delivery_jobs, from what each stored delivery's jobs_json names (the gateway wrote it:
// a JSON array). Sequences never go back, so ids need no step here (SQLite's do).
const char *const kDeliveryJobsFromJson = R"sql(
INSERT INTO delivery_jobs (delivery_id, webhook_key, delivery_key, rule_key)
SELECT d.id, d.webhook_key, e.value ->> 'deliveryKey', e.value ->> 'ruleKey'
FROM deliveries d, json_array_elements(CAST(d.jobs_json AS json)) AS e(value)
WHERE e.value ->> 'deliveryKey' IS NOT NULL AND e.value ->> 'ruleKey' IS NOT NULL;
)sql";

using schema::Migration;
// The versions match the SQLite outbox's: version 2 is the first PostgreSQL layout.
std::vector<Migration> migrations() {
  return {{2, schema::schema_v2_sql(kDialect) + "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"},
          {3, schema::schema_v3_sql(kDialect)},
          {4, schema::schema_v4_sql()},
          {5, schema::schema_v5_sql() + kDeliveryJobsFromJson},
          {6, schema::schema_kept_signature_sql()},
          {7, schema::schema_delivery_events_sql(), &schema::fill_delivery_events},
          {8, schema::schema_webhook_versions_sql(kDialect), &schema::fill_webhook_versions},
          {9, schema::schema_follow_sql()},
          {10, schema::schema_notes_sql(kDialect)},
          {11, schema::schema_webhook_follow_up_sql()}};
}

// The schema's version; 0 before the first gateway made it.
int64_t schema_version(sql::PgConnection &db) {
  bool made = false;
  db.exec("SELECT CASE WHEN to_regclass('rdwh_schema') IS NULL THEN 0 ELSE 1 END", {}, [&](const sql::Row &r) { made = r.i64(0) != 0; });
  int64_t version = 0;
  if (made) db.exec("SELECT version FROM rdwh_schema", {}, [&](const sql::Row &r) { version = r.i64(0); });
  return version;
}

void migrate(sql::PgConnection &db) {
  sql::Transaction tx(db);
  db.exec("SELECT pg_advisory_xact_lock($1)", {kAdvisoryLockKey});
  db.script("CREATE TABLE IF NOT EXISTS rdwh_schema (version INTEGER NOT NULL)");
  int64_t version = 0;
  bool has_row = false;
  db.exec("SELECT version FROM rdwh_schema", {}, [&](const sql::Row &r) {
    version = r.i64(0);
    has_row = true;
  });
  const std::vector<Migration> steps = migrations();
  if (version > steps.back().version)
    throw OutboxError("PostgreSQL outbox schema version " + std::to_string(version) + " is newer than this gateway's (" +
                      std::to_string(steps.back().version) + "): upgrade this gateway");
  for (const Migration &m : steps) {
    if (m.version <= version) continue;
    db.script(m.sql.c_str());
    if (m.fill) m.fill(db);
    version = m.version;
  }
  if (has_row) db.exec("UPDATE rdwh_schema SET version = $1", {version});
  else db.exec("INSERT INTO rdwh_schema (version) VALUES ($1)", {version});
  tx.commit();
}

} // namespace

struct PgOutbox::Impl {
  std::string conninfo;
  std::string description;
  std::mutex intake_mu, dispatch_mu, read_mu;
  std::unique_ptr<sql::PgConnection> intake, dispatch, read;

  std::mutex wake_mu;
  std::function<void()> wakeup;
  std::atomic<bool> stop{false};
  std::thread listener;

  // LISTENs on its own connection and calls `wakeup` for each batch of notifications; after a
  // lost connection, reconnects every second (and wakes the dispatcher, which may have missed one).
  void listen_loop() {
    std::unique_ptr<sql::PgConnection> conn;
    bool was_down = false;
    while (!stop) {
      try {
        if (!conn) {
          conn = std::make_unique<sql::PgConnection>(conninfo);
          conn->listen(kChannel);
        }
        pollfd p{conn->socket(), POLLIN, 0};
        ::poll(&p, 1, 250); // a short timeout, so stop is noticed quickly
        if (conn->take_notifications() || was_down) wake();
        if (was_down) log::info("PostgreSQL connection for notifications is back");
        was_down = false;
      } catch (const sql::Error &e) {
        if (!was_down) log::warn("PostgreSQL notifications lost; retrying", {{"error", e.what()}});
        was_down = true;
        conn.reset();
        for (int i = 0; i < 4 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
  }
  void wake() {
    std::lock_guard lock(wake_mu);
    if (wakeup) wakeup();
  }
};

PgOutbox::PgOutbox(const std::string &conninfo, bool migrate_schema)
    : SqlOutbox(kDialect), impl_(std::make_unique<Impl>()) {
  impl_->conninfo = conninfo;
  try {
    impl_->intake = std::make_unique<sql::PgConnection>(conninfo);
    impl_->description = impl_->intake->describe();
    if (migrate_schema) {
      migrate(*impl_->intake);
    } else if (const int64_t version = schema_version(*impl_->intake); version != migrations().back().version) {
      throw OutboxError("PostgreSQL outbox schema version " + std::to_string(version) + " is not this gateway's (" +
                        std::to_string(migrations().back().version) + "); the gateway migrates it when it starts");
    }
    impl_->dispatch = std::make_unique<sql::PgConnection>(conninfo);
    impl_->read = std::make_unique<sql::PgConnection>(conninfo);
  } catch (const sql::Error &e) {
    throw OutboxError(std::string("outbox.postgresql: ") + e.what());
  }
  impl_->listener = std::thread([impl = impl_.get()] { impl->listen_loop(); });
}

PgOutbox::~PgOutbox() {
  impl_->stop = true;
  if (impl_->listener.joinable()) impl_->listener.join();
}

void PgOutbox::on_wakeup(std::function<void()> fn) {
  std::lock_guard lock(impl_->wake_mu);
  impl_->wakeup = std::move(fn);
}

std::string PgOutbox::describe() const { return impl_->description; }

void PgOutbox::run(Use use, const std::function<void(sql::Connection &)> &fn) {
  const bool intake = use == Use::intake || use == Use::record || use == Use::health;
  std::mutex &mu = intake ? impl_->intake_mu : use == Use::dispatch ? impl_->dispatch_mu : impl_->read_mu;
  sql::PgConnection &db = intake ? *impl_->intake : use == Use::dispatch ? *impl_->dispatch : *impl_->read;
  std::lock_guard lock(mu);
  const uint64_t before = db.completed();
  try {
    fn(db);
  } catch (const sql::Error &e) {
    // A connection lost between two calls (the server restarted) fails the first statement sent
    // on it: nothing reached the server, so the work is repeated once on a new connection. A
    // failure later in the work is the caller's to handle (a commit may or may not have happened).
    if (!e.connection_lost() || db.completed() != before) throw;
    fn(db);
  }
}

} // namespace rdwh::gateway
