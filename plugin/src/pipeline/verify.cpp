#include "pipeline/verify.hpp"

#include "base/error.hpp"
#include "base/text.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <utility>

namespace rdwh::pipeline {
namespace {

[[noreturn]] void openssl_failed(const char *what) {
  ERR_clear_error(); // leave the host's OpenSSL error queue as we found it
  throw Error(Status::internal, what);
}

bool decode_hex(std::string_view hex, Digest &out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = text::hex_digit_value(hex[2 * i]), lo = text::hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

// Every entry of every header, in order.
std::vector<Digest> signatures_of(const std::vector<std::string_view> &headers) {
  std::vector<Digest> given;
  for (std::string_view header : headers) {
    auto entries = parse_signature_header(header);
    given.insert(given.end(), entries.begin(), entries.end());
  }
  return given;
}

// Every comparison is made, so the time taken does not tell which entry or secret matched.
bool any_matches(const std::vector<Digest> &given, std::string_view body, const std::vector<HmacKey> &keys) {
  unsigned char matched = 0;
  for (const HmacKey &key : keys) {
    Digest expected = key.sign(body);
    for (const Digest &d : given)
      matched |= static_cast<unsigned char>(CRYPTO_memcmp(expected.data(), d.data(), d.size()) == 0);
    OPENSSL_cleanse(expected.data(), expected.size());
  }
  return matched != 0;
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
  return text::to_hex({reinterpret_cast<const char *>(digest.data()), digest.size()});
}

std::vector<Secret> split_secrets(std::string_view stored) {
  std::vector<Secret> out;
  std::size_t start = 0;
  while (start < stored.size()) {
    std::size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) end = stored.size();
    const std::string_view line = text::trim(stored.substr(start, end - start));
    if (!line.empty()) out.emplace_back(line);
    start = end + 1;
  }
  return out;
}

std::vector<Digest> parse_signature_header(std::string_view header, std::size_t max_entries) {
  std::vector<Digest> out;
  std::size_t start = 0;
  while (start <= header.size() && out.size() < max_entries) {
    std::size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    const std::string_view entry = text::trim(header.substr(start, end - start));
    Digest d;
    if (entry.size() > 3 && entry.substr(0, 3) == "v1=" && decode_hex(entry.substr(3), d)) out.push_back(d);
    start = end + 1;
  }
  return out;
}

Checked<void> verify_signature(const Delivery &delivery, const std::vector<HmacKey> &keys) {
  const std::vector<std::string_view> headers = delivery.header_values("X-PagerDuty-Signature");
  if (delivery.body.empty()) return Rejection{Verdict::malformed, 400, "empty request body"};
  if (headers.empty()) return Rejection{Verdict::signature_missing, 400, "missing X-PagerDuty-Signature header"};
  const std::vector<Digest> given = signatures_of(headers);
  if (given.empty())
    return Rejection{Verdict::signature_missing, 400, "malformed X-PagerDuty-Signature header: no v1=<hex> signature"};
  if (!any_matches(given, delivery.body, keys))
    return Rejection{Verdict::signature_invalid, 403,
                     "invalid signature: no X-PagerDuty-Signature entry matches the shared secret"};
  return {};
}

} // namespace rdwh::pipeline
