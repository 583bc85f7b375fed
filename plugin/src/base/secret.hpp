// Bytes from key storage. Every key-storage value lives in a Secret from the moment it is read
// until it is destroyed: the bytes are wiped (OPENSSL_cleanse) when destroyed, moved from,
// replaced, or when growing moves them to a larger buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rdwh {

class Secret {
public:
  Secret() = default;
  explicit Secret(std::string_view bytes) { append(bytes); }
  Secret(Secret &&other) noexcept;
  Secret &operator=(Secret &&other) noexcept;
  Secret(const Secret &) = delete;
  Secret &operator=(const Secret &) = delete;
  ~Secret() { wipe(); }

  // Appends; when the buffer must grow, the old one is wiped before it is freed.
  void append(std::string_view bytes);
  // Room for `size` bytes, zero-filled, to be written in place (e.g. by the host's get_secret).
  char *resize_for_write(std::size_t size);
  void truncate(std::size_t size);
  void wipe() noexcept;

  std::string_view view() const noexcept { return bytes_; }
  operator std::string_view() const noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_.empty(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  friend bool operator==(const Secret &a, std::string_view b) noexcept { return a.view() == b; }

private:
  std::string bytes_;
};

} // namespace rdwh
