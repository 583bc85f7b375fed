// The webhooks table: every webhook the gateway serves has a row there, with the integer `id` and
// the `uuid` Rundeck's API shows. Webhooks created through the console's API live only there;
// webhooks from the config file are copied there at start and at each reload (sync_file), so the
// API lists them too, read-only.
//
// Which wins: the file. A file webhook takes over the row of the same uuid, else of the same
// project and name, even when that row was created through the API (its id stays, a warning is
// logged), else the file row of the same auth token (its project changed). File rows whose
// webhook left the file are deleted. Ids come from the database (SQLite's AUTOINCREMENT,
// PostgreSQL's sequence), never change while the row lives and are never used again; a file
// webhook without a uuid gets one generated once and kept.
//
// Every change bumps a version (meta key `webhooks_version`), which each gateway polls to rebuild
// its handlers without a restart (all gateways on one PostgreSQL share the table).
//
// History: every change to a row (create, update, delete, a file reload's) also writes a row of
// `webhook_versions` in the same transaction: the webhook as the API shows it, without its auth
// token or Authorization hash, who changed it and when. The last kHistoryVersions versions of each
// webhook are kept; a deleted webhook's versions stay (its id is never used again).
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// A write refused by the table's rules (a name, uuid or token already taken): the message says
// which; never holds a token.
class WebhookConflict : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct StoredWebhook {
  int64_t id = 0;
  std::string uuid, project, name;
  bool from_file = false;
  std::string event_plugin, config_json; // config: a JSON object as text
  bool enabled = true;
  std::string auth_token;                // the URL token (secret)
  bool use_auth = false;                 // the Authorization header check
  std::string auth_sha256;               // sha256 hex of the header value (API: the generated one)
  std::string auth_ref;                  // file webhooks: the key reference holding the header value
  std::string user, roles, creator;      // roles: comma-separated, as Rundeck's API
  FollowUpSettings follow_up;            // "followUp": what is written back to the incident
  int64_t created_ms = 0, updated_ms = 0;

  // An API webhook in the shape the runtime builds a handler from (its uuid is its identity in the
  // outbox's de-duplication key). File webhooks are built from the config file instead.
  WebhookConfig to_config() const;
};

// Who makes a change and what it is. `action` "" lets the store tell: create, delete, or for an
// update "enable"/"disable" when only `enabled` changed, else "update".
struct WebhookChange {
  std::string who = "gateway";
  std::string action;
};

// One version of a webhook's row (store/webhook_store.hpp's history).
struct WebhookVersion {
  int64_t webhook_id = 0, version = 0, at_ms = 0;
  std::string webhook_json; // version_json(): no secrets
  std::string who, action;  // action: create, update, enable, disable, restore, delete
};

inline constexpr int64_t kHistoryVersions = 100; // kept per webhook, the oldest deleted first

// A webhook as its history keeps it: the API's fields (id, uuid, project, name, eventPlugin, config
// as an object, enabled, useAuth, user, roles, creator, source, followUp) and never its auth token or
// Authorization hash.
std::string version_json(const StoredWebhook &w);

class WebhookStore {
public:
  virtual ~WebhookStore() = default;

  // Gives every file webhook of `hooks` its row (see the rules above) and fills in their `id` and
  // `assigned_uuid`; deletes file rows no longer in the file. One transaction. Returns warnings
  // (an API webhook replaced). Throws WebhookConflict (e.g. a file token already used by an API
  // webhook) or OutboxError.
  virtual std::vector<std::string> sync_file(std::vector<WebhookConfig> &hooks, int64_t now_ms) = 0;

  // Rows, ordered by project then name; `project` "" = all. Throws OutboxError.
  virtual std::vector<StoredWebhook> list(std::string_view project) = 0;
  // The row whose id (digits) or uuid is `id_or_uuid`, in `project` ("" = any project).
  virtual std::optional<StoredWebhook> find(std::string_view project, std::string_view id_or_uuid) = 0;
  // Inserts an API webhook; sets hook.id. Throws WebhookConflict or OutboxError.
  virtual void create(StoredWebhook &hook, int64_t now_ms, const WebhookChange &change = {}) = 0;
  // Rewrites an API webhook's row (by id). Throws WebhookConflict or OutboxError.
  virtual void update(const StoredWebhook &hook, int64_t now_ms, const WebhookChange &change = {}) = 0;
  // Deletes an API webhook's row and its stored deliveries (not its history); false when there was none.
  virtual bool remove(int64_t id, const WebhookChange &change = {}) = 0;
  // A webhook's kept versions, newest first (a deleted webhook's too).
  virtual std::vector<WebhookVersion> history(int64_t webhook_id) = 0;
  // Changes whenever a row changes (any gateway). Throws OutboxError.
  virtual int64_t version() = 0;
};

} // namespace rdwh::gateway
