#include "runtime/runtime.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "config/keystore.hpp"
#include "base/log.hpp"

#include <atomic>
#include <cctype>
#include <filesystem>

namespace rdwh::gateway {

namespace {

std::atomic<uint64_t> g_handlers_built{0};

log::Level level_of(int rdwh_level) {
  switch (rdwh_level) {
  case RDWH_LOG_DEBUG: return log::Level::debug;
  case RDWH_LOG_WARN: return log::Level::warn;
  case RDWH_LOG_ERROR: return log::Level::error;
  default: return log::Level::info;
  }
}

// The plugin reports config diagnostics as data (rdwh.host.diagnostics/1): logged as warnings with
// their fields, and kept in `found` (when given) for --check. Every value key storage hands the
// plugin is recorded in `served`, and hidden in the plugin's log lines (as in all it returns).
host::Services services_for(const WebhookConfig &w, const KeyStore &keys, std::vector<host::Diagnostic> *found,
                            const std::shared_ptr<ServedKeys> &served) {
  host::Services s;
  s.log = [name = w.name, served](int level, std::string_view message) {
    log::write(level_of(level), served->mark(message), {{"source", "plugin"}, {"webhook", name}});
  };
  s.get_secret = [keys, served](std::string_view path) {
    std::optional<std::string> value = keys.get(path);
    if (value) served->add(path, *value);
    else if (std::string why = keys.why_missing(path); !why.empty()) served->note_missing(std::move(why));
    return value;
  };
  s.diagnostic = [name = w.name, found](const host::Diagnostic &d) {
    log::warn(d.message, {{"source", "plugin"}, {"webhook", name}, {"field", d.field}, {"rule", d.rule},
                          {"suggestion", d.suggestion}});
    if (found) found->push_back(d);
  };
  return s;
}

std::string providers_offered(const host::PluginSet &plugins) {
  std::string out;
  for (const auto &p : plugins.plugins())
    for (const rdwh_provider_info_t *info : p->providers()) out += (out.empty() ? "" : ", ") + std::string(info->name);
  return out.empty() ? "none" : out;
}

// Header values cannot hold CR or LF, so a key file's trailing newline is not part of the secret.
void strip_line_end(std::string &s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

// A token file's content, trimmed; a problem (naming `field`) when unreadable or empty.
std::string read_token(const std::string &path, const char *field, std::vector<std::string> &problems) {
  try {
    std::string token = read_file(path);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
    if (token.empty()) problems.push_back(std::string(field) + ": the file is empty");
    return token;
  } catch (const std::exception &e) {
    problems.push_back(std::string(field) + ": " + e.what());
    return "";
  }
}

} // namespace

MadeHandler Runtime::make_handler(const WebhookConfig &w, std::string_view config_json,
                                  std::vector<host::Diagnostic> *diagnostics, bool lint) const {
  const host::Plugin *plugin = plugins_->find(w.event_plugin);
  if (!plugin)
    throw ConfigError(w.field("eventPlugin") + ": no plugin offers provider '" + w.event_plugin +
                      "' (offered: " + providers_offered(*plugins_) + ")");
  auto served = std::make_shared<ServedKeys>();
  try {
    MadeHandler made;
    host::Services services = services_for(w, keys_, diagnostics, served);
    services.lint = lint;
    made.handler = std::make_unique<host::Handler>(*plugin, w.event_plugin, config_json, std::move(services));
    made.keys = std::move(served);
    return made;
  } catch (const host::HostError &e) {
    std::string why = e.what();
    if (const std::string notes = served->missing_notes(); !notes.empty()) why += " (" + notes + ")";
    throw PluginConfigError(w.field("config") + ": " + why, why);
  }
}

std::shared_ptr<const Webhook> Runtime::build_webhook(const WebhookConfig &w, const Runtime *reuse) {
  if (reuse)
    if (auto old = reuse->by_token_.find(w.auth_token); old != reuse->by_token_.end() && old->second->config == w) {
      ++reused_;
      return old->second;
    }
  auto hook = std::make_shared<Webhook>();
  hook->plugins = plugins_;
  hook->config = w;
  if (w.use_auth && w.authorization_sha256.empty()) {
    std::optional<std::string> secret;
    try {
      secret = keys_.get(w.authorization_ref);
    } catch (const std::exception &e) {
      throw ConfigError(w.field("authorization") + ": " + e.what());
    }
    if (!secret) {
      const std::string why = keys_.why_missing(w.authorization_ref);
      throw ConfigError(w.field("authorization") + ": no key at '" + w.authorization_ref + "'" +
                        (why.empty() ? "" : " (" + why + ")"));
    }
    strip_line_end(*secret);
    hook->authorization_sha256 = sha256_hex(*secret);
    wipe(*secret);
  } else if (w.use_auth) {
    hook->authorization_sha256 = w.authorization_sha256;
  }
  MadeHandler made = make_handler(w, w.config_json, &hook->diagnostics);
  hook->handler = std::move(made.handler);
  hook->keys = std::move(made.keys);
  g_handlers_built.fetch_add(1, std::memory_order_relaxed);
  return hook;
}

uint64_t Runtime::handlers_built() { return g_handlers_built.load(std::memory_order_relaxed); }

const Runtime *Runtime::load_plugins(const Config &config, const Runtime *reuse, std::vector<std::string> &problems) {
  for (const std::string &dir : config.plugin_dirs)
    if (!std::filesystem::is_directory(dir)) problems.push_back("pluginDir: '" + dir + "' is not a directory");
  if (reuse && (reuse->config_.plugin_dirs != config.plugin_dirs ||
                reuse->config_.key_storage_dir != config.key_storage_dir ||
                reuse->config_.key_storage_env_allow != config.key_storage_env_allow))
    reuse = nullptr;
  if (reuse) {
    plugins_ = reuse->plugins_;
    return reuse;
  }
  plugins_ = std::make_shared<const host::PluginSet>(host::PluginSet::scan(config.plugin_dirs));
  for (const std::string &why : plugins_->skipped()) log::warn("plugin skipped", {{"reason", why}});
  return nullptr;
}

std::shared_ptr<const Runtime> Runtime::build(Config config, const std::vector<WebhookConfig> &api_hooks,
                                              const Runtime *reuse) {
  std::shared_ptr<Runtime> rt(new Runtime(KeyStore(config.key_storage_dir, config.key_storage_env_allow)));
  std::vector<std::string> problems;

  if (!config.key_storage_dir.empty() && !std::filesystem::is_directory(config.key_storage_dir))
    problems.push_back("keyStorageDir: '" + config.key_storage_dir + "' is not a directory");
  rt->token_ = read_token(config.rundeck.auth_token_file, "rundeck.authTokenFile", problems);
  if (config.console.enabled) {
    rt->console_token_ = read_token(config.console.auth_token_file, "console.authTokenFile", problems);
    if (!rt->console_token_.empty() && rt->console_token_.size() < 16)
      problems.push_back("console.authTokenFile: the token must be at least 16 characters long");
  }

  if (config.pagerduty.enabled)
    rt->pagerduty_token_ = read_token(config.pagerduty.token_file, "pagerduty.tokenFile", problems);

  reuse = rt->load_plugins(config, reuse, problems);

  for (const WebhookConfig &w : config.webhooks) {
    try {
      rt->add(rt->build_webhook(w, reuse));
    } catch (const ConfigError &e) {
      problems.push_back(e.what());
    }
  }
  if (!problems.empty()) {
    std::string text;
    for (const auto &p : problems) text += (text.empty() ? "" : "\n") + p;
    throw ConfigError(text);
  }
  // A webhook created through the API that cannot be built now (a key gone from key storage, a
  // plugin removed) is not served, and the console says why; the file's webhooks still are.
  for (const WebhookConfig &w : api_hooks) {
    try {
      if (rt->by_token_.count(w.auth_token)) throw ConfigError(w.field("authToken") + ": same token as another webhook");
      rt->add(rt->build_webhook(w, reuse));
    } catch (const ConfigError &e) {
      rt->unavailable_[w.id] = e.what();
      log::error("webhook not served", {{"webhook", w.name}, {"project", w.project}, {"id", w.id}, {"error", e.what()}});
    }
  }
  rt->config_ = std::move(config);
  return rt;
}

void Runtime::add(std::shared_ptr<const Webhook> hook) {
  by_token_.emplace(hook->config.auth_token, hook);
  if (hook->config.id) by_id_.emplace(hook->config.id, hook.get());
  hooks_.push_back(std::move(hook));
}

Runtime::~Runtime() {
  wipe(token_);
  wipe(console_token_);
  wipe(pagerduty_token_);
  by_id_.clear();
  by_token_.clear();
  hooks_.clear(); // handlers before plugins (also guaranteed by member order)
}

std::string finding_place(const std::string &webhook, const std::string &action) {
  return "webhook '" + webhook + "'" + (action.empty() ? "" : ", action '" + action + "'");
}

std::vector<ConfigFinding> judge_config(const WebhookConfig &w, const std::vector<host::Diagnostic> &diagnostics,
                                        const PagerDutySettings &pagerduty) {
  rapidjson::Document config;
  config.Parse(w.config_json.data(), w.config_json.size());
  const bool has_key_path =
      config.IsObject() && !string_member(config, "keyStoragePath").value_or("").empty();
  std::vector<ConfigFinding> out;
  for (const host::Diagnostic &d : diagnostics) {
    ConfigFinding f;
    // A keyStoragePath diagnostic without a keyStoragePath: a signed provider left without its secret.
    const bool unsigned_v3 = d.kind == RDWH_DIAGNOSTIC_IGNORED && d.field == "keyStoragePath" && !has_key_path;
    f.refused = d.kind == RDWH_DIAGNOSTIC_UNKNOWN_KEY || d.kind == RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB || unsigned_v3;
    f.field = d.field.empty() ? "config" : d.field;
    f.where = finding_place(w.name, d.rule);
    f.message = d.message;
    out.push_back(std::move(f));
  }
  if (std::string why = follow_up_refusal(w.follow_up, pagerduty); !why.empty())
    out.push_back({true, "followUp", finding_place(w.name, ""), why});
  return out;
}

std::vector<std::string> Runtime::check_refusals() const {
  std::vector<std::string> out;
  for (const auto &hook : hooks_)
    for (const ConfigFinding &f : judge_config(hook->config, hook->diagnostics, config_.pagerduty))
      if (f.refused)
        out.push_back(hook->config.field(f.field == "followUp" ? "followUp" : "config") + " (" + f.where +
                      "): " + f.message);
  for (const auto &[id, why] : unavailable_) out.push_back(why);
  return out;
}

const Webhook *Runtime::find(std::string_view token) const {
  auto it = by_token_.find(std::string(token));
  return it == by_token_.end() ? nullptr : it->second.get();
}

const Webhook *Runtime::find_key(std::string_view key) const {
  for (const auto &hook : hooks_)
    if (hook->config.key() == key) return hook.get();
  return nullptr;
}

const Webhook *Runtime::find_id(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::string Runtime::unavailable(int64_t id) const {
  auto it = unavailable_.find(id);
  return it == unavailable_.end() ? std::string() : it->second;
}

} // namespace rdwh::gateway
