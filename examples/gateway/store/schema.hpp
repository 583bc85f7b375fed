// The outbox's tables, for both databases. Invariants:
// - A layout has a version; a database is only ever moved forward, one version per step, each
//   step in one transaction with the version bump (the backends keep their own history: SQLite's
//   starts at version 1, PostgreSQL's at 2).
// - The unique keys a caller tells apart (the webhooks') are named here, once: PostgreSQL reports
//   the name itself, the SQLite driver maps the columns SQLite reports to it (unique_key_named()).
//   The names are the ones PostgreSQL gave these keys before they were written in the schema, so
//   databases made before and after agree.
#pragma once

#include "store/sql.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway::schema {

// The webhooks' unique keys (store/webhook_store.hpp: a name, uuid or token already taken).
inline constexpr const char *kWebhookUuid = "webhooks_uuid_key";         // (uuid)
inline constexpr const char *kWebhookName = "webhooks_project_name_key"; // (project, name)
inline constexpr const char *kWebhookToken = "webhooks_by_token";        // (auth_token)

// The named key over exactly `table` and `columns` (in the key's order), or "" when there is none.
std::string_view unique_key_named(std::string_view table, const std::vector<std::string_view> &columns);

// One step of a backend's history: the SQL that brings the schema to `version`, then `fill` (when
// set: what SQL cannot compute), in the same transaction.
struct Migration {
  int version;
  std::string sql;
  void (*fill)(sql::Connection &) = nullptr;
};

// Version 2: the jobs. Version 3 adds the console's webhooks and deliveries (and meta's
// webhooks_version). The meta table itself is each backend's (SQLite's version 1 made it).
std::string schema_v2_sql(const sql::Dialect &dialect);
std::string schema_v3_sql(const sql::Dialect &dialect);
// Version 3's webhooks and deliveries tables and their indexes alone (SQLite's version 5 makes them
// again).
std::string console_tables_sql(const sql::Dialect &dialect);
// Version 4: each delivery's size (stored_bytes), for the store's total cap
// (console.deliveries.maxBytes); rows made before count what they hold.
std::string schema_v4_sql();

// Version 5 (after SQLite's tables are made again with AUTOINCREMENT): a file webhook's
// Authorization key reference (auth_ref, for --export), and each delivery's jobs (delivery_jobs:
// their identities, inserted or already stored), so a delivery shows and is found by what became
// of its jobs. Each backend then fills delivery_jobs from the deliveries' jobs_json.
std::string schema_v5_sql();

// The kept signature (version 6): a delivery refused for its signature keeps its signature
// headers apart from headers_json (signature_headers, never shown), so it can be verified again
// with the secret fixed (--reverify, the delivery page's "Verify again").
std::string schema_kept_signature_sql();

// Version 7: what each delivery's body says it is (event_type, event_id, incident_id,
// incident_title, incident_number: store/delivery_store.hpp's describe_event), with indexes for the
// console's search by incident, event or delivery id. fill_delivery_events fills the rows already
// stored from their bodies (those stored whole as text).
std::string schema_delivery_events_sql();
void fill_delivery_events(sql::Connection &c);

// Version 8: each webhook's history (webhook_versions: store/webhook_store.hpp).
// fill_webhook_versions (store/webhook_store.cpp, which writes versions) gives every webhook
// already stored its version 1, by "before history".
std::string schema_webhook_versions_sql(const sql::Dialect &dialect);
void fill_webhook_versions(sql::Connection &c);

// Version 9: each job's Rundeck execution as followed to its end (dispatch/follower.hpp): its
// status (execution_status: '' not followed, 'running' until final, then Rundeck's final status or
// 'gave-up'), when it ended, its duration, Rundeck's permalink, why (execution_reason), and the
// follow state: since when (follow_since_ms, the bound of rundeck.followUpMaxHours), the next poll,
// the polls made, and a lease (follow_owner, follow_lease_until_ms) like dispatch's. Jobs already
// done with an execution id are followed too, from the time their call was sent.
std::string schema_follow_sql();

// Version 10: what is written back to PagerDuty once executions end (dispatch/note_sender.hpp), an
// outbox of its own: one `note` row per job and execution (job_row, execution_id), one `resolve`
// row per event (event_key: the jobs' webhook_key and delivery_key; job_row 0), each with the
// incident, its state (waiting, sending, posted, stopped, skipped), its attempts, the next one, a
// lease like dispatch's, the uncertain flag (a post whose outcome is unknown: the incident's notes
// are searched for `marker` before it is posted again) and why.
std::string schema_notes_sql(const sql::Dialect &dialect);

// Version 11: each webhook's "followUp" (follow_up_json: config/config.hpp's follow_up_text(), ""
// for the defaults), so webhooks made through the console's API carry one as file webhooks do.
std::string schema_webhook_follow_up_sql();

// What a delivery row counts for the cap: its texts, plus the row's own overhead.
inline constexpr int64_t kDeliveryRowOverhead = 256;

} // namespace rdwh::gateway::schema
