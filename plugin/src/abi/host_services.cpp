#include "abi/host_services.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

namespace rdwh::abi {

HostServices::HostServices(const rdwh_host_t *host) noexcept : host_ptr_(host) {
  std::memcpy(&host_, host, std::min<std::size_t>(host->struct_size, sizeof host_));
  host_.struct_size = std::min<uint32_t>(host->struct_size, sizeof host_);
}

void HostServices::log(LogLevel level, std::string_view message) const {
  if (RDWH_HAS_FIELD(&host_, rdwh_host_t, log) && host_.log)
    host_.log(host_ptr_, static_cast<rdwh_log_level>(level), str(message));
}

// Read straight into a Secret; a host that answers BUFFER_TOO_SMALL is asked again with the size
// it named (a few times: the value may change between calls).
std::optional<Secret> HostServices::secret(std::string_view path) const {
  if (!RDWH_HAS_FIELD(&host_, rdwh_host_t, get_secret) || !host_.get_secret)
    throw Error(Status::host_failure, "the host provides no key storage");
  Secret value;
  std::size_t capacity = 256;
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto *out = reinterpret_cast<uint8_t *>(value.resize_for_write(capacity));
    size_t len = 0;
    const rdwh_status st = host_.get_secret(host_ptr_, str(path), out, capacity, &len);
    if (st == RDWH_STATUS_OK && len <= capacity) {
      value.truncate(len);
      return value;
    }
    if (st == RDWH_STATUS_NOT_FOUND) return std::nullopt;
    if (st != RDWH_STATUS_BUFFER_TOO_SMALL || len <= capacity || len > (1u << 20))
      throw Error(Status::host_failure, "key storage failed reading '" + std::string(path) + "'");
    capacity = len;
  }
  throw Error(Status::host_failure, "key storage kept changing size of '" + std::string(path) + "'");
}

int64_t HostServices::now_unix_ms() const {
  if (RDWH_HAS_FIELD(&host_, rdwh_host_t, now_unix_ms) && host_.now_unix_ms) return host_.now_unix_ms(host_ptr_);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const rdwh_host_diagnostics_t *HostServices::diagnostics() const {
  if (!RDWH_HAS_FIELD(&host_, rdwh_host_t, get_extension) || !host_.get_extension) return nullptr;
  const auto *table = static_cast<const rdwh_host_diagnostics_t *>(host_.get_extension(host_ptr_, RDWH_EXT_HOST_DIAGNOSTICS));
  if (!table || table->struct_size < sizeof(uint32_t) * 2 + sizeof(table->report) || !table->report) return nullptr;
  return table;
}

bool HostServices::report(const Diagnostic &d) const {
  const rdwh_host_diagnostics_t *table = diagnostics();
  if (!table) return false;
  rdwh_diagnostic_t out{sizeof(rdwh_diagnostic_t), static_cast<rdwh_diagnostic_kind>(d.kind), str(d.field), str(d.rule),
                        str(d.message), str(d.suggestion)};
  table->report(host_ptr_, &out);
  return true;
}

bool HostServices::wants_lint() const {
  const rdwh_host_diagnostics_t *table = diagnostics();
  return table && (table->flags & RDWH_DIAGNOSTICS_LINT);
}

} // namespace rdwh::abi
