// Helpers shared by the fuzz targets. Every target is a plain LLVMFuzzerTestOneInput: with clang
// it links libFuzzer (-fsanitize=fuzzer); with any other compiler it links replay_main.cpp, which
// runs the target once on each file it is given (the corpus and regression replay tests).
//
// Conventions: a target that finds a bug aborts (fuzz_check) or lets the sanitizer report it.
// An exception that the code under test documents (SyntaxError, ConfigError, a limit's Error) is
// an expected outcome; any other exception escaping a target is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) ::rdwh::fuzz::fail(#cond, __FILE__, __LINE__);                                    \
  } while (0)

namespace rdwh::fuzz {

[[noreturn]] inline void fail(const char *what, const char *file, int line) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", what, file, line);
  std::abort();
}

inline std::string_view as_view(const uint8_t *data, std::size_t size) {
  return size ? std::string_view(reinterpret_cast<const char *>(data), size) : std::string_view();
}

// Splits at the first '\n': (first line, the rest). Without a newline the whole input is the
// first part and the rest is empty.
inline std::pair<std::string_view, std::string_view> split_line(std::string_view in) {
  std::size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return {in, {}};
  return {in.substr(0, nl), in.substr(nl + 1)};
}

// A small PagerDuty V3 document used when the input brings no parseable document of its own, so
// that path and template fuzzing always has something to walk.
inline constexpr std::string_view fallback_document = R"({"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK",
"event_type":"incident.triggered","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z",
"agent":{"id":"PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,
"data":{"id":"PGR0VU2","type":"incident","number":2,"status":"triggered","title":"A little bump",
"service":{"id":"PF9KMXH","summary":"API Service"},"assignees":[{"id":"PTUXL6G","summary":"User 123"}],
"teams":[{"id":"PFCVPS0","summary":"Engineering"},{"id":"P2","summary":"DBA"}],
"priority":{"id":"PSO75BM","summary":"P1"},"urgency":"high","tags":["db","api",1,2.5,true,null],
"conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},
"big":18446744073709551615,"neg":-9223372036854775808,"dec":1.0E20,"nul":"a\u0000b",
"resolve_reason":null}}})";

} // namespace rdwh::fuzz
