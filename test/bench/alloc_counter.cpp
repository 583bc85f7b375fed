// Counts heap allocations of the whole process, the dlopen()ed plugin, OpenSSL and RapidJSON
// included: the executable defines malloc & co. (exported, so the module and the shared
// libraries bind to them: glibc's documented "replacing malloc") and forwards to glibc's own.
// The cost is one relaxed atomic increment per call.
#include "alloc_counter.hpp"

#include <atomic>
#include <cstddef>

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_bytes{0};

inline void count(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(n, std::memory_order_relaxed);
}
} // namespace

namespace rdwh_bench {
std::uint64_t allocations() noexcept { return g_allocs.load(std::memory_order_relaxed); }
std::uint64_t allocated_bytes() noexcept { return g_bytes.load(std::memory_order_relaxed); }
} // namespace rdwh_bench

extern "C" {

__attribute__((visibility("default"))) void *malloc(size_t n) {
  count(n);
  return __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n) {
  count(n);
  return __libc_realloc(p, n);
}

__attribute__((visibility("default"))) void free(void *p) { __libc_free(p); }

__attribute__((visibility("default"))) void *memalign(size_t alignment, size_t n) {
  count(n);
  return __libc_memalign(alignment, n);
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t alignment, size_t n) {
  count(n);
  return __libc_memalign(alignment, n);
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t alignment, size_t n) {
  count(n);
  void *p = __libc_memalign(alignment, n);
  if (!p) return 12; // ENOMEM
  *out = p;
  return 0;
}

} // extern "C"
