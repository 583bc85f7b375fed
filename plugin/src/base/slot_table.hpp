// What a config compiler interns: each distinct compiled thing (a JsonPath, a value) kept once
// with a slot number, so that rules share it and a delivery can keep one result per slot.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace rdwh {

template <class T> class SlotTable {
public:
  // What was kept under `key` and `same(kept)` accepts; nullptr when nothing was.
  template <class Same> const T *find(std::string_view key, Same same) const {
    auto [it, end] = kept_.equal_range(key);
    for (; it != end; ++it)
      if (same(it->second)) return &it->second;
    return nullptr;
  }
  // The slot of the next thing kept.
  std::uint32_t next_slot() const noexcept { return slots_; }
  // Keeps `thing` under `key`, a view into `thing` itself (a key-storage text is never copied
  // into a key), and counts its slot.
  void keep(std::string_view key, const T &thing) {
    kept_.emplace(key, thing);
    ++slots_;
  }
  // Slots given: every slot is below this.
  std::uint32_t size() const noexcept { return slots_; }

private:
  std::unordered_multimap<std::string_view, T> kept_;
  std::uint32_t slots_ = 0;
};

} // namespace rdwh
