// Managing webhooks as Rundeck's webhook API does (create, update, delete, the GET
// representation), shared by the console's API and its pages. A config is compiled by the
// plugin before it is saved, so a webhook that saves is a webhook that runs; a save applies at
// once on this gateway (Loader::rebuild) and within a second on the others sharing the database.
// Webhooks from the config file are read-only here (the answer names the file).
#pragma once

#include "base/json.hpp"
#include "console/admin/outcome.hpp"
#include "runtime/loader.hpp"
#include "store/outbox.hpp"
#include "runtime/runtime.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

struct SavedWebhook {
  int64_t id = 0;
  std::string uuid;
  std::string generated_secret; // useAuth + regenAuth: the Authorization value, shown this once
  std::vector<ConfigFinding> warnings; // what the plugin (and lint) found, that --check does not refuse
};

class WebhookAdmin {
public:
  WebhookAdmin(Outbox &outbox, Loader &loader, const CurrentRuntime &runtime)
      : outbox_(outbox), loader_(loader), runtime_(runtime) {}

  std::vector<StoredWebhook> list(std::string_view project) { return outbox_.webhooks().list(project); }
  std::optional<StoredWebhook> find(std::string_view project, std::string_view id_or_uuid) {
    return outbox_.webhooks().find(project, id_or_uuid);
  }

  // `who` is what the webhook's history records (see who_of_session/who_of_api_call).
  // `body` is Rundeck's create body (project, name, user, roles, eventPlugin, config, enabled,
  // useAuth, regenAuth; uuid optional), and rdwh's followUp. A token is generated. Refused: invalid (a field, the
  // config, a name or uuid taken).
  Outcome<SavedWebhook> create(std::string_view project, const rapidjson::Value &body, std::string_view creator,
                               std::string_view who);
  // The fields given replace the stored ones (user and authToken never change). Refused: invalid,
  // or conflict (read-only). `action` "" lets the store name it (update, enable, disable).
  Outcome<SavedWebhook> update(const StoredWebhook &existing, const rapidjson::Value &body, std::string_view who,
                               std::string_view action = "");
  // Its stored deliveries go with it. Refused: conflict (read-only), not_found.
  Outcome<Done> remove(const StoredWebhook &hook, std::string_view who);

  // Its kept versions, newest first.
  std::vector<WebhookVersion> history(const StoredWebhook &hook) { return outbox_.webhooks().history(hook.id); }
  // Saves version `version`'s name, plugin, config, enabled, roles and followUp as a new version (action
  // restore), through update(): everything a save refuses is refused. The Authorization check is
  // restored only when the version had none (its secret is not kept). Refused: not_found (no such
  // version kept), conflict (read-only), invalid.
  Outcome<SavedWebhook> restore(const StoredWebhook &existing, int64_t version, std::string_view who);
  // The body restore() saves: version `v`'s fields as Rundeck's update body.
  static void restore_body(const StoredWebhook &existing, const WebhookVersion &v, rapidjson::Document &body);

  // Where PagerDuty posts: <publicUrl or http://listen>/api/<v>/webhook/<token>#<name, spaces as _>.
  std::string post_url(const StoredWebhook &hook) const;
  // The webhook listener's port once bound (the config may say 0: any free port).
  void set_listener_port(uint16_t port) { listener_port_ = port; }
  // Why the gateway does not serve this webhook now ("" when it does).
  std::string not_served_reason(const StoredWebhook &hook) const;
  // Why it cannot be changed here ("" for a webhook created through the API).
  std::string read_only_reason(const StoredWebhook &hook) const;
  // What the plugin and lint find in its config now (judge_config): refusals and warnings.
  std::vector<ConfigFinding> findings(const StoredWebhook &hook) const;
  // The preflight of its rules against Rundeck (rundeck/preflight.hpp), as warnings: asked after
  // a Save, on the request's thread, within min(rundeck.timeoutSeconds, 5 s) for all its rules.
  std::vector<ConfigFinding> preflight(const StoredWebhook &hook) const;

private:
  // Applies the body's fields to `w`; why not when one is wrong or the plugin refuses the config.
  std::optional<Refused> apply(StoredWebhook &w, const rapidjson::Value &body, bool creating, SavedWebhook &saved);
  // Builds `w`'s handler as the gateway would, with lint: why not (a bad config, or what --check
  // refuses), else its warnings in `warnings`.
  std::optional<Refused> judge(const StoredWebhook &w, std::vector<ConfigFinding> &warnings) const;
  // The fields a body may give ("" when absent); why not when one has the wrong type.
  static std::optional<Refused> apply_fields(StoredWebhook &w, const rapidjson::Value &body, bool creating);
  SavedWebhook saved(const StoredWebhook &w, SavedWebhook answer);

  Outbox &outbox_;
  Loader &loader_;
  const CurrentRuntime &runtime_;
  uint16_t listener_port_ = 0;
};

} // namespace rdwh::gateway
