// What a config becomes once loaded: the plugins, one handler per webhook, the Rundeck token.
// Immutable after build() and shared (std::shared_ptr<const Runtime>): a reload builds a new one
// and swaps it in; requests in flight keep the old one alive until they finish.
#pragma once

#include "config.hpp"
#include "hostkit.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rdwh::gateway {

struct Webhook {
  WebhookConfig config;
  std::vector<host::Diagnostic> diagnostics; // what the plugin found in its config (logged at build)
  std::string authorization_sha256; // lowercase hex; empty when config.use_auth is false
  std::unique_ptr<host::Handler> handler;
};

class Runtime {
public:
  // Scans the plugin directories, creates every webhook's handler (so bad rules fail here) and
  // reads the Rundeck token. Throws ConfigError listing every problem.
  static std::shared_ptr<const Runtime> build(Config config);
  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  const Config &config() const { return config_; }
  // The webhook whose authToken is `token`, or nullptr.
  const Webhook *find(std::string_view token) const;
  const std::string &rundeck_token() const { return token_; }
  // What `--check` refuses although the plugin accepts it: unknown config keys (with the plugin's
  // "did you mean") and enabled rules without a job, one line each naming the webhook.
  std::vector<std::string> check_refusals() const;

private:
  Runtime() = default;
  Config config_;
  std::string token_;
  // Declared before the webhooks: members are destroyed in reverse order, so every handler is
  // destroyed before its plugin is dlclose()d.
  host::PluginSet plugins_;
  std::vector<std::unique_ptr<Webhook>> hooks_;
  std::unordered_map<std::string, const Webhook *> by_token_;
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
