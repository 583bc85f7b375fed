#include "core/services.hpp"

#include <openssl/crypto.h>

namespace rdwh {

SecretBytes &SecretBytes::operator=(SecretBytes &&other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

void SecretBytes::wipe() noexcept {
  // Wipe the whole capacity: a shorter string may have left secret bytes past size().
  if (bytes_.capacity() > 0) OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
  bytes_.clear();
}

} // namespace rdwh
