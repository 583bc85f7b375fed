// PagerDuty V3 signatures: X-PagerDuty-Signature holds one or more comma-separated `v1=<hex>`
// entries (several while a secret rotates), each the HMAC-SHA256 of the raw body keyed with a
// subscription secret's bytes. A delivery is authentic when any entry matches any secret.
#pragma once

#include "core/services.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct evp_mac_ctx_st; // OpenSSL's EVP_MAC_CTX, kept out of this header

namespace rdwh::crypto {

using Digest = std::array<unsigned char, 32>;

// HMAC-SHA256 of `data` keyed with `key` (one-shot: for tools and tests).
Digest hmac_sha256(std::string_view key, std::string_view data);

// An HMAC-SHA256 key set up once (OpenSSL's key schedule done, algorithm fetched), so signing a
// body costs a context copy and the hashing only. sign() is const and safe from many threads.
// The key bytes live inside OpenSSL's context, which wipes them when freed.
class HmacKey {
public:
  explicit HmacKey(std::string_view key);
  HmacKey(HmacKey &&other) noexcept;
  HmacKey &operator=(HmacKey &&other) noexcept;
  HmacKey(const HmacKey &) = delete;
  HmacKey &operator=(const HmacKey &) = delete;
  ~HmacKey();
  Digest sign(std::string_view data) const;

private:
  ::evp_mac_ctx_st *ctx_ = nullptr;
};
// Lowercase hex of a digest.
std::string to_hex(const Digest &digest);

enum class SignatureCheck {
  valid,
  missing,   // no header
  malformed, // a header without any well-formed v1 entry
  mismatch,  // well-formed, but no entry matches any secret
};

// Parses the header value(s): every `v1=<64 hex digits>` entry, spaces around entries ignored,
// other versions and malformed entries skipped. At most `max_entries` are read.
std::vector<Digest> parse_signature_header(std::string_view header, std::size_t max_entries = 16);

// Checks `headers` (every value of X-PagerDuty-Signature, in order) against `keys`, comparing
// in constant time.
SignatureCheck verify_pagerduty_signature(const std::vector<std::string_view> &headers, std::string_view body,
                                          const std::vector<HmacKey> &keys);

// Splits a key-storage value into secrets: one per line, surrounding white space and empty lines
// dropped (a key may hold the old and the new secret during rotation).
std::vector<SecretBytes> split_secrets(std::string_view stored);

} // namespace rdwh::crypto
