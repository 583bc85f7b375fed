// Runs one benchmark case N times, for a profiler: perf record, or callgrind, whose instruction
// counts repeat on a noisy machine. Setup (create, first call) runs uninstrumented when run under
// `valgrind --tool=callgrind --instr-atstart=no`.
//
//   rdwh_profile CASE [N]
//   CASE: v3:RULES[:nomatch|:distinct][:explain] | v3:sig-bad | v2:MESSAGES:RULES | floor:v3 | floor:v2:MESSAGES
//         (a floor parses with the default flags; floor:v3:plugin-flags, floor:v2:10:plugin-flags as the plugin;
//         floor:v3:fast is the goals' floor: keyed HMAC context, in-place SSE2 parse, pooled allocator)
//
//   valgrind --tool=callgrind --instr-atstart=no build/bench/bin/rdwh_profile v3:10 2000
//   callgrind_annotate --inclusive=yes callgrind.out.<pid>
#include "bench_support.hpp"
#include "fast_floor.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rdwh_bench;

std::vector<std::string> split(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ':');) out.push_back(part);
  return out;
}

constexpr unsigned kPluginParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                       rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseFullPrecisionFlag;

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) die("usage: rdwh_profile CASE [N]   (see the source for the cases)");
  const std::vector<std::string> c = split(argv[1]);
  const long n = argc > 2 ? std::atol(argv[2]) : 10000;
  if (c.size() < 2) die("bad case");

  if (c[0] == "floor" && c.back() == "fast") {
    const std::string body = v3_body();
    FastFloor fast(secret());
    if (!fast.both(body)) die("the fast floor fails on the body");
    CALLGRIND_START_INSTRUMENTATION;
    for (long i = 0; i < n; ++i) fast.both(body);
    CALLGRIND_STOP_INSTRUMENTATION;
    std::printf("%s: %ld calls, %zu bytes\n", argv[1], n, body.size());
    return 0;
  }
  if (c[0] == "floor") {
    const bool plugin_flags = c.back() == "plugin-flags";
    const std::string body = c[1] == "v3" ? v3_body() : v2_body(c.size() > 2 ? std::atoi(c[2].c_str()) : 10);
    const std::string &key = secret();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    CALLGRIND_START_INSTRUMENTATION;
    for (long i = 0; i < n; ++i) {
      rapidjson::Document doc;
      if (plugin_flags) doc.Parse<kPluginParseFlags>(body.data(), body.size());
      else doc.Parse(body.data(), body.size()); // the floor: default flags
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(body.data()),
           body.size(), md, &len);
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    std::printf("%s: %ld calls, %zu bytes\n", argv[1], n, body.size());
    return 0;
  }

  rdwh_handler_t *h = nullptr;
  std::unique_ptr<Request> r;
  if (c[0] == "v3") {
    RuleSet set = RuleSet::realistic;
    bool explain = false;
    for (std::size_t i = 2; i < c.size(); ++i) {
      if (c[i] == "nomatch") set = RuleSet::nomatch;
      if (c[i] == "distinct") set = RuleSet::distinct;
      explain |= c[i] == "explain";
    }
    const std::string body = v3_body();
    if (c[1] == "sig-bad") {
      h = create_handler("pagerduty-V3-run-job", config(kV3, 10));
      r = std::make_unique<Request>(body, v3_headers("v1=" + std::string(64, '0')));
    } else {
      h = create_handler("pagerduty-V3-run-job", config(kV3, std::atoi(c[1].c_str()), set));
      r = std::make_unique<Request>(body, v3_signed_headers(body), explain ? static_cast<uint32_t>(RDWH_REQUEST_EXPLAIN) : 0u);
    }
  } else if (c[0] == "v2" && c.size() == 3) {
    h = create_handler("pagerduty-run-job", config(kV2, std::atoi(c[2].c_str())));
    r = std::make_unique<Request>(v2_body(std::atoi(c[1].c_str())), v2_headers());
  } else {
    die("bad case");
  }

  const rdwh_plugin_entry_t &e = *Module::instance().entry;
  const rdwh_result_t *result = nullptr;
  e.handle(h, &r->req, &result, nullptr); // first call outside the profile
  const int status = result->http_status;
  const std::size_t jobs = result->job_count;
  e.release_result(h, result);

  CALLGRIND_START_INSTRUMENTATION;
  for (long i = 0; i < n; ++i) {
    e.handle(h, &r->req, &result, nullptr);
    e.release_result(h, result);
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  std::printf("%s: %ld calls, status %d, %zu jobs, %zu bytes\n", argv[1], n, status, jobs, r->body.size());
  e.destroy(h);
  return 0;
}
