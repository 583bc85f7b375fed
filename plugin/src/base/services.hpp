// What the plugin needs from its host, as a C++ interface: one adapter over rdwh_host_t in abi/
// and fakes in the tests.
#pragma once

#include "base/secret.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace rdwh {

// Mirrors rdwh_log_level (checked by static_asserts in abi/).
enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };

class Services {
public:
  virtual ~Services() = default;
  virtual void log(LogLevel level, std::string_view message) const = 0;
  // The key-storage entry at `path`; nullopt when there is none. Throws rdwh::Error
  // (Status::host_failure) when storage failed.
  virtual std::optional<Secret> secret(std::string_view path) const = 0;
  virtual int64_t now_unix_ms() const = 0;
};

} // namespace rdwh
