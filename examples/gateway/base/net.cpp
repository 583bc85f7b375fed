#include "base/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace rdwh::gateway {

namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}; // ::ffff:a.b.c.d

bool bits_past_prefix(const IpAddress &ip, int prefix) {
  const int total = ip.v6 ? 128 : 32;
  for (int bit = prefix; bit < total; ++bit)
    if (ip.bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
  return false;
}

} // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(ip.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
    return v4;
  }
  ip.v6 = true;
  return ip;
}

std::string to_string(const IpAddress &ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpRange::contains(const IpAddress &ip) const {
  if (ip.v6 != base.v6) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((ip.bytes[bit / 8] & mask) != (base.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<IpRange> parse_ip_range(std::string_view text, std::string &why) {
  const size_t slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) {
    why = "not a numeric IPv4 or IPv6 address";
    return std::nullopt;
  }
  const int max = ip->v6 ? 128 : 32;
  IpRange range{*ip, max};
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), range.prefix);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || range.prefix < 0 ||
        range.prefix > max) {
      why = "the prefix length must be a number from 0 to " + std::to_string(max);
      return std::nullopt;
    }
  }
  if (bits_past_prefix(range.base, range.prefix)) {
    why = "the address has bits set past the prefix length /" + std::to_string(range.prefix);
    return std::nullopt;
  }
  return range;
}

} // namespace rdwh::gateway
