// What a config becomes once loaded: the plugins, one handler per webhook, the Rundeck token.
// Immutable after build() and shared (std::shared_ptr<const Runtime>): a reload builds a new one
// and swaps it in; requests in flight keep the old one alive until they finish.
#pragma once

#include "config/config.hpp"
#include "config/key_values.hpp"
#include "config/keystore.hpp"
#include "hostkit.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rdwh::gateway {

struct Webhook {
  // The plugins its handler comes from, kept loaded while any runtime holds this webhook: a
  // rebuild for a webhook change reuses the handlers (and plugins) of the webhooks it leaves as
  // they were. Declared first, so the handler is destroyed before them.
  std::shared_ptr<const host::PluginSet> plugins;
  WebhookConfig config;
  std::vector<host::Diagnostic> diagnostics; // what the plugin found in its config (logged at build)
  std::string authorization_sha256; // lowercase hex; empty when config.use_auth is false
  std::unique_ptr<host::Handler> handler;
  std::shared_ptr<const ServedKeys> keys; // what key storage gave the handler: hidden in all it returns
};

// What the plugin found in one webhook's config, judged as --check judges it.
struct ConfigFinding {
  bool refused = false; // --check, the console and the API refuse it; else a warning
  std::string field;    // where in the config: "rules[1].jobid", "keyStoragePath"; "config" for the whole
  std::string where;    // "webhook 'PagerDuty', action 'on trigger'" (the action when it is about one)
  std::string message;  // the plugin's sentence, its field first

  std::string text() const { return where + ": " + message; }
};

// Where a finding is: "webhook 'W'", with ", action 'A'" when it is about one action.
std::string finding_place(const std::string &webhook, const std::string &action);

// The one place that says what --check refuses of a webhook's config, although the plugin accepts
// it: unknown keys (with the plugin's "did you mean"), enabled rules without a job, and a signed
// provider (PagerDuty V3) without keyStoragePath, whose deliveries nothing authenticates. The
// plugin's other diagnostics (and lint's, when asked for) are warnings. Also refused: a "followUp"
// that writes to PagerDuty on a gateway without the "pagerduty" section (field "followUp").
std::vector<ConfigFinding> judge_config(const WebhookConfig &w, const std::vector<host::Diagnostic> &diagnostics,
                                        const PagerDutySettings &pagerduty);

// A handler, with the key-storage values it was given (config/key_values.hpp).
struct MadeHandler {
  std::unique_ptr<host::Handler> handler;
  std::shared_ptr<const ServedKeys> keys;
};

class Runtime {
public:
  // Scans the plugin directories, creates every webhook's handler (so bad rules fail here) and
  // reads the Rundeck and console tokens. Throws ConfigError listing every problem of the file.
  // `api_hooks` (webhooks created through the console's API): one that cannot be built is left
  // out and noted in unavailable(), never fatal.
  // `reuse` (a webhook change): the plugins and the handlers of the webhooks whose config is the
  // same in `reuse` are taken from it rather than built again (handlers are immutable per config),
  // when the plugin directories and key storage are the same. A SIGHUP builds everything.
  static std::shared_ptr<const Runtime> build(Config config, const std::vector<WebhookConfig> &api_hooks = {},
                                              const Runtime *reuse = nullptr);
  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  const Config &config() const { return config_; }
  // The webhook whose authToken is `token`, or nullptr.
  const Webhook *find(std::string_view token) const;
  // The webhook served with database id `id`, or nullptr.
  const Webhook *find_id(int64_t id) const;
  // The webhook served whose key() is `key` (an outbox job's webhook_key), or nullptr.
  const Webhook *find_key(std::string_view key) const;
  // Why the API webhook `id` is not served ("" when it is, or is unknown).
  std::string unavailable(int64_t id) const;
  const std::string &rundeck_token() const { return token_; }
  // What `--check` refuses (judge_config), one line each naming the webhook, the action and the
  // field; and every API webhook that cannot be built (unavailable()).
  std::vector<std::string> check_refusals() const;
  const std::string &console_token() const { return console_token_; }
  // PagerDuty's REST API token (pagerduty.tokenFile), "" without a "pagerduty" section.
  const std::string &pagerduty_token() const { return pagerduty_token_; }
  const host::PluginSet &plugins() const { return *plugins_; }
  // How many of this runtime's webhooks were taken from the runtime it was built to replace.
  size_t reused_handlers() const { return reused_; }
  // Webhook handlers built since the process started (at start, at SIGHUP, for each webhook
  // created or changed), for /metrics: reused ones are not counted.
  static uint64_t handlers_built();
  // Key storage (keyStorageDir, keyStorageEnvAllow): the dispatcher reads the values a job's run
  // call needs from it when it sends the call.
  const KeyStore &keys() const { return keys_; }
  // A handler for `w` with the config `config_json` (the webhook's own, or an edited one) and this
  // runtime's key storage; the plugin's diagnostics are logged and, given `diagnostics`, kept there
  // (with lint's findings too when `lint`). Throws ConfigError naming the field (the plugin's
  // message for a bad config). The handler must be destroyed before this runtime.
  MadeHandler make_handler(const WebhookConfig &w, std::string_view config_json,
                           std::vector<host::Diagnostic> *diagnostics = nullptr, bool lint = false) const;

private:
  explicit Runtime(KeyStore keys) : keys_(std::move(keys)) {}
  // Scans the plugin directories, or takes `reuse`'s plugins when it was built from the same
  // directories and key storage: then returns `reuse`, else nullptr (nothing can be reused).
  const Runtime *load_plugins(const Config &config, const Runtime *reuse, std::vector<std::string> &problems);
  // `w` served: the webhook of `reuse` with the same config, else a new one. Throws ConfigError.
  std::shared_ptr<const Webhook> build_webhook(const WebhookConfig &w, const Runtime *reuse);
  void add(std::shared_ptr<const Webhook> hook);

  Config config_;
  KeyStore keys_;
  std::string token_, console_token_, pagerduty_token_;
  // Declared before the webhooks: members are destroyed in reverse order, so every handler is
  // destroyed before its plugin is dlclose()d.
  std::shared_ptr<const host::PluginSet> plugins_;
  std::vector<std::shared_ptr<const Webhook>> hooks_;
  size_t reused_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const Webhook>> by_token_;
  std::unordered_map<int64_t, const Webhook *> by_id_;
  std::map<int64_t, std::string> unavailable_;
};

} // namespace rdwh::gateway

namespace rdwh::gateway {

// The runtime in force; swapped by a reload. Thread-safe.
class CurrentRuntime {
public:
  explicit CurrentRuntime(std::shared_ptr<const Runtime> rt) : rt_(std::move(rt)) {}
  std::shared_ptr<const Runtime> get() const {
    std::lock_guard lock(mu_);
    return rt_;
  }
  void set(std::shared_ptr<const Runtime> rt) {
    std::shared_ptr<const Runtime> old;
    {
      std::lock_guard lock(mu_);
      old = std::exchange(rt_, std::move(rt));
    }
    // `old` is released here, outside the lock (destroying handlers may take a moment).
  }

private:
  mutable std::mutex mu_;
  std::shared_ptr<const Runtime> rt_;
};

} // namespace rdwh::gateway
