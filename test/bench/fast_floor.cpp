// RapidJSON's SSE2 scans for this file only, as plugin/src/json/parse.cpp has them: the parse here
// is in place in a padded copy, so their aligned 16-byte reads stay inside it.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include "fast_floor.hpp"

#include "json/rapidjson.hpp" // the plugin's RapidJSON settings (header only)

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <vector>

namespace rdwh_bench {

struct FastFloor::Impl {
  EVP_MAC *mac = nullptr;
  EVP_MAC_CTX *keyed = nullptr;
  // The pool's first block and the parser's stack: allocated once, reused by every call, so a
  // body the size of a PagerDuty delivery is parsed without a malloc.
  std::vector<char> pool_block = std::vector<char>(256 * 1024);
  std::vector<char> pool_stack = std::vector<char>(16 * 1024);
};

FastFloor::FastFloor(const std::string &key) : impl_(new Impl) {
  impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  impl_->keyed = EVP_MAC_CTX_new(impl_->mac);
  EVP_MAC_init(impl_->keyed, reinterpret_cast<const unsigned char *>(key.data()), key.size(), params);
}

FastFloor::~FastFloor() {
  EVP_MAC_CTX_free(impl_->keyed);
  EVP_MAC_free(impl_->mac);
  delete impl_;
}

bool FastFloor::hmac(const std::string &body) {
  EVP_MAC_CTX *c = EVP_MAC_CTX_dup(impl_->keyed);
  unsigned char md[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  const bool ok = c && EVP_MAC_update(c, reinterpret_cast<const unsigned char *>(body.data()), body.size()) &&
                  EVP_MAC_final(c, md, &len, sizeof md);
  EVP_MAC_CTX_free(c);
  asm volatile("" : : "r"(md) : "memory"); // the digest is used
  return ok;
}

bool FastFloor::parse(const std::string &body) {
  // A fresh pool over the reused block per call (nothing to free), the parser's stack likewise.
  rapidjson::MemoryPoolAllocator<> pool(impl_->pool_block.data(), impl_->pool_block.size());
  rapidjson::MemoryPoolAllocator<> stack(impl_->pool_stack.data(), impl_->pool_stack.size());
  using Pool = rapidjson::MemoryPoolAllocator<>;
  rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool> doc(&pool, 1024, &stack);
  constexpr std::size_t padding = 32; // NUL and zeros for the SSE2 scans' aligned reads
  char *copy = static_cast<char *>(pool.Malloc(body.size() + padding));
  std::memcpy(copy, body.data(), body.size());
  std::memset(copy + body.size(), 0, padding);
  doc.ParseInsitu(copy);
  asm volatile("" : : "r"(&doc) : "memory");
  return !doc.HasParseError() && doc.IsObject();
}

} // namespace rdwh_bench
