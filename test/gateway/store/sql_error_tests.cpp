// The drivers' errors say what failed by kind and key (SQLSTATE, SQLite's extended codes), never
// by the message's words; the storage's callers decide from that. On SQLite and (with
// RDWH_TEST_OUTBOX=postgresql) PostgreSQL.
#include <catch2/catch.hpp>

#include "store/outbox.hpp"
#include "store/postgresql/connection.hpp"
#include "store/schema.hpp"
#include "store/sqlite/connection.hpp"
#include "test_support.hpp"

#include <memory>
#include <string>

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;

namespace {

// A second connection to the outbox's database.
std::unique_ptr<sql::Connection> connect(const OutboxUnderTest &t, int busy_timeout_ms = 1000) {
  if (t.postgresql()) return std::make_unique<sql::PgConnection>(t.conninfo);
  return std::make_unique<sql::SqliteConnection>((t.dir.path / "outbox.sqlite3").string(), busy_timeout_ms, false);
}

const char *const kInsertWebhook =
    "INSERT INTO webhooks (uuid, project, name, source, event_plugin, config_json, auth_token, created_ms, updated_ms) "
    "VALUES ($1, $2, $3, 'api', 'pagerduty', '{}', $4, 1, 1)";

// The error the insert of this row fails with (a default Error when it succeeds).
sql::Error insert_error(sql::Connection &c, const char *uuid, const char *project, const char *name, const char *token) {
  try {
    c.exec(kInsertWebhook, {uuid, project, name, token});
  } catch (const sql::Error &e) {
    return e;
  }
  return sql::Error("inserted");
}

StoredWebhook api_hook(const std::string &uuid, const std::string &name, const std::string &token) {
  StoredWebhook w;
  w.uuid = uuid;
  w.project = "ops";
  w.name = name;
  w.event_plugin = "pagerduty";
  w.config_json = "{}";
  w.auth_token = token;
  return w;
}

} // namespace

TEST_CASE("sql: a unique violation names the schema's key, whatever the row's values say", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open(); // the schema
  auto c = connect(t);
  c->exec(kInsertWebhook, {"uuid-token-name", "ops", "name-uuid", "token-with-name-and-uuid"});

  const sql::Error token = insert_error(*c, "u2", "ops", "other", "token-with-name-and-uuid");
  CHECK(token.kind() == sql::Error::Kind::unique_violation);
  CHECK(token.constraint() == schema::kWebhookToken);
  const sql::Error name = insert_error(*c, "u3", "ops", "name-uuid", "token-3");
  CHECK(name.kind() == sql::Error::Kind::unique_violation);
  CHECK(name.constraint() == schema::kWebhookName);
  const sql::Error uuid = insert_error(*c, "uuid-token-name", "ops", "third", "token-name-4");
  CHECK(uuid.kind() == sql::Error::Kind::unique_violation);
  CHECK(uuid.constraint() == schema::kWebhookUuid);
  const sql::Error other = insert_error(*c, "u5", "ops", "fifth", "t5"); // succeeds
  CHECK(other.kind() == sql::Error::Kind::other);
}

TEST_CASE("webhook store: a conflict is told by the key, not by words in the values", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  StoredWebhook a = api_hook("uuid-a", "A", "name-and-uuid-in-a-token");
  store.create(a, 1000);
  StoredWebhook same_token = api_hook("uuid-b", "B", "name-and-uuid-in-a-token");
  CHECK_THROWS_WITH(store.create(same_token, 2000), Catch::Contains("its auth token is already used"));
  StoredWebhook same_name = api_hook("token-uuid", "A", "another token");
  CHECK_THROWS_WITH(store.create(same_name, 2000), Catch::Contains("a webhook named 'A' already exists"));
  StoredWebhook same_uuid = api_hook("uuid-a", "name C", "token C");
  CHECK_THROWS_WITH(store.create(same_uuid, 2000), Catch::Contains("a webhook with uuid uuid-a already exists"));
  CHECK(store.list("").size() == 1);
}

TEST_CASE("sql: a lock another connection holds fails a statement as busy", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  auto holder = connect(t);
  auto waiter = connect(t, 50);
  if (t.postgresql()) {
    holder->begin();
    holder->exec("SELECT key FROM meta WHERE key = 'webhooks_version' FOR UPDATE");
    waiter->begin();
    try {
      waiter->exec("SELECT key FROM meta WHERE key = 'webhooks_version' FOR UPDATE NOWAIT");
      FAIL("the row lock was not held");
    } catch (const sql::Error &e) {
      CHECK(e.kind() == sql::Error::Kind::busy);
    }
    return;
  }
  holder->begin(); // BEGIN IMMEDIATE: the write lock
  try {
    waiter->begin();
    FAIL("the write lock was not held");
  } catch (const sql::Error &e) {
    CHECK(e.kind() == sql::Error::Kind::busy);
  }
}

TEST_CASE("sql: a PostgreSQL session ended by the server is a lost connection, reopened next call", "[outbox]") {
  OutboxUnderTest t;
  if (!t.postgresql()) {
    SUCCEED("SQLite has no connection to lose");
    return;
  }
  sql::PgConnection victim(t.conninfo), killer(t.conninfo);
  int64_t pid = 0;
  victim.exec("SELECT pg_backend_pid()", {}, [&](const sql::Row &r) { pid = r.i64(0); });
  killer.exec("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 5000)", {pid});
  try {
    victim.exec("SELECT pg_backend_pid()");
    FAIL("the session survived");
  } catch (const sql::Error &e) {
    CHECK(e.connection_lost());
  }
  int64_t again = 0;
  victim.exec("SELECT pg_backend_pid()", {}, [&](const sql::Row &r) { again = r.i64(0); });
  CHECK(again != pid);
}

TEST_CASE("open_outbox: a serving gateway's SQLite outbox holds the state directory and is exclusive", "[outbox]") {
  OutboxUnderTest t;
  Config c;
  c.state_dir = t.dir.path.string();
  if (t.postgresql()) {
    c.outbox.postgresql = t.conninfo;
    CHECK_FALSE(open_outbox(c, OpenFor::serve)->exclusive()); // other gateways share it
    return;
  }
  auto serving = open_outbox(c, OpenFor::serve);
  CHECK(serving->exclusive());
  CHECK_THROWS_WITH(open_outbox(c, OpenFor::serve), Catch::Contains("in use by another rdwh-gateway"));
  auto command = open_outbox(c); // --jobs and the like, beside the gateway
  CHECK_FALSE(command->exclusive());
  serving.reset(); // the lock goes with the outbox
  CHECK(open_outbox(c, OpenFor::serve)->exclusive());
}
