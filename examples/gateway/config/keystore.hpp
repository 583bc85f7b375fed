// Secrets for plugin configs (${KS:path}) and the Authorization header check.
//
// Key paths, as Rundeck writes them:
//   keys/a/b   -> the bytes of the file <keyStorageDir>/a/b, exactly as stored (no newline is
//                 stripped: the plugin splits lines itself, e.g. for several signing secrets)
//   env/NAME   -> the value of the environment variable NAME (read when the config is loaded, and
//                 again when a job that holds it is sent), only for a NAME the operator lists in
//                 `keyStorageEnvAllow` (empty by default): any other name is looked up as a key
//                 that does not exist (no value, and why_missing() says why), so a console user
//                 cannot read the service's environment through a config
// A leading '/' is ignored. Paths with empty, "." or ".." components are refused, so a config
// cannot read outside the key storage directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// Whether `name` can be an environment variable's name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name);

class KeyStore {
public:
  explicit KeyStore(std::string dir, std::vector<std::string> env_allow = {})
      : dir_(std::move(dir)), env_allow_(std::move(env_allow)) {}
  // The secret at `path`, or nullopt when there is none (an env/ name not allowed included).
  // Throws std::runtime_error for a malformed path or an I/O failure (the message names the path,
  // never the value).
  std::optional<std::string> get(std::string_view path) const;
  // Why get(path) finds nothing when it is not just absent ("env/HOME is not in
  // keyStorageEnvAllow"); "" otherwise.
  std::string why_missing(std::string_view path) const;

private:
  bool env_allowed(std::string_view name) const;

  std::string dir_; // empty: no key storage directory (only env/ works)
  std::vector<std::string> env_allow_; // the env/ names that may be read
};

} // namespace rdwh::gateway
