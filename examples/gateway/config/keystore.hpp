// Secrets for plugin configs (${KS:path}) and the Authorization header check.
//
// Key paths, as Rundeck writes them:
//   keys/a/b   -> the bytes of the file <keyStorageDir>/a/b, exactly as stored (no newline is
//                 stripped: the plugin splits lines itself, e.g. for several signing secrets)
//   env/NAME   -> the value of the environment variable NAME (read when the config is loaded)
// A leading '/' is ignored. Paths with empty, "." or ".." components are refused, so a config
// cannot read outside the key storage directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

class KeyStore {
public:
  explicit KeyStore(std::string dir) : dir_(std::move(dir)) {}
  // The secret at `path`, or nullopt when there is none. Throws std::runtime_error for a malformed
  // path or an I/O failure (the message names the path, never the value).
  std::optional<std::string> get(std::string_view path) const;

private:
  std::string dir_; // empty: no key storage directory (only env/ works)
};

} // namespace rdwh::gateway
