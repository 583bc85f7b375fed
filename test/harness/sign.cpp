#include "sign.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace rdwh::harness {

namespace {

std::string to_hex(const unsigned char *bytes, unsigned int len) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

const unsigned char *bytes_of(std::string_view s) {
  static const unsigned char empty = 0;
  return s.empty() ? &empty : reinterpret_cast<const unsigned char *>(s.data());
}

} // namespace

std::string pagerduty_signature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), bytes_of(body), body.size(), mac, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return "v1=" + to_hex(mac, len);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(bytes_of(data), data.size(), digest, &len, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  return to_hex(digest, len);
}

std::optional<int64_t> parse_clock(std::string_view text) {
  int64_t ms = 0;
  if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
      ec == std::errc() && end == text.data() + text.size())
    return ms;
  std::tm tm{};
  int millis = 0, consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  if (rest.size() >= 4 && rest[0] == '.') {
    if (std::sscanf(s.c_str() + consumed, ".%3d", &millis) != 1) return std::nullopt;
    rest.remove_prefix(4);
  }
  int offset_minutes = 0;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    int hours = 0, minutes = 0;
    if (rest.size() != 6 || std::sscanf(std::string(rest).c_str() + 1, "%2d:%2d", &hours, &minutes) != 2)
      return std::nullopt;
    offset_minutes = (rest[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  } else if (!rest.empty() && rest != "Z") {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t seconds = timegm(&tm);
  return (static_cast<int64_t>(seconds) - offset_minutes * 60) * 1000 + millis;
}

} // namespace rdwh::harness
