// Process-wide heap allocation counter (see alloc_counter.cpp).
#pragma once

#include <cstdint>

namespace rdwh_bench {
// Calls of malloc, calloc, realloc and the aligned allocators so far, and the bytes they asked for.
std::uint64_t allocations() noexcept;
std::uint64_t allocated_bytes() noexcept;
} // namespace rdwh_bench
