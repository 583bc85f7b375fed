// Lint of a compiled config against its provider's payloads (PayloadShape), for hosts that ask
// (rdwh.host.diagnostics/1 with RDWH_DIAGNOSTICS_LINT; `rdwh-host lint`): paths no payload of the
// provider has, with a "did you mean", and rules that can never match. Static: no delivery needed.
#pragma once

#include "base/services.hpp"
#include "providers/providers.hpp"
#include "rules/config.hpp"

#include <vector>

namespace rdwh::providers {

// Appends what it finds to `out`; nothing for a provider without a payload shape, or a config
// whose batch key is not the provider's own (its events are then something else).
void lint(const ProviderSpec &provider, const rules::Config &config, std::vector<Diagnostic> &out);

} // namespace rdwh::providers
