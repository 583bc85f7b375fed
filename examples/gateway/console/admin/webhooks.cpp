#include "console/admin/webhooks.hpp"

#include "base/crypto.hpp"
#include "base/log.hpp"

#include <chrono>

namespace rdwh::gateway {

namespace {

constexpr size_t kTokenLength = 32; // as Rundeck's webhook tokens and generated security strings

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rundeck's "Invalid plugin configuration: <key> : <message>", from the plugin's "<key>: <message>".
HttpResponse invalid_config(const std::string &detail) {
  const size_t colon = detail.find(": ");
  const std::string key = colon == std::string::npos ? "config" : detail.substr(0, colon);
  const std::string message = colon == std::string::npos ? detail : detail.substr(colon + 2);
  return webhook_error(400, "Invalid plugin configuration: " + key + " : " + message, {{key, message}});
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

} // namespace

std::optional<HttpResponse> WebhookAdmin::apply(StoredWebhook &w, const rapidjson::Value &body, bool creating,
                                                std::string &generated_secret) {
  if (const auto *v = member(body, "name")) {
    if (!v->IsString() || v->GetStringLength() == 0) return webhook_error(400, "name must be a non-empty string");
    w.name.assign(v->GetString(), v->GetStringLength());
  } else if (creating) {
    return webhook_error(400, "name is required");
  }
  if (const auto *v = member(body, "eventPlugin")) {
    if (!v->IsString()) return webhook_error(400, "eventPlugin must be a string");
    w.event_plugin.assign(v->GetString(), v->GetStringLength());
  } else if (creating) {
    return webhook_error(400, "eventPlugin is required");
  }
  if (const auto *v = member(body, "config")) {
    const auto config = config_of(*v);
    if (!config) return webhook_error(400, "config must be an object (or a JSON string holding one)");
    w.config_json = *config;
  } else if (creating) {
    w.config_json = "{}";
  }
  if (const auto *v = member(body, "enabled")) {
    if (!v->IsBool()) return webhook_error(400, "enabled must be true or false");
    w.enabled = v->GetBool();
  }
  if (const auto *v = member(body, "roles")) {
    const auto roles = roles_of(*v);
    if (!roles) return webhook_error(400, "roles must be a comma-separated string");
    w.roles = *roles;
  }
  if (creating) { // Rundeck: the user cannot change on update
    if (const auto user = string_member(body, "user")) w.user = *user;
    if (const auto uuid = string_member(body, "uuid"); uuid && !uuid->empty()) w.uuid = *uuid;
  }
  // Rundeck's rules: useAuth + regenAuth generates a new Authorization value (shown once, stored
  // as its sha256); useAuth false removes the check; useAuth alone keeps the current one.
  const auto use_auth = bool_member(body, "useAuth");
  if (use_auth == true && bool_member(body, "regenAuth") == true) {
    generated_secret = random_token(kTokenLength);
    w.use_auth = true;
    w.auth_sha256 = sha256_hex(generated_secret);
  } else if (use_auth == false) {
    w.use_auth = false;
    w.auth_sha256.clear();
  }

  const std::shared_ptr<const Runtime> rt = runtime_.get();
  if (!rt->plugins().find(w.event_plugin)) return webhook_error(400, "Plugin does not exist: " + w.event_plugin);
  try {
    rt->make_handler(w.to_config(), w.config_json);
  } catch (const PluginConfigError &e) {
    return invalid_config(e.detail());
  } catch (const ConfigError &e) {
    return webhook_error(400, e.what());
  }
  return std::nullopt;
}

SaveResult WebhookAdmin::saved(const StoredWebhook &w, std::string generated_secret) {
  loader_.rebuild();
  rapidjson::StringBuffer buf;
  JsonWriter out(buf);
  out.StartObject();
  out.Key("msg"), out.String("Saved webhook");
  out.Key("uuid"), write_str(out, w.uuid);
  if (!generated_secret.empty()) out.Key("generatedSecurityString"), write_str(out, generated_secret);
  out.EndObject();
  SaveResult r;
  r.answer = json_ok(std::string(buf.GetString(), buf.GetSize()));
  r.ok = true;
  r.id = w.id;
  r.generated_secret = std::move(generated_secret);
  return r;
}

SaveResult WebhookAdmin::create(std::string_view project, const rapidjson::Value &body, std::string_view creator) {
  StoredWebhook w;
  w.project = project;
  w.from_file = false;
  w.uuid = random_uuid();
  w.auth_token = random_token(kTokenLength);
  w.user = std::string(creator);
  w.creator = std::string(creator);
  SaveResult r;
  std::string secret;
  if (auto bad = apply(w, body, true, secret)) {
    r.answer = std::move(*bad);
    return r;
  }
  try {
    outbox_.webhooks().create(w, now_ms());
  } catch (const WebhookConflict &e) {
    r.answer = webhook_error(400, e.what());
    return r;
  }
  log::info("console: webhook created", {{"webhook", w.name}, {"project", w.project}, {"id", w.id}});
  return saved(w, std::move(secret));
}

SaveResult WebhookAdmin::update(const StoredWebhook &existing, const rapidjson::Value &body) {
  SaveResult r;
  if (std::string why = read_only_reason(existing); !why.empty()) {
    r.answer = webhook_error(409, why);
    return r;
  }
  StoredWebhook w = existing;
  std::string secret;
  if (auto bad = apply(w, body, false, secret)) {
    r.answer = std::move(*bad);
    return r;
  }
  try {
    outbox_.webhooks().update(w, now_ms());
  } catch (const WebhookConflict &e) {
    r.answer = webhook_error(400, e.what());
    return r;
  }
  log::info("console: webhook updated", {{"webhook", w.name}, {"project", w.project}, {"id", w.id}});
  return saved(w, std::move(secret));
}

HttpResponse WebhookAdmin::remove(const StoredWebhook &hook) {
  if (std::string why = read_only_reason(hook); !why.empty()) return webhook_error(409, why);
  if (!outbox_.webhooks().remove(hook.id)) return webhook_error(404, "Webhook not found");
  log::info("console: webhook deleted", {{"webhook", hook.name}, {"project", hook.project}, {"id", hook.id}});
  loader_.rebuild();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("msg"), write_str(w, "Deleted " + hook.name + " webhook");
  w.EndObject();
  return json_ok(std::string(buf.GetString(), buf.GetSize()));
}

void WebhookAdmin::write(JsonWriter &w, const StoredWebhook &h) {
  w.StartObject();
  w.Key("id"), w.Int64(h.id);
  w.Key("uuid"), write_str(w, h.uuid);
  w.Key("name"), write_str(w, h.name);
  w.Key("project"), write_str(w, h.project);
  w.Key("enabled"), w.Bool(h.enabled);
  w.Key("user"), write_str(w, h.user);
  w.Key("creator"), write_str(w, h.creator);
  w.Key("roles"), write_str(w, h.roles);
  w.Key("authToken"), write_str(w, h.auth_token);
  w.Key("useAuth"), w.Bool(h.use_auth);
  w.Key("regenAuth"), w.Bool(false);
  w.Key("eventPlugin"), write_str(w, h.event_plugin);
  w.Key("config"), w.RawValue(h.config_json.data(), h.config_json.size(), rapidjson::kObjectType);
  w.EndObject();
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
