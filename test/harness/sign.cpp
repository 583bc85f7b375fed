#include "sign.hpp"

#include "crypto/signature.hpp"

namespace rdwh::harness {

std::string pagerduty_signature(std::string_view secret, std::string_view body) {
  return "v1=" + crypto::to_hex(crypto::hmac_sha256(secret, body));
}

} // namespace rdwh::harness
