// The webhooks table (see store/webhook_store.hpp), over SqlOutbox's connections. Every statement runs
// unchanged on SQLite and PostgreSQL.
#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/json.hpp"
#include "store/schema.hpp"
#include "store/sql_outbox.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace rdwh::gateway {

namespace {

const char *const kFileWho = "file"; // who changes file webhooks: the config file, at start or reload

// Version 8's columns (its fill reads them, before version 11 adds follow_up_json), then the rest.
#define RDWH_WEBHOOK_COLUMNS_V8                                                                                 \
  "id, uuid, project, name, source, event_plugin, config_json, enabled, auth_token, use_auth, auth_sha256, "    \
  "user_name, roles, creator, created_ms, updated_ms, auth_ref"
#define RDWH_WEBHOOK_COLUMNS RDWH_WEBHOOK_COLUMNS_V8 ", follow_up_json"

const char *const kList = "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE $1 = '' OR project = $1 "
                          "ORDER BY project, name";
const char *const kFindById = "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND ($2 = '' OR project = $2)";
const char *const kFindByUuid =
    "SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks WHERE uuid = $1 AND ($2 = '' OR project = $2)";
const char *const kInsert =
    "INSERT INTO webhooks (uuid, project, name, source, event_plugin, config_json, enabled, auth_token, use_auth, "
    "auth_sha256, user_name, roles, creator, created_ms, updated_ms, auth_ref, follow_up_json) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16) RETURNING id";
const char *const kUpdate =
    "UPDATE webhooks SET uuid = $2, project = $3, name = $4, source = $5, event_plugin = $6, config_json = $7, "
    "enabled = $8, auth_token = $9, use_auth = $10, auth_sha256 = $11, user_name = $12, roles = $13, creator = $14, "
    "updated_ms = $15, auth_ref = $16, follow_up_json = $17 WHERE id = $1";
const char *const kDelete = "DELETE FROM webhooks WHERE id = $1";
const char *const kDeleteApi = "DELETE FROM webhooks WHERE id = $1 AND source = 'api'";
const char *const kBump =
    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'webhooks_version'";
const char *const kVersion = "SELECT value FROM meta WHERE key = 'webhooks_version'";
const char *const kLastVersion = "SELECT COALESCE(MAX(version), 0) FROM webhook_versions WHERE webhook_id = $1";
const char *const kInsertVersion = "INSERT INTO webhook_versions (webhook_id, version, webhook_json, who, at_ms, action) "
                                   "VALUES ($1, $2, $3, $4, $5, $6)";
const char *const kTrimVersions = "DELETE FROM webhook_versions WHERE webhook_id = $1 AND version <= $2";
const char *const kHistory = "SELECT webhook_id, version, webhook_json, who, at_ms, action FROM webhook_versions "
                             "WHERE webhook_id = $1 ORDER BY version DESC";

// A stored followUp, read by the file's reader (the gateway wrote it checked; a row edited by hand
// keeps what could be read).
FollowUpSettings read_follow_up_text(const std::string &text) {
  FollowUpSettings f;
  if (text.empty()) return f;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (!doc.HasParseError()) read_follow_up(doc, "followUp", f);
  return f;
}

StoredWebhook read_row(const sql::Row &r, bool with_follow_up = true) {
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
  w.auth_ref = r.text(c++);
  if (with_follow_up) w.follow_up = read_follow_up_text(r.text(c++));
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

// A unique key refusing the row is the caller's doing: a name, uuid or token already taken. Runs
// fn and turns such a refusal into WebhookConflict, told by the key's name, never by the message's
// words (PostgreSQL's quotes the row's values: a token may say "name"); a key the schema does not
// name is an OutboxError.
void refusing_conflicts(const StoredWebhook &w, const std::function<void()> &fn) {
  try {
    fn();
  } catch (const sql::Error &e) {
    if (e.kind() != sql::Error::Kind::unique_violation) throw;
    const std::string &key = e.constraint();
    if (key == schema::kWebhookName)
      throw WebhookConflict("a webhook named '" + w.name + "' already exists in project '" + w.project + "'");
    if (key == schema::kWebhookUuid) throw WebhookConflict("a webhook with uuid " + w.uuid + " already exists");
    if (key == schema::kWebhookToken)
      throw WebhookConflict("webhook '" + w.project + "/" + w.name + "': its auth token is already used by another webhook");
    throw OutboxError(std::string("cannot store the webhook: ") + e.what());
  }
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
  s.auth_sha256 = w.authorization_sha256;
  s.auth_ref = w.authorization_ref;
  s.user = w.user;
  s.roles = join_roles(w.roles);
  s.creator = w.creator;
  s.follow_up = w.follow_up;
  return s;
}

bool same_content(const StoredWebhook &a, const StoredWebhook &b) {
  return a.uuid == b.uuid && a.project == b.project && a.name == b.name && a.from_file == b.from_file &&
         a.event_plugin == b.event_plugin && a.config_json == b.config_json && a.enabled == b.enabled &&
         a.auth_token == b.auth_token && a.use_auth == b.use_auth && a.auth_sha256 == b.auth_sha256 &&
         a.auth_ref == b.auth_ref && a.user == b.user && a.roles == b.roles && a.creator == b.creator &&
         a.follow_up == b.follow_up;
}

// The action an update is: "enable"/"disable" when only `enabled` changed, else "update".
std::string update_action(const StoredWebhook &before, const StoredWebhook &after) {
  StoredWebhook toggled = before;
  toggled.enabled = after.enabled;
  if (before.enabled != after.enabled && same_content(toggled, after)) return after.enabled ? "enable" : "disable";
  return "update";
}

// Writes `w`'s next version, in the caller's transaction, and drops those beyond the cap.
void record_version(sql::Connection &c, const StoredWebhook &w, const std::string &who, const std::string &action,
                    int64_t at_ms) {
  int64_t last = 0;
  c.exec(kLastVersion, {w.id}, [&](const sql::Row &r) { last = r.i64(0); });
  c.exec(kInsertVersion, {w.id, last + 1, version_json(w), who, at_ms, action});
  c.exec(kTrimVersions, {w.id, last + 1 - kHistoryVersions});
}

std::optional<StoredWebhook> row_by_id(sql::Connection &c, int64_t id) {
  std::optional<StoredWebhook> out;
  c.exec(kFindById, {id, std::string_view()}, [&](const sql::Row &r) { out = read_row(r); });
  return out;
}

void insert(sql::Connection &db, StoredWebhook &w, int64_t now_ms) {
  db.exec(kInsert,
          {w.uuid, w.project, w.name, std::string_view(w.from_file ? "file" : "api"), w.event_plugin, w.config_json,
           int64_t{w.enabled}, w.auth_token, int64_t{w.use_auth}, w.auth_sha256, w.user, w.roles, w.creator, now_ms,
           w.auth_ref, follow_up_text(w.follow_up)},
          [&](const sql::Row &r) { w.id = r.i64(0); });
  w.created_ms = w.updated_ms = now_ms;
}

int64_t update(sql::Connection &db, const StoredWebhook &w, int64_t now_ms) {
  return db.exec(kUpdate, {w.id, w.uuid, w.project, w.name, std::string_view(w.from_file ? "file" : "api"),
                           w.event_plugin, w.config_json, int64_t{w.enabled}, w.auth_token, int64_t{w.use_auth},
                           w.auth_sha256, w.user, w.roles, w.creator, now_ms, w.auth_ref,
                           follow_up_text(w.follow_up)});
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

  void create(StoredWebhook &w, int64_t now_ms, const WebhookChange &change) override {
    write("cannot store the webhook", w, [&](sql::Connection &c) {
      insert(c, w, now_ms);
      record_version(c, w, change.who, change.action.empty() ? "create" : change.action, now_ms);
    });
  }

  void update(const StoredWebhook &w, int64_t now_ms, const WebhookChange &change) override {
    write("cannot store the webhook", w, [&](sql::Connection &c) {
      const std::optional<StoredWebhook> before = row_by_id(c, w.id);
      if (!before || gateway::update(c, w, now_ms) == 0)
        throw OutboxError("webhook " + std::to_string(w.id) + " is gone");
      // A save that changes nothing the history shows (or only the token) adds no version.
      if (change.action.empty() && version_json(*before) == version_json(w)) return;
      record_version(c, w, change.who, change.action.empty() ? update_action(*before, w) : change.action, now_ms);
    });
  }

  bool remove(int64_t id, const WebhookChange &change) override {
    int64_t n = 0;
    db_.with(SqlOutbox::Use::dispatch, "cannot delete the webhook", [&](sql::Connection &c) {
      sql::Transaction tx(c);
      const std::optional<StoredWebhook> before = row_by_id(c, id);
      n = c.exec(kDeleteApi, {id});
      if (n) {
        record_version(c, *before, change.who, "delete", now_ms());
        c.exec("DELETE FROM delivery_jobs WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = $1)",
               {id});
        c.exec("DELETE FROM deliveries WHERE webhook_id = $1", {id}); // as Rundeck drops its debug data
        c.exec(kBump);
      }
      tx.commit();
    });
    return n > 0;
  }

  std::vector<WebhookVersion> history(int64_t webhook_id) override {
    std::vector<WebhookVersion> out;
    db_.with(SqlOutbox::Use::read, "cannot read the webhook's history", [&](sql::Connection &c) {
      out.clear();
      c.exec(kHistory, {webhook_id}, [&](const sql::Row &r) {
        out.push_back({r.i64(0), r.i64(1), r.i64(4), r.text(2), r.text(3), r.text(5)});
      });
    });
    return out;
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
      refusing_conflicts(w, [&] { fn(c); });
      c.exec(kBump);
      tx.commit();
    });
  }

  SqlOutbox &db_;
};

// Every file webhook's row: its index in `rows`, or -1. By uuid first, then by project and name,
// then (a file row only) by auth token: a file webhook whose project changed, and changes back,
// keeps its row, its id and the deliveries stored under it. A row goes to one webhook at most.
std::vector<long> match_rows(const std::vector<WebhookConfig> &hooks, const std::vector<StoredWebhook> &rows) {
  std::map<std::string, size_t> by_uuid, by_name, by_token;
  for (size_t i = 0; i < rows.size(); ++i) {
    by_uuid[rows[i].uuid] = i;
    by_name[rows[i].project + "\n" + rows[i].name] = i;
    if (rows[i].from_file) by_token[rows[i].auth_token] = i;
  }
  std::vector<long> match(hooks.size(), -1);
  std::set<size_t> taken;
  auto pass = [&](const std::map<std::string, size_t> &index, auto key_of) {
    for (size_t h = 0; h < hooks.size(); ++h) {
      if (match[h] >= 0) continue;
      const std::string key = key_of(hooks[h]);
      auto it = key.empty() ? index.end() : index.find(key);
      if (it == index.end() || taken.count(it->second)) continue;
      match[h] = static_cast<long>(it->second);
      taken.insert(it->second);
    }
  };
  pass(by_uuid, [](const WebhookConfig &w) { return w.uuid; });
  pass(by_name, [](const WebhookConfig &w) { return w.project + "\n" + w.name; });
  pass(by_token, [](const WebhookConfig &w) { return w.auth_token; });
  return match;
}

// Deletes the rows no file webhook kept: a file webhook gone from the file, or an API webhook in
// the way of a file one (same project and name, another uuid): the file wins. A token used by
// both is a conflict (found when the file's row is written). Returns whether any went.
bool delete_left_over(sql::Connection &c, const std::vector<WebhookConfig> &hooks,
                      const std::vector<StoredWebhook> &rows, const std::vector<long> &match, int64_t now_ms,
                      std::vector<std::string> &warnings) {
  std::set<size_t> kept;
  for (const long m : match)
    if (m >= 0) kept.insert(static_cast<size_t>(m));
  bool changed = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (kept.count(i)) continue;
    const bool in_the_way = std::any_of(hooks.begin(), hooks.end(), [&](const WebhookConfig &w) {
      return w.project == rows[i].project && w.name == rows[i].name;
    });
    if (!rows[i].from_file && !in_the_way) continue;
    if (!rows[i].from_file)
      warnings.push_back("the webhook '" + rows[i].project + "/" + rows[i].name + "' (id " +
                         std::to_string(rows[i].id) + ") created through the console is replaced by the config "
                         "file's webhook of the same name");
    record_version(c, rows[i], kFileWho, "delete", now_ms);
    c.exec(kDelete, {rows[i].id});
    changed = true;
  }
  return changed;
}

// Writes file webhook `w`'s row: over its matched row `have` (when it differs), else a new one.
// Sets w's id and assigned uuid. Returns whether the table changed.
bool write_file_row(sql::Connection &c, WebhookConfig &w, const StoredWebhook *have, int64_t now_ms,
                    std::vector<std::string> &warnings) {
  bool changed = false;
  StoredWebhook want;
  if (have) {
    want = file_row(w, w.uuid.empty() ? have->uuid : w.uuid);
    want.id = have->id;
    want.created_ms = have->created_ms;
    if (!have->from_file)
      warnings.push_back("the webhook '" + have->project + "/" + have->name + "' (id " + std::to_string(have->id) +
                         ") created through the console is replaced by the config file's " + w.field("name"));
    if (!same_content(want, *have)) {
      refusing_conflicts(want, [&] { update(c, want, now_ms); });
      if (version_json(want) != version_json(*have))
        record_version(c, want, kFileWho, update_action(*have, want), now_ms);
      changed = true;
    }
  } else {
    want = file_row(w, w.uuid.empty() ? random_uuid() : w.uuid);
    refusing_conflicts(want, [&] { insert(c, want, now_ms); });
    record_version(c, want, kFileWho, "create", now_ms);
    changed = true;
  }
  w.id = want.id;
  w.assigned_uuid = want.uuid;
  return changed;
}

// Matches every file webhook with a row, deletes the file rows left over and the API rows a file
// webhook replaces, then writes what changed.
std::vector<std::string> SqlWebhookStore::sync_file(std::vector<WebhookConfig> &hooks, int64_t now_ms) {
  std::vector<std::string> warnings;
  db_.with(SqlOutbox::Use::dispatch, "cannot sync the config file's webhooks", [&](sql::Connection &c) {
    warnings.clear();
    sql::Transaction tx(c);
    std::vector<StoredWebhook> rows;
    c.exec("SELECT " RDWH_WEBHOOK_COLUMNS " FROM webhooks", {}, [&](const sql::Row &r) { rows.push_back(read_row(r)); });
    const std::vector<long> match = match_rows(hooks, rows);
    bool changed = delete_left_over(c, hooks, rows, match, now_ms, warnings);
    for (size_t h = 0; h < hooks.size(); ++h) {
      const StoredWebhook *have = match[h] >= 0 ? &rows[static_cast<size_t>(match[h])] : nullptr;
      if (write_file_row(c, hooks[h], have, now_ms, warnings)) changed = true;
    }
    if (changed) c.exec(kBump);
    tx.commit();
  });
  return warnings;
}

} // namespace

std::string version_json(const StoredWebhook &w) {
  rapidjson::Document config;
  config.Parse(w.config_json.data(), w.config_json.size());
  if (config.HasParseError()) config.SetObject();
  return json_text([&](JsonWriter &j) {
    j.StartObject();
    j.Key("id"), j.Int64(w.id);
    j.Key("uuid"), write_str(j, w.uuid);
    j.Key("project"), write_str(j, w.project);
    j.Key("name"), write_str(j, w.name);
    j.Key("source"), write_str(j, w.from_file ? "file" : "api");
    j.Key("eventPlugin"), write_str(j, w.event_plugin);
    j.Key("config"), config.Accept(j);
    j.Key("enabled"), j.Bool(w.enabled);
    j.Key("useAuth"), j.Bool(w.use_auth);
    j.Key("user"), write_str(j, w.user);
    j.Key("roles"), write_str(j, w.roles);
    j.Key("creator"), write_str(j, w.creator);
    j.Key("followUp"), write_follow_up(j, w.follow_up);
    j.EndObject();
  });
}

namespace schema {

void fill_webhook_versions(sql::Connection &c) {
  std::vector<StoredWebhook> rows;
  c.exec("SELECT " RDWH_WEBHOOK_COLUMNS_V8 " FROM webhooks", {},
         [&](const sql::Row &r) { rows.push_back(read_row(r, false)); });
  for (const StoredWebhook &w : rows) record_version(c, w, "before history", "create", w.updated_ms);
}

} // namespace schema

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
  w.authorization_ref = auth_ref;
  w.config_json = config_json;
  w.follow_up = follow_up;
  return w;
}

std::unique_ptr<WebhookStore> make_webhook_store(SqlOutbox &db) { return std::make_unique<SqlWebhookStore>(db); }

} // namespace rdwh::gateway
