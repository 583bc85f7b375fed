// What the plugin needs from its host, as C++ interfaces: one adapter over rdwh_host_t
// (abi/host_services.hpp) and fakes in the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh {

enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };

// Bytes that are wiped (OPENSSL_cleanse) when destroyed: secrets live only in these.
class SecretBytes {
public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes) {}
  SecretBytes(SecretBytes &&other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }
  SecretBytes &operator=(SecretBytes &&other) noexcept;
  SecretBytes(const SecretBytes &) = delete;
  SecretBytes &operator=(const SecretBytes &) = delete;
  ~SecretBytes() { wipe(); }

  std::string_view view() const noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_.empty(); }
  void wipe() noexcept;

private:
  std::string bytes_;
};

class Services {
public:
  virtual ~Services() = default;
  virtual void log(LogLevel level, std::string_view message) const = 0;
  // The key-storage entry at `path`; nullopt when there is none. Throws rdwh::Error
  // (Status::host_failure) when storage failed.
  virtual std::optional<SecretBytes> secret(std::string_view path) const = 0;
  virtual int64_t now_unix_ms() const = 0;
};

} // namespace rdwh
