#include "console/admin/webhooks.hpp"

#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"
#include "rundeck/preflight.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>

namespace rdwh::gateway {

namespace {

constexpr size_t kTokenLength = 32; // as Rundeck's webhook tokens and generated security strings

// Rundeck's "Invalid plugin configuration: <key> : <message>", from the plugin's "<key>: <message>".
Refused invalid_config(const std::string &detail) {
  const size_t colon = detail.find(": ");
  const std::string key = colon == std::string::npos ? "config" : detail.substr(0, colon);
  const std::string message = colon == std::string::npos ? detail : detail.substr(colon + 2);
  return refuse(Refusal::invalid, "Invalid plugin configuration: " + key + " : " + message, key, message);
}

Refused invalid(std::string reason, std::string field = "") {
  return refuse(Refusal::invalid, std::move(reason), std::move(field));
}

// The roles as Rundeck's API gives them: a comma-separated string (a list is accepted too).
std::optional<std::string> roles_of(const rapidjson::Value &v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (!v.IsArray()) return std::nullopt;
  std::string out;
  for (const auto &r : v.GetArray()) {
    if (!r.IsString()) return std::nullopt;
    out += (out.empty() ? "" : ",") + std::string(r.GetString(), r.GetStringLength());
  }
  return out;
}

// The plugin config: an object, or a string holding one (Rundeck's export writes a string).
std::optional<std::string> config_of(const rapidjson::Value &v) {
  if (v.IsObject()) return to_json(v);
  if (!v.IsString()) return std::nullopt;
  rapidjson::Document inner;
  inner.Parse(v.GetString(), v.GetStringLength());
  if (inner.HasParseError() || !inner.IsObject()) return std::nullopt;
  return to_json(inner);
}

const rapidjson::Value *member(const rapidjson::Value &body, const char *key) {
  auto it = body.FindMember(key);
  return it == body.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

Refused bad_user(const std::string &reason) { return refuse(Refusal::invalid, reason, "user", reason); }

// A create's `user`, as Rundeck takes it: absent or empty, the caller (`user` is left as it is).
// Rundeck refuses a user it does not know; the gateway has no users to look up, so it refuses
// what no Rundeck user name can be: not a string, spaces around it, control characters.
std::optional<Refused> user_of(const rapidjson::Value &body, std::string &user) {
  const rapidjson::Value *v = member(body, "user");
  if (!v) return std::nullopt;
  if (!v->IsString()) return bad_user("Webhook user must be a string");
  const std::string given(v->GetString(), v->GetStringLength());
  if (given.empty()) return std::nullopt;
  const std::string quoted = "Webhook user '" + given + "' is not a user name: ";
  if (std::isspace(static_cast<unsigned char>(given.front())) || std::isspace(static_cast<unsigned char>(given.back())))
    return bad_user(quoted + "spaces around it");
  for (const char ch : given)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return bad_user(quoted + "a control character");
  user = given;
  return std::nullopt;
}

// A body's followUp, read by the config file's reader: the whole setting (keys left out take their
// defaults) into `out`, or why not, each problem naming its key.
std::optional<Refused> follow_up_of(const rapidjson::Value &v, FollowUpSettings &out) {
  FollowUpSettings given;
  const std::vector<FieldProblem> problems = read_follow_up(v, "followUp", given);
  if (problems.empty()) {
    out = given;
    return std::nullopt;
  }
  Refused bad = refuse(Refusal::invalid, problems.front().field + ": " + problems.front().message,
                       problems.front().field, problems.front().message);
  for (size_t i = 1; i < problems.size(); ++i) {
    bad.reason += "\n" + problems[i].field + ": " + problems[i].message;
    bad.more.emplace_back(problems[i].field, problems[i].message);
  }
  return bad;
}

} // namespace

std::optional<Refused> WebhookAdmin::apply_fields(StoredWebhook &w, const rapidjson::Value &body, bool creating) {
  if (const auto *v = member(body, "name")) {
    if (!v->IsString() || v->GetStringLength() == 0) return invalid("name must be a non-empty string", "name");
    w.name.assign(v->GetString(), v->GetStringLength());
  } else if (creating) {
    return invalid("name is required", "name");
  }
  if (const auto *v = member(body, "eventPlugin")) {
    if (!v->IsString()) return invalid("eventPlugin must be a string", "eventPlugin");
    w.event_plugin.assign(v->GetString(), v->GetStringLength());
  } else if (creating) {
    return invalid("eventPlugin is required", "eventPlugin");
  }
  if (const auto *v = member(body, "config")) {
    const auto config = config_of(*v);
    if (!config) return invalid("config must be an object (or a JSON string holding one)", "config");
    w.config_json = *config;
  } else if (creating) {
    w.config_json = "{}";
  }
  if (const auto *v = member(body, "enabled")) {
    if (!v->IsBool()) return invalid("enabled must be true or false", "enabled");
    w.enabled = v->GetBool();
  }
  if (const auto *v = member(body, "roles")) {
    const auto roles = roles_of(*v);
    if (!roles) return invalid("roles must be a comma-separated string", "roles");
    w.roles = *roles;
  }
  // rdwh's own: absent keeps what is stored (as useAuth).
  if (const auto *v = member(body, "followUp"))
    if (auto bad = follow_up_of(*v, w.follow_up)) return bad;
  if (creating) { // Rundeck: the user cannot change on update
    if (auto bad = user_of(body, w.user)) return bad;
    if (const auto uuid = string_member(body, "uuid"); uuid && !uuid->empty()) w.uuid = *uuid;
  }
  return std::nullopt;
}

std::optional<Refused> WebhookAdmin::apply(StoredWebhook &w, const rapidjson::Value &body, bool creating,
                                           SavedWebhook &saved) {
  if (auto bad = apply_fields(w, body, creating)) return bad;
  // Rundeck's rules: useAuth + regenAuth generates a new Authorization value (shown once, stored
  // as its sha256); useAuth false removes the check; useAuth alone keeps the current one.
  const auto use_auth = bool_member(body, "useAuth");
  if (use_auth == true && bool_member(body, "regenAuth") == true) {
    saved.generated_secret = random_token(kTokenLength);
    w.use_auth = true;
    w.auth_sha256 = sha256_hex(saved.generated_secret);
  } else if (use_auth == false) {
    w.use_auth = false;
    w.auth_sha256.clear();
  }
  return judge(w, saved.warnings);
}

std::optional<Refused> WebhookAdmin::judge(const StoredWebhook &w, std::vector<ConfigFinding> &warnings) const {
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  if (!rt->plugins().find(w.event_plugin)) return invalid("Plugin does not exist: " + w.event_plugin, "eventPlugin");
  const WebhookConfig config = w.to_config();
  std::vector<host::Diagnostic> diagnostics;
  try {
    rt->make_handler(config, w.config_json, &diagnostics, true);
  } catch (const PluginConfigError &e) {
    return invalid_config(e.detail());
  } catch (const ConfigError &e) {
    return invalid(e.what());
  }
  // What --check refuses, in Rundeck's words: "Invalid plugin configuration: <field> : <why>", one
  // line each, and every field in `errors`.
  Refused refused = refuse(Refusal::invalid, "Invalid plugin configuration: ");
  for (ConfigFinding &f : judge_config(config, diagnostics, rt->config().pagerduty)) {
    if (!f.refused) {
      warnings.push_back(std::move(f));
    } else if (refused.field.empty()) {
      refused.reason += f.field + " : " + f.text();
      refused.field = f.field, refused.field_error = f.text();
    } else {
      refused.reason += "\n" + f.field + " : " + f.text();
      refused.more.emplace_back(f.field, f.text());
    }
  }
  if (refused.field.empty()) return std::nullopt;
  return refused;
}

std::vector<ConfigFinding> WebhookAdmin::findings(const StoredWebhook &hook) const {
  std::vector<ConfigFinding> found;
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  if (!rt->plugins().find(hook.event_plugin)) return found;
  const WebhookConfig config = hook.to_config();
  std::vector<host::Diagnostic> diagnostics;
  try {
    rt->make_handler(config, hook.config_json, &diagnostics, true);
  } catch (const ConfigError &) {
    return found; // not served: not_served_reason() says why
  }
  return judge_config(config, diagnostics, rt->config().pagerduty);
}

std::vector<ConfigFinding> WebhookAdmin::preflight(const StoredWebhook &hook) const {
  static const std::atomic<bool> never{false};
  constexpr int64_t kBudgetMs = 5000; // a Save never waits long on a slow Rundeck
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  RundeckSettings settings = rt->config().rundeck;
  settings.connect_timeout_ms = std::min<int64_t>(settings.connect_timeout_ms, 2000);
  const PreflightResult r = preflight_rules(settings, rt->rundeck_token(), hook.project, hook.config_json,
                                            std::min(settings.request_timeout_ms, kBudgetMs), never);
  std::vector<ConfigFinding> out;
  for (const PreflightFinding &f : r.findings)
    out.push_back({false, f.field, finding_place(hook.name, f.rule), f.message});
  return out;
}

SavedWebhook WebhookAdmin::saved(const StoredWebhook &w, SavedWebhook answer) {
  loader_.rebuild();
  answer.id = w.id;
  answer.uuid = w.uuid;
  return answer;
}

// A name, uuid or token already taken is "invalid", as Rundeck answers it (400), not a conflict.
Outcome<SavedWebhook> WebhookAdmin::create(std::string_view project, const rapidjson::Value &body,
                                           std::string_view creator, std::string_view who) {
  StoredWebhook w;
  w.project = project;
  w.from_file = false;
  w.uuid = random_uuid();
  w.auth_token = random_token(kTokenLength);
  w.user = std::string(creator);
  w.creator = std::string(creator);
  SavedWebhook answer;
  if (auto bad = apply(w, body, true, answer)) return std::move(*bad);
  try {
    outbox_.webhooks().create(w, now_ms(), {std::string(who), ""});
  } catch (const WebhookConflict &e) {
    return invalid(e.what());
  }
  log::info("console: webhook created", {{"webhook", w.name}, {"project", w.project}, {"id", w.id}});
  return saved(w, std::move(answer));
}

Outcome<SavedWebhook> WebhookAdmin::update(const StoredWebhook &existing, const rapidjson::Value &body,
                                           std::string_view who, std::string_view action) {
  if (std::string why = read_only_reason(existing); !why.empty()) return refuse(Refusal::conflict, why);
  StoredWebhook w = existing;
  SavedWebhook answer;
  if (auto bad = apply(w, body, false, answer)) return std::move(*bad);
  try {
    outbox_.webhooks().update(w, now_ms(), {std::string(who), std::string(action)});
  } catch (const WebhookConflict &e) {
    return invalid(e.what());
  }
  log::info("console: webhook updated", {{"webhook", w.name}, {"project", w.project}, {"id", w.id}});
  return saved(w, std::move(answer));
}

Outcome<Done> WebhookAdmin::remove(const StoredWebhook &hook, std::string_view who) {
  if (std::string why = read_only_reason(hook); !why.empty()) return refuse(Refusal::conflict, why);
  if (!outbox_.webhooks().remove(hook.id, {std::string(who), ""})) return refuse(Refusal::not_found, "Webhook not found");
  log::info("console: webhook deleted", {{"webhook", hook.name}, {"project", hook.project}, {"id", hook.id}});
  loader_.rebuild();
  return Done{};
}

void WebhookAdmin::restore_body(const StoredWebhook &existing, const WebhookVersion &v, rapidjson::Document &body) {
  rapidjson::Document kept;
  kept.Parse(v.webhook_json.data(), v.webhook_json.size());
  body.SetObject();
  if (kept.HasParseError() || !kept.IsObject()) return;
  auto &a = body.GetAllocator();
  for (const char *key : {"name", "eventPlugin", "config", "enabled", "roles", "followUp"})
    if (kept.HasMember(key)) body.AddMember(rapidjson::StringRef(key), rapidjson::Value(kept[key], a), a);
  // A version kept before followUp existed had none: the defaults.
  if (!kept.HasMember("followUp")) body.AddMember("followUp", rapidjson::Value(rapidjson::kObjectType), a);
  // Turning the check off restores; turning it on would need the secret, which is not kept.
  if (bool_member(kept, "useAuth") == false && existing.use_auth) body.AddMember("useAuth", false, a);
}

Outcome<SavedWebhook> WebhookAdmin::restore(const StoredWebhook &existing, int64_t version, std::string_view who) {
  if (std::string why = read_only_reason(existing); !why.empty()) return refuse(Refusal::conflict, why);
  for (const WebhookVersion &v : history(existing)) {
    if (v.version != version || v.action == "delete") continue;
    rapidjson::Document body;
    restore_body(existing, v, body);
    return update(existing, body, who, "restore");
  }
  return refuse(Refusal::not_found, "Version " + std::to_string(version) + " of webhook '" + existing.name +
                                        "' is not kept");
}

std::string WebhookAdmin::post_url(const StoredWebhook &hook) const {
  const Config &c = runtime_.get()->config();
  std::string base = c.console.public_url;
  if (base.empty()) {
    const ListenAddress &l = c.http.listen;
    base = "http://" + (l.ipv6 ? "[" + l.host + "]" : l.host) + ":" +
           std::to_string(listener_port_ ? listener_port_ : l.port);
  }
  std::string anchor = hook.name;
  for (char &ch : anchor)
    if (ch == ' ') ch = '_';
  return base + "/api/" + std::to_string(c.rundeck.api_version) + "/webhook/" + hook.auth_token + "#" + anchor;
}

std::string WebhookAdmin::not_served_reason(const StoredWebhook &hook) const {
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  if (rt->find_id(hook.id)) return "";
  if (std::string why = rt->unavailable(hook.id); !why.empty()) return why;
  return "not applied yet (the gateway applies changes within a second)";
}

std::string WebhookAdmin::read_only_reason(const StoredWebhook &hook) const {
  if (!hook.from_file) return "";
  return "Webhook '" + hook.project + "/" + hook.name + "' comes from the config file " + loader_.absolute_path() +
         ": change it there and reload the gateway (SIGHUP)";
}

} // namespace rdwh::gateway
