// Every string one delivery produces (event ids, job ids, option values...) is appended to one
// buffer and referred to by offset and size, so a fired job costs no allocation of its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rdwh::pipeline {

struct Text {
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Strings {
  std::string buffer;

  std::string_view operator[](Text t) const noexcept { return std::string_view(buffer).substr(t.offset, t.size); }
  // What was appended since `start` (a buffer.size() taken before).
  Text since(std::size_t start) const noexcept {
    return Text{static_cast<uint32_t>(start), static_cast<uint32_t>(buffer.size() - start)};
  }
};

} // namespace rdwh::pipeline
