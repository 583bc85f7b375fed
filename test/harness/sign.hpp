// What the harness computes itself (it links nothing of the plugin): PagerDuty V3 signing, as the
// sender does it, and the --now clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::harness {

// "v1=" + lowercase hex HMAC-SHA256 of the raw body, keyed with the secret string's bytes. Used
// by `rdwh-host sign` and `rdwh-host send`.
std::string pagerduty_signature(std::string_view secret, std::string_view body);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// --now: epoch milliseconds, or an ISO-8601 date-time YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
// (UTC without an offset). nullopt for anything else.
std::optional<int64_t> parse_clock(std::string_view text);

} // namespace rdwh::harness
