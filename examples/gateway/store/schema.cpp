// The schema (see store/schema.hpp). Every statement runs unchanged on SQLite and PostgreSQL but
// for the primary key's definition (the dialect's).
#include "store/schema.hpp"

#include "store/delivery_store.hpp"

#include <array>

namespace rdwh::gateway::schema {

namespace {

struct UniqueKey {
  const char *name;
  const char *table;
  std::vector<std::string_view> columns;
};

// Every key named in the SQL below that a caller tells apart.
const std::array<UniqueKey, 3> &unique_keys() {
  static const std::array<UniqueKey, 3> keys{{{kWebhookUuid, "webhooks", {"uuid"}},
                                              {kWebhookName, "webhooks", {"project", "name"}},
                                              {kWebhookToken, "webhooks", {"auth_token"}}}};
  return keys;
}

} // namespace

std::string_view unique_key_named(std::string_view table, const std::vector<std::string_view> &columns) {
  for (const UniqueKey &k : unique_keys())
    if (table == k.table && columns == k.columns) return k.name;
  return {};
}

std::string schema_v2_sql(const sql::Dialect &dialect) {
  return std::string("CREATE TABLE jobs (id ") + dialect.id_column + R"sql(,
  webhook_key     TEXT NOT NULL,
  webhook_name    TEXT NOT NULL,
  project         TEXT NOT NULL,
  delivery_key    TEXT NOT NULL,
  rule_key        TEXT NOT NULL,
  rule            TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  resource_id     TEXT NOT NULL DEFAULT '',
  event_time_ms   BIGINT NOT NULL DEFAULT 0,
  job_id          TEXT NOT NULL,
  request_json    TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'refused', 'skipped')),
  uncertain       INTEGER NOT NULL DEFAULT 0,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  sent_ms         BIGINT NOT NULL DEFAULT 0,
  owner           TEXT NOT NULL DEFAULT '',
  lease_until_ms  BIGINT NOT NULL DEFAULT 0,
  created_ms      BIGINT NOT NULL,
  updated_ms      BIGINT NOT NULL,
  execution_id    TEXT NOT NULL DEFAULT '',
  http_status     INTEGER NOT NULL DEFAULT 0,
  reason          TEXT NOT NULL DEFAULT '',
  UNIQUE (webhook_key, delivery_key, rule_key)
);
CREATE INDEX jobs_due ON jobs (status, next_attempt_ms, id);
CREATE INDEX jobs_open_by_resource ON jobs (resource_id, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_running_by_owner ON jobs (owner, lease_until_ms) WHERE status = 'running';
CREATE INDEX jobs_by_execution ON jobs (execution_id) WHERE execution_id <> '';
)sql";
}

std::string console_tables_sql(const sql::Dialect &dialect) {
  return std::string("CREATE TABLE webhooks (id ") + dialect.id_column + R"sql(,
  uuid         TEXT NOT NULL CONSTRAINT webhooks_uuid_key UNIQUE,
  project      TEXT NOT NULL,
  name         TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('file', 'api')),
  event_plugin TEXT NOT NULL,
  config_json  TEXT NOT NULL,
  enabled      INTEGER NOT NULL DEFAULT 1,
  auth_token   TEXT NOT NULL,
  use_auth     INTEGER NOT NULL DEFAULT 0,
  auth_sha256  TEXT NOT NULL DEFAULT '',
  user_name    TEXT NOT NULL DEFAULT '',
  roles        TEXT NOT NULL DEFAULT '',
  creator      TEXT NOT NULL DEFAULT '',
  created_ms   BIGINT NOT NULL,
  updated_ms   BIGINT NOT NULL,
  CONSTRAINT webhooks_project_name_key UNIQUE (project, name)
);
CREATE UNIQUE INDEX webhooks_by_token ON webhooks (auth_token);
CREATE TABLE deliveries (id )sql" + dialect.id_column + R"sql(,
  received_ms    BIGINT NOT NULL,
  webhook_id     BIGINT NOT NULL DEFAULT 0,
  webhook_name   TEXT NOT NULL DEFAULT '',
  project        TEXT NOT NULL DEFAULT '',
  webhook_key    TEXT NOT NULL DEFAULT '',
  delivery_id    TEXT NOT NULL DEFAULT '',
  sender         TEXT NOT NULL DEFAULT '',
  headers_json   TEXT NOT NULL DEFAULT '[]',
  body           TEXT NOT NULL DEFAULT '',
  body_base64    INTEGER NOT NULL DEFAULT 0,
  body_bytes     BIGINT NOT NULL DEFAULT 0,
  body_truncated INTEGER NOT NULL DEFAULT 0,
  status         INTEGER NOT NULL,
  verdict        TEXT NOT NULL DEFAULT '',
  outcome        TEXT NOT NULL,
  error          TEXT NOT NULL DEFAULT '',
  job_count      INTEGER NOT NULL DEFAULT 0,
  evaluation     TEXT NOT NULL DEFAULT '',
  jobs_json      TEXT NOT NULL DEFAULT '[]',
  replay_of      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, id);
CREATE INDEX deliveries_by_time ON deliveries (received_ms);
)sql";
}

std::string schema_v3_sql(const sql::Dialect &dialect) {
  return console_tables_sql(dialect) + "INSERT INTO meta (key, value) VALUES ('webhooks_version', '0');";
}

std::string schema_v4_sql() {
  return "ALTER TABLE deliveries ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;"
         "UPDATE deliveries SET stored_bytes = " +
         std::to_string(kDeliveryRowOverhead) +
         " + length(headers_json) + length(body) + length(evaluation) + length(jobs_json) + length(error);";
}

std::string schema_v5_sql() {
  return R"sql(
ALTER TABLE webhooks ADD COLUMN auth_ref TEXT NOT NULL DEFAULT '';
CREATE TABLE delivery_jobs (
  delivery_id  BIGINT NOT NULL,
  webhook_key  TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  rule_key     TEXT NOT NULL
);
CREATE INDEX delivery_jobs_by_delivery ON delivery_jobs (delivery_id);
)sql";
}

std::string schema_kept_signature_sql() {
  return "ALTER TABLE deliveries ADD COLUMN signature_headers TEXT NOT NULL DEFAULT '';";
}

std::string schema_delivery_events_sql() {
  return R"sql(
ALTER TABLE deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN incident_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN incident_title TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN incident_number BIGINT NOT NULL DEFAULT 0;
CREATE INDEX deliveries_by_incident ON deliveries (incident_id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_delivery_id ON deliveries (delivery_id);
)sql";
}

std::string schema_webhook_versions_sql(const sql::Dialect &dialect) {
  return std::string("CREATE TABLE webhook_versions (id ") + dialect.id_column + R"sql(,
  webhook_id   BIGINT NOT NULL,
  version      BIGINT NOT NULL,
  webhook_json TEXT NOT NULL,
  who          TEXT NOT NULL,
  at_ms        BIGINT NOT NULL,
  action       TEXT NOT NULL CHECK (action IN ('create', 'update', 'enable', 'disable', 'restore', 'delete')),
  UNIQUE (webhook_id, version)
);
)sql";
}

std::string schema_follow_sql() {
  return R"sql(
ALTER TABLE jobs ADD COLUMN execution_status TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN execution_ended_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN execution_duration_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN execution_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN permalink TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN follow_since_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN follow_next_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN follow_polls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN follow_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN follow_lease_until_ms BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET execution_status = 'running', follow_next_ms = 0,
  follow_since_ms = CASE WHEN sent_ms > 0 THEN sent_ms ELSE updated_ms END
  WHERE status = 'done' AND execution_id <> '';
CREATE INDEX jobs_following ON jobs (follow_next_ms, id) WHERE execution_status = 'running';
)sql";
}

std::string schema_notes_sql(const sql::Dialect &dialect) {
  return std::string("CREATE TABLE notes (id ") + dialect.id_column + R"sql(,
  kind            TEXT NOT NULL CHECK (kind IN ('note', 'resolve')),
  event_key       TEXT NOT NULL,
  job_row         BIGINT NOT NULL DEFAULT 0,
  execution_id    TEXT NOT NULL DEFAULT '',
  incident_id     TEXT NOT NULL,
  webhook_name    TEXT NOT NULL DEFAULT '',
  output_lines    INTEGER NOT NULL DEFAULT 10,
  marker          TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL CHECK (status IN ('waiting', 'sending', 'posted', 'stopped', 'skipped')),
  uncertain       INTEGER NOT NULL DEFAULT 0,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  owner           TEXT NOT NULL DEFAULT '',
  lease_until_ms  BIGINT NOT NULL DEFAULT 0,
  http_status     INTEGER NOT NULL DEFAULT 0,
  reason          TEXT NOT NULL DEFAULT '',
  created_ms      BIGINT NOT NULL,
  updated_ms      BIGINT NOT NULL,
  UNIQUE (kind, event_key, job_row, execution_id)
);
CREATE INDEX notes_due ON notes (next_attempt_ms, id) WHERE status IN ('waiting', 'sending');
CREATE INDEX notes_by_job ON notes (job_row) WHERE job_row <> 0;
)sql";
}

std::string schema_webhook_follow_up_sql() {
  return "ALTER TABLE webhooks ADD COLUMN follow_up_json TEXT NOT NULL DEFAULT '';";
}

void fill_delivery_events(sql::Connection &c) {
  constexpr int64_t kBatch = 500; // rows read at a time: their bodies are in memory together
  struct Row {
    int64_t id;
    std::string body;
  };
  for (int64_t after = 0;;) {
    std::vector<Row> rows;
    c.exec("SELECT id, body FROM deliveries WHERE id > $1 AND body_base64 = 0 ORDER BY id LIMIT $2", {after, kBatch},
           [&](const sql::Row &r) { rows.push_back({r.i64(0), r.text(1)}); });
    if (rows.empty()) return;
    after = rows.back().id;
    for (const Row &row : rows) {
      DeliveryRecord d;
      describe_event(d, row.body);
      const int64_t bytes = static_cast<int64_t>(d.event_type.size() + d.event_id.size() + d.incident_id.size() +
                                                 d.incident_title.size());
      if (bytes == 0 && d.incident_number == 0) continue;
      c.exec("UPDATE deliveries SET event_type = $1, event_id = $2, incident_id = $3, incident_title = $4, "
             "incident_number = $5, stored_bytes = stored_bytes + $6 WHERE id = $7",
             {d.event_type, d.event_id, d.incident_id, d.incident_title, d.incident_number, bytes, row.id});
    }
  }
}

} // namespace rdwh::gateway::schema
