#include "base/secret.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace rdwh {

Secret::Secret(Secret &&other) noexcept : bytes_(std::move(other.bytes_)) {
  other.wipe(); // a short string is copied by the move, not stolen: its bytes stay behind
}

Secret &Secret::operator=(Secret &&other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

void Secret::append(std::string_view bytes) {
  if (bytes_.size() + bytes.size() > bytes_.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(bytes_.capacity() * 2, bytes_.size() + bytes.size()));
    bigger.append(bytes_);
    wipe();
    bytes_.swap(bigger);
  }
  bytes_.append(bytes);
}

char *Secret::resize_for_write(std::size_t size) {
  wipe();
  Secret fresh;
  fresh.bytes_.assign(size, '\0');
  *this = std::move(fresh);
  return bytes_.data();
}

void Secret::truncate(std::size_t size) {
  if (size >= bytes_.size()) return;
  OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
  bytes_.resize(size);
}

void Secret::wipe() noexcept {
  // The whole capacity: a shorter string may have left secret bytes past size().
  if (bytes_.capacity() > 0) OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
  bytes_.clear();
}

} // namespace rdwh
