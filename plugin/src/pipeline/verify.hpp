// Stage 2: PagerDuty V3 signatures, checked over the raw bytes before anything parses them.
// X-PagerDuty-Signature holds one or more comma-separated `v1=<hex>` entries (several while a
// secret rotates), each the HMAC-SHA256 of the raw body keyed with a subscription secret's bytes.
// A delivery is authentic when any entry matches any secret.
#pragma once

#include "base/reject.hpp"
#include "base/secret.hpp"
#include "pipeline/delivery.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

struct evp_mac_ctx_st; // OpenSSL's EVP_MAC_CTX, kept out of this header

namespace rdwh::pipeline {

using Digest = std::array<unsigned char, 32>;

// An HMAC-SHA256 key set up once at config time (OpenSSL's key schedule done, algorithm fetched),
// so signing a body costs a context copy and the hashing only. sign() is const and safe from many
// threads. The key bytes live inside OpenSSL's context, which wipes them when freed.
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

// Lowercase hex of a digest, as the header carries it.
std::string to_hex(const Digest &digest);

// Splits a key-storage value into secrets: one per line, surrounding white space and empty lines
// dropped (a key may hold the old and the new secret during rotation).
std::vector<Secret> split_secrets(std::string_view stored);

// Parses the header value(s): every `v1=<64 hex digits>` entry, spaces around entries ignored,
// other versions and malformed entries skipped. At most `max_entries` are read.
std::vector<Digest> parse_signature_header(std::string_view header, std::size_t max_entries = 16);

// Refuses the delivery unless some X-PagerDuty-Signature entry matches some key (compared in
// constant time): 400 without a usable header or with an empty body, 403 when nothing matches.
Checked<void> verify_signature(const Delivery &delivery, const std::vector<HmacKey> &keys);

} // namespace rdwh::pipeline
