#include "crypto/signature.hpp"

#include "core/error.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <memory>
#include <utility>

namespace rdwh::crypto {

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  static const unsigned char empty = 0;
  const unsigned char *d = data.empty() ? &empty : reinterpret_cast<const unsigned char *>(data.data());
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), d, data.size(), out.data(), &len) ||
      len != out.size()) {
    ERR_clear_error(); // leave the host's OpenSSL error queue as we found it
    throw Error(Status::internal, "HMAC-SHA256 failed");
  }
  return out;
}

namespace {
[[noreturn]] void openssl_failed(const char *what) {
  ERR_clear_error(); // leave the host's OpenSSL error queue as we found it
  throw Error(Status::internal, what);
}
} // namespace

HmacKey::HmacKey(std::string_view key) {
  EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!mac) openssl_failed("OpenSSL has no HMAC");
  ctx_ = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac); // the context holds its own reference
  if (!ctx_) openssl_failed("cannot allocate an HMAC context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (!EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char *>(key.data()), key.size(), params)) {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    openssl_failed("cannot key HMAC-SHA256");
  }
}

HmacKey::HmacKey(HmacKey &&other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

HmacKey &HmacKey::operator=(HmacKey &&other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

HmacKey::~HmacKey() { EVP_MAC_CTX_free(ctx_); }

Digest HmacKey::sign(std::string_view data) const {
  // The keyed context is never changed: each call works on a copy of it.
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_dup(ctx_), &EVP_MAC_CTX_free);
  Digest out{};
  size_t len = 0;
  if (!ctx || !EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char *>(data.data()), data.size()) ||
      !EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) || len != out.size())
    openssl_failed("HMAC-SHA256 failed");
  return out;
}

std::string to_hex(const Digest &digest) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode_hex(std::string_view hex, Digest &out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

} // namespace

std::vector<Digest> parse_signature_header(std::string_view header, std::size_t max_entries) {
  std::vector<Digest> out;
  std::size_t start = 0;
  while (start <= header.size() && out.size() < max_entries) {
    std::size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view entry = trim(header.substr(start, end - start));
    Digest d;
    if (entry.size() > 3 && entry.substr(0, 3) == "v1=" && decode_hex(entry.substr(3), d)) out.push_back(d);
    start = end + 1;
  }
  return out;
}

SignatureCheck verify_pagerduty_signature(const std::vector<std::string_view> &headers, std::string_view body,
                                          const std::vector<HmacKey> &keys) {
  if (headers.empty()) return SignatureCheck::missing;
  std::vector<Digest> given;
  for (std::string_view h : headers) {
    auto entries = parse_signature_header(h);
    given.insert(given.end(), entries.begin(), entries.end());
  }
  if (given.empty()) return SignatureCheck::malformed;
  // Every comparison is made, so the time taken does not tell which entry or secret matched.
  unsigned char matched = 0;
  for (const HmacKey &key : keys) {
    Digest expected = key.sign(body);
    for (const Digest &d : given) matched |= static_cast<unsigned char>(CRYPTO_memcmp(expected.data(), d.data(), d.size()) == 0);
    OPENSSL_cleanse(expected.data(), expected.size());
  }
  return matched ? SignatureCheck::valid : SignatureCheck::mismatch;
}

std::vector<SecretBytes> split_secrets(std::string_view stored) {
  std::vector<SecretBytes> out;
  std::size_t start = 0;
  while (start < stored.size()) {
    std::size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) end = stored.size();
    std::string_view line = stored.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) out.emplace_back(line);
    start = end + 1;
  }
  return out;
}

} // namespace rdwh::crypto
