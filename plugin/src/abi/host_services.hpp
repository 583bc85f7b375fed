// The host's rdwh_host_t as the plugin's Services.
#pragma once

#include "abi/convert.hpp"

namespace rdwh::abi {

// The host's table, copied as far as the host's struct_size reaches; missing slots stay NULL
// (a 1.0 host's table ends before get_extension).
class HostServices final : public Services {
public:
  explicit HostServices(const rdwh_host_t *host) noexcept;

  void log(LogLevel level, std::string_view message) const override;
  std::optional<Secret> secret(std::string_view path) const override;
  int64_t now_unix_ms() const override;
  bool report(const Diagnostic &diagnostic) const override;
  bool wants_lint() const override;

private:
  // The host's rdwh.host.diagnostics/1 table, or nullptr (asked each time: it is valid during create()).
  const rdwh_host_diagnostics_t *diagnostics() const;

  rdwh_host_t host_{};
  const rdwh_host_t *host_ptr_; // passed back to the host, as it expects its own pointer
};

} // namespace rdwh::abi
