// Memory of the plugin through its real C ABI:
//  1. what a handler with 1,000 or 10,000 rules keeps: resident size (VmRSS) and heap in use (mallinfo2)
//     before and after create(), and what destroy() gives back;
//  2. no growth over many deliveries: N handles of the signed V3 delivery (10 rules), resident size
//     and heap in use at N/10 and N (default N = 1,000,000); the same for the V2 delivery of 10
//     messages over N/10 handles.
// Usage: rdwh_memcheck [N]. Exits 1 when a check fails.
#include "bench_support.hpp"

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace rdwh_bench;

long heap_kib() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<long>((mi.uordblks + mi.hblkhd) / 1024);
}

struct Snapshot {
  long rss = rss_kib();
  long heap = heap_kib();
};

bool handle_once(rdwh_handler_t *h, const Request &r, int expected_status) {
  const rdwh_plugin_entry_t &e = *Module::instance().entry;
  const rdwh_result_t *result = nullptr;
  if (e.handle(h, &r.req, &result, nullptr) != RDWH_STATUS_OK) return false;
  bool ok = result->http_status == expected_status;
  e.release_result(h, result);
  return ok;
}

// Runs `total` handles; returns false when the resident size grew by more than `slack_kib`
// between total/10 and total handles.
bool soak(const char *label, rdwh_handler_t *h, const Request &r, long total) {
  const long checkpoint = total / 10;
  Snapshot at_checkpoint;
  auto start = std::chrono::steady_clock::now();
  for (long i = 1; i <= total; ++i) {
    if (!handle_once(h, r, 200)) {
      std::printf("| %s | handle %ld failed | | | | **failed** |\n", label, i);
      return false;
    }
    if (i == checkpoint) at_checkpoint = Snapshot{};
  }
  Snapshot end;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long slack_kib = 256; // allocator page noise; a leak of even 1 byte per call over 900k calls is more
  bool ok = end.rss - at_checkpoint.rss <= slack_kib && end.heap - at_checkpoint.heap <= slack_kib;
  std::printf("| %s | %ld | %ld KiB / %ld KiB | %ld KiB / %ld KiB | %+ld KiB / %+ld KiB | %s (%.1f s, %.1f µs/call) |\n",
              label, total, at_checkpoint.rss, at_checkpoint.heap, end.rss, end.heap, end.rss - at_checkpoint.rss,
              end.heap - at_checkpoint.heap, ok ? "no growth" : "**grows**", secs, secs * 1e6 / static_cast<double>(total));
  return ok;
}

// What a handler of `rules` rules keeps after create(), and that destroy() gives it back.
bool handler_memory(const char *label, const std::string &text, int rules) {
  malloc_trim(0);
  Snapshot before;
  rdwh_handler_t *h = create_handler("pagerduty-V3-run-job", text);
  Snapshot after;
  Request r(v3_body(), v3_signed_headers(v3_body()));
  if (!handle_once(h, r, 200)) die(std::string(label) + ": the handler failed a delivery");
  Module::instance().entry->destroy(h);
  malloc_trim(0);
  Snapshot destroyed;
  std::printf("| %s | %zu KiB | %ld -> %ld KiB (**%+ld KiB**) | %ld -> %ld KiB (**%+ld KiB**) | %.2f KiB heap | "
              "RSS %ld KiB, heap %ld KiB (%+ld KiB vs before) |\n",
              label, text.size() / 1024, before.rss, after.rss, after.rss - before.rss, before.heap, after.heap,
              after.heap - before.heap, static_cast<double>(after.heap - before.heap) / rules, destroyed.rss,
              destroyed.heap, destroyed.heap - before.heap);
  if (destroyed.heap - before.heap <= 64) return true;
  std::printf("\n**destroy() did not give back the handler's heap**\n");
  return false;
}

} // namespace

int main(int argc, char **argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  if (n < 10) die("N must be at least 10");
  bool ok = true;
  const char *V3 = "pagerduty-V3-run-job";

  // Warm up what a first call initialises once (module statics, OpenSSL's digest tables).
  Module::instance();
  {
    rdwh_handler_t *h = create_handler(V3, config(kV3, 1));
    Request r(v3_body(), v3_signed_headers(v3_body()));
    handle_once(h, r, 200);
    Module::instance().entry->destroy(h);
  }

  // ---- 1. Handlers of 1,000 and 10,000 rules
  std::printf("## Handler memory\n\n| handler | config text | RSS before -> after create | heap in use before -> "
              "after create | per rule | after destroy |\n|---|---:|---|---|---:|---|\n");
  ok &= handler_memory("V3, 1,000 rules", config(kV3, 1000), 1000);
  ok &= handler_memory("V3, 10,000 rules", config(kV3, 10000), 10000);
  ok &= handler_memory("V3, 10,000 rules, each with paths of its own", config(kV3, 10000, RuleSet::distinct), 10000);
  Request r3(v3_body(), v3_signed_headers(v3_body()));

  // ---- 2. No growth over many deliveries
  std::printf("\n## Growth over many deliveries\n\n| delivery | handles | RSS / heap at 1/10 | RSS / heap at end | growth "
              "| verdict |\n|---|---:|---|---|---|---|\n");
  rdwh_handler_t *h = create_handler(V3, config(kV3, 10));
  ok &= soak("V3 signed, 10 rules", h, r3, n);
  Module::instance().entry->destroy(h);

  h = create_handler("pagerduty-run-job", config(kV2, 10));
  Request r2(v2_body(10), v2_headers());
  ok &= soak("V2, 10 messages, 10 rules", h, r2, n / 10);
  Module::instance().entry->destroy(h);

  // ---- 3. Explained deliveries (the result carries the explanation) must not grow either.
  h = create_handler(V3, config(kV3, 10));
  Request rx(v3_body(), v3_signed_headers(v3_body()), RDWH_REQUEST_EXPLAIN);
  ok &= soak("V3 signed, 10 rules, explained", h, rx, n / 10);
  Module::instance().entry->destroy(h);
  return ok ? 0 : 1;
}
