// The webhooks table (see store/webhook_store.hpp), over SqlOutbox's connections. Every statement runs
// unchanged on SQLite and PostgreSQL.
#include "base/crypto.hpp"
#include "store/sql_outbox.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace rdwh::gateway {

namespace {

#define RDWH_WEBHOOK_COLUMNS                                                                                    \
  "id, uuid, project, name, source, event_plugin, config_json, enabled, auth_token, use_auth, auth_sha256, "    \
  "user_name, roles, creator, created_ms, updated_ms"

const char *const kList = "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE $1 = '' OR project = $1 "
                          "ORDER BY project, name";
const char *const kFindById = "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND ($2 = '' OR project = $2)";
const char *const kFindByUuid =
    "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE uuid = $1 AND ($2 = '' OR project = $2)";
const char *const kInsert =
    "INSERT INTO webhooks (uuid, project, name, source, event_plugin, config_json, enabled, auth_token, use_auth, "
    "auth_sha256, user_name, roles, creator, created_ms, updated_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id";
const char *const kUpdate =
    "UPDATE webhooks SET uuid = $2, project = $3, name = $4, source = $5, event_plugin = $6, config_json = $7, "
    "enabled = $8, auth_token = $9, use_auth = $10, auth_sha256 = $11, user_name = $12, roles = $13, creator = $14, "
    "updated_ms = $15 WHERE id = $1";
const char *const kDelete = "DELETE FROM webhooks WHERE id = $1";
const char *const kDeleteApi = "DELETE FROM webhooks WHERE id = $1 AND source = 'api'";
const char *const kBump =
    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'webhooks_version'";
const char *const kVersion = "SELECT value FROM meta WHERE key = 'webhooks_version'";

StoredWebhook read_row(const sql::Row &r) {
  StoredWebhook w;
  int c = 0;
  w.id = r.i64(c++);
  w.uuid = r.text(c++);
  w.project = r.text(c++);
  w.name = r.text(c++);
  w.from_file = r.text(c++) == "file";
  w.event_plugin = r.text(c++);
  w.config_json = r.text(c++);
  w.enabled = r.i64(c++) != 0;
  w.auth_token = r.text(c++);
  w.use_auth = r.i64(c++) != 0;
  w.auth_sha256 = r.text(c++);
  w.user = r.text(c++);
  w.roles = r.text(c++);
  w.creator = r.text(c++);
  w.created_ms = r.i64(c++);
  w.updated_ms = r.i64(c++);
  return w;
}

std::string join_roles(const std::vector<std::string> &roles) {
  std::string out;
  for (const std::string &r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A database refusal that is the caller's doing: a unique name, uuid or token already taken.
[[noreturn]] void conflict(const sql::Error &e, const StoredWebhook &w) {
  const std::string what = e.what();
  if (what.find("name") != std::string::npos || what.find("webhooks_project_name") != std::string::npos)
    throw WebhookConflict("a webhook named '" + w.name + "' already exists in project '" + w.project + "'");
  if (what.find("uuid") != std::string::npos) throw WebhookConflict("a webhook with uuid " + w.uuid + " already exists");
  if (what.find("token") != std::string::npos)
    throw WebhookConflict("webhook '" + w.project + "/" + w.name + "': its auth token is already used by another webhook");
  throw OutboxError(std::string("cannot store the webhook: ") + what);
}

bool is_unique_violation(const sql::Error &e) {
  const std::string what = e.what();
  return what.find("UNIQUE") != std::string::npos || what.find("unique") != std::string::npos ||
         what.find("duplicate key") != std::string::npos;
}

// The row a file webhook keeps or gets.
StoredWebhook file_row(const WebhookConfig &w, const std::string &uuid) {
  StoredWebhook s;
  s.uuid = uuid;
  s.project = w.project;
  s.name = w.name;
  s.from_file = true;
  s.event_plugin = w.event_plugin;
  s.config_json = w.config_json;
  s.enabled = w.enabled;
  s.auth_token = w.auth_token;
  s.use_auth = w.use_auth;
  s.user = w.user;
  s.roles = join_roles(w.roles);
  s.creator = w.creator;
  return s;
}

bool same_content(const StoredWebhook &a, const StoredWebhook &b) {
  return a.uuid == b.uuid && a.project == b.project && a.name == b.name && a.from_file == b.from_file &&
         a.event_plugin == b.event_plugin && a.config_json == b.config_json && a.enabled == b.enabled &&
         a.auth_token == b.auth_token && a.use_auth == b.use_auth && a.auth_sha256 == b.auth_sha256 &&
         a.user == b.user && a.roles == b.roles && a.creator == b.creator;
}

void insert(sql::Connection &db, StoredWebhook &w, int64_t now_ms) {
  db.exec(kInsert,
          {w.uuid, w.project, w.name, std::string_view(w.from_file ? "file" : "api"), w.event_plugin, w.config_json,
           int64_t{w.enabled}, w.auth_token, int64_t{w.use_auth}, w.auth_sha256, w.user, w.roles, w.creator, now_ms},
          [&](const sql::Row &r) { w.id = r.i64(0); });
  w.created_ms = w.updated_ms = now_ms;
}

int64_t update(sql::Connection &db, const StoredWebhook &w, int64_t now_ms) {
  return db.exec(kUpdate, {w.id, w.uuid, w.project, w.name, std::string_view(w.from_file ? "file" : "api"),
                           w.event_plugin, w.config_json, int64_t{w.enabled}, w.auth_token, int64_t{w.use_auth},
                           w.auth_sha256, w.user, w.roles, w.creator, now_ms});
}

class SqlWebhookStore final : public WebhookStore {
public:
  explicit SqlWebhookStore(SqlOutbox &db) : db_(db) {}

  std::vector<std::string> sync_file(std::vector<WebhookConfig> &hooks, int64_t now_ms) override;

  std::vector<StoredWebhook> list(std::string_view project) override {
    std::vector<StoredWebhook> out;
    db_.with(SqlOutbox::Use::read, "cannot read the webhooks", [&](sql::Connection &c) {
      out.clear();
      c.exec(kList, {project}, [&](const sql::Row &r) { out.push_back(read_row(r)); });
    });
    return out;
  }

  std::optional<StoredWebhook> find(std::string_view project, std::string_view id_or_uuid) override {
    std::optional<StoredWebhook> out;
    db_.with(SqlOutbox::Use::read, "cannot read the webhooks", [&](sql::Connection &c) {
      out.reset();
      auto take = [&](const sql::Row &r) { out = read_row(r); };
      if (is_digits(id_or_uuid)) c.exec(kFindById, {std::stoll(std::string(id_or_uuid)), project}, take);
      else c.exec(kFindByUuid, {id_or_uuid, project}, take);
    });
    return out;
  }

  void create(StoredWebhook &w, int64_t now_ms) override {
    write("cannot store the webhook", w, [&](sql::Connection &c) { insert(c, w, now_ms); });
  }

  void update(const StoredWebhook &w, int64_t now_ms) override {
    write("cannot store the webhook", w, [&](sql::Connection &c) {
      if (gateway::update(c, w, now_ms) == 0) throw OutboxError("webhook " + std::to_string(w.id) + " is gone");
    });
  }

  bool remove(int64_t id) override {
    int64_t n = 0;
    db_.with(SqlOutbox::Use::dispatch, "cannot delete the webhook", [&](sql::Connection &c) {
      sql::Transaction tx(c);
      n = c.exec(kDeleteApi, {id});
      if (n) {
        c.exec("DELETE FROM deliveries WHERE webhook_id = $1", {id}); // as Rundeck drops its debug data
        c.exec(kBump);
      }
      tx.commit();
    });
    return n > 0;
  }

  int64_t version() override {
    int64_t v = 0;
    db_.with(SqlOutbox::Use::read, "cannot read the webhooks' version", [&](sql::Connection &c) {
      c.exec(kVersion, {}, [&](const sql::Row &r) { v = std::stoll(r.text(0)); });
    });
    return v;
  }

private:
  // One write and the version bump, in one transaction; unique violations become WebhookConflict.
  void write(const char *what, const StoredWebhook &w, const std::function<void(sql::Connection &)> &fn) {
    db_.with(SqlOutbox::Use::dispatch, what, [&](sql::Connection &c) {
      sql::Transaction tx(c);
      try {
        fn(c);
      } catch (const sql::Error &e) {
        if (is_unique_violation(e)) conflict(e, w);
        throw;
      }
      c.exec(kBump);
      tx.commit();
    });
  }

  SqlOutbox &db_;
};

// Matches every file webhook with a row (uuid first, then project and name), deletes the file
// rows left over and the API rows a file webhook replaces, then writes what changed.
std::vector<std::string> SqlWebhookStore::sync_file(std::vector<WebhookConfig> &hooks, int64_t now_ms) {
  std::vector<std::string> warnings;
  db_.with(SqlOutbox::Use::dispatch, "cannot sync the config file's webhooks", [&](sql::Connection &c) {
    warnings.clear();
    sql::Transaction tx(c);
    std::vector<StoredWebhook> rows;
    c.exec("SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks", {}, [&](const sql::Row &r) { rows.push_back(read_row(r)); });
    std::map<std::string, size_t> by_uuid, by_name;
    for (size_t i = 0; i < rows.size(); ++i) {
      by_uuid[rows[i].uuid] = i;
      by_name[rows[i].project + "\n" + rows[i].name] = i;
    }
    std::vector<long> match(hooks.size(), -1);
    std::set<size_t> kept;
    for (size_t h = 0; h < hooks.size(); ++h) {
      const WebhookConfig &w = hooks[h];
      auto u = w.uuid.empty() ? by_uuid.end() : by_uuid.find(w.uuid);
      auto n = by_name.find(w.project + "\n" + w.name);
      if (u != by_uuid.end()) match[h] = static_cast<long>(u->second);
      else if (n != by_name.end()) match[h] = static_cast<long>(n->second);
      if (match[h] >= 0) kept.insert(static_cast<size_t>(match[h]));
    }
    bool changed = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (kept.count(i)) continue;
      // Left over: a file webhook gone from the file, or an API webhook in the way of a file one
      // (same project and name, another uuid): the file wins. A token used by both is a conflict.
      const bool in_the_way = std::any_of(hooks.begin(), hooks.end(), [&](const WebhookConfig &w) {
        return w.project == rows[i].project && w.name == rows[i].name;
      });
      if (!rows[i].from_file && !in_the_way) continue;
      if (!rows[i].from_file)
        warnings.push_back("the webhook '" + rows[i].project + "/" + rows[i].name + "' (id " +
                           std::to_string(rows[i].id) + ") created through the console is replaced by the config "
                           "file's webhook of the same name");
      c.exec(kDelete, {rows[i].id});
      changed = true;
    }
    for (size_t h = 0; h < hooks.size(); ++h) {
      WebhookConfig &w = hooks[h];
      StoredWebhook want;
      if (match[h] >= 0) {
        const StoredWebhook &have = rows[static_cast<size_t>(match[h])];
        want = file_row(w, w.uuid.empty() ? have.uuid : w.uuid);
        want.id = have.id;
        want.created_ms = have.created_ms;
        if (!have.from_file)
          warnings.push_back("the webhook '" + have.project + "/" + have.name + "' (id " + std::to_string(have.id) +
                             ") created through the console is replaced by the config file's " + w.field("name"));
        if (!same_content(want, have)) {
          try {
            gateway::update(c, want, now_ms);
          } catch (const sql::Error &e) {
            if (is_unique_violation(e)) conflict(e, want);
            throw;
          }
          changed = true;
        }
      } else {
        want = file_row(w, w.uuid.empty() ? random_uuid() : w.uuid);
        try {
          insert(c, want, now_ms);
        } catch (const sql::Error &e) {
          if (is_unique_violation(e)) conflict(e, want);
          throw;
        }
        changed = true;
      }
      w.id = want.id;
      w.assigned_uuid = want.uuid;
    }
    if (changed) c.exec(kBump);
    tx.commit();
  });
  return warnings;
}

} // namespace

WebhookConfig StoredWebhook::to_config() const {
  WebhookConfig w;
  w.from_file = from_file;
  w.id = id;
  w.uuid = uuid;
  w.assigned_uuid = uuid;
  w.name = name;
  w.project = project;
  w.event_plugin = event_plugin;
  w.auth_token = auth_token;
  w.user = user;
  w.creator = creator;
  std::stringstream ss(roles);
  for (std::string r; std::getline(ss, r, ',');)
    if (!r.empty()) w.roles.push_back(r);
  w.enabled = enabled;
  w.use_auth = use_auth;
  w.authorization_sha256 = auth_sha256;
  w.config_json = config_json;
  return w;
}

std::unique_ptr<WebhookStore> make_webhook_store(SqlOutbox &db) { return std::make_unique<SqlWebhookStore>(db); }

} // namespace rdwh::gateway
