// IP addresses and ranges (CIDR): which peers are trusted proxies, and who the client behind them is.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{}; // IPv4: the first 4
  bool operator==(const IpAddress &) const = default;
};

// A numeric IPv4 or IPv6 address ("192.0.2.1", "2001:db8::1", "[2001:db8::1]"); an IPv4-mapped
// IPv6 address ("::ffff:192.0.2.1", what a dual-stack socket reports) reads as the IPv4 one.
std::optional<IpAddress> parse_ip(std::string_view text);
// The address's usual text ("192.0.2.1", "2001:db8::1").
std::string to_string(const IpAddress &ip);

struct IpRange {
  IpAddress base; // its bits past `prefix` are zero
  int prefix = 0; // 0..32 (IPv4) or 0..128 (IPv6)
  bool contains(const IpAddress &ip) const;
};

// "10.0.0.0/8", "2001:db8::/32", or one address ("127.0.0.1": /32, "::1": /128). nullopt with
// `why` when malformed, or when the address has bits set past the prefix ("10.0.0.1/8").
std::optional<IpRange> parse_ip_range(std::string_view text, std::string &why);

} // namespace rdwh::gateway
