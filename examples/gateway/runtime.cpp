#include "runtime.hpp"

#include "crypto.hpp"
#include "keystore.hpp"
#include "log.hpp"

#include <cctype>
#include <filesystem>

namespace rdwh::gateway {

namespace {

log::Level level_of(int rdwh_level) {
  switch (rdwh_level) {
  case RDWH_LOG_DEBUG: return log::Level::debug;
  case RDWH_LOG_WARN: return log::Level::warn;
  case RDWH_LOG_ERROR: return log::Level::error;
  default: return log::Level::info;
  }
}

// The plugin reports config diagnostics as data (rdwh.host.diagnostics/1): kept on the webhook for
// --check, and logged as warnings with their fields.
host::Services services_for(const WebhookConfig &w, const KeyStore &keys, Webhook &hook) {
  host::Services s;
  s.log = [name = w.name](int level, std::string_view message) {
    log::write(level_of(level), message, {{"source", "plugin"}, {"webhook", name}});
  };
  s.get_secret = [keys](std::string_view path) { return keys.get(path); };
  s.diagnostic = [&hook](const host::Diagnostic &d) {
    log::warn(d.message, {{"source", "plugin"}, {"webhook", hook.config.name}, {"field", d.field}, {"rule", d.rule},
                          {"suggestion", d.suggestion}});
    hook.diagnostics.push_back(d);
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

} // namespace

std::shared_ptr<const Runtime> Runtime::build(Config config) {
  std::shared_ptr<Runtime> rt(new Runtime());
  std::vector<std::string> problems;
  const KeyStore keys(config.key_storage_dir);

  if (!config.key_storage_dir.empty() && !std::filesystem::is_directory(config.key_storage_dir))
    problems.push_back("keyStorageDir: '" + config.key_storage_dir + "' is not a directory");

  try {
    rt->token_ = read_file(config.rundeck.auth_token_file);
    while (!rt->token_.empty() && std::isspace(static_cast<unsigned char>(rt->token_.back()))) rt->token_.pop_back();
    if (rt->token_.empty()) problems.push_back("rundeck.authTokenFile: the file is empty");
  } catch (const std::exception &e) {
    problems.push_back(std::string("rundeck.authTokenFile: ") + e.what());
  }

  for (const std::string &dir : config.plugin_dirs)
    if (!std::filesystem::is_directory(dir)) problems.push_back("pluginDir: '" + dir + "' is not a directory");
  rt->plugins_ = host::PluginSet::scan(config.plugin_dirs);
  for (const std::string &why : rt->plugins_.skipped()) log::warn("plugin skipped", {{"reason", why}});

  for (const WebhookConfig &w : config.webhooks) {
    auto hook = std::make_unique<Webhook>();
    hook->config = w;
    if (w.use_auth) {
      if (!w.authorization_sha256.empty()) {
        hook->authorization_sha256 = w.authorization_sha256;
      } else {
        try {
          std::optional<std::string> secret = keys.get(w.authorization_ref);
          if (!secret) problems.push_back(w.field("authorization") + ": no key at '" + w.authorization_ref + "'");
          else {
            strip_line_end(*secret);
            hook->authorization_sha256 = sha256_hex(*secret);
            wipe(*secret);
          }
        } catch (const std::exception &e) {
          problems.push_back(w.field("authorization") + ": " + e.what());
        }
      }
    }
    const host::Plugin *plugin = rt->plugins_.find(w.event_plugin);
    if (!plugin) {
      problems.push_back(w.field("eventPlugin") + ": no plugin offers provider '" + w.event_plugin +
                         "' (offered: " + providers_offered(rt->plugins_) + ")");
      continue;
    }
    try {
      hook->handler = std::make_unique<host::Handler>(*plugin, w.event_plugin, w.config_json, services_for(w, keys, *hook));
    } catch (const host::HostError &e) {
      problems.push_back(w.field("config") + ": " + e.what());
      continue;
    }
    rt->by_token_.emplace(w.auth_token, hook.get());
    rt->hooks_.push_back(std::move(hook));
  }

  if (!problems.empty()) {
    std::string text;
    for (const auto &p : problems) text += (text.empty() ? "" : "\n") + p;
    throw ConfigError(text);
  }
  rt->config_ = std::move(config);
  return rt;
}

Runtime::~Runtime() {
  wipe(token_);
  by_token_.clear();
  hooks_.clear(); // handlers before plugins (also guaranteed by member order)
}

std::vector<std::string> Runtime::check_refusals() const {
  std::vector<std::string> out;
  for (const auto &hook : hooks_)
    for (const host::Diagnostic &d : hook->diagnostics)
      if (d.kind == RDWH_DIAGNOSTIC_UNKNOWN_KEY || d.kind == RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB)
        out.push_back(hook->config.field("config") + " (webhook '" + hook->config.name + "'): " + d.message);
  return out;
}

const Webhook *Runtime::find(std::string_view token) const {
  auto it = by_token_.find(std::string(token));
  return it == by_token_.end() ? nullptr : it->second;
}

} // namespace rdwh::gateway
