// rdwh's micro benchmarks (Google Benchmark), through the real C ABI: the built module is
// dlopen()ed and `handle` called as a host calls it. JsonPath and template rendering are measured
// on rdwh_core directly. In the same run, the floor every delivery pays (RapidJSON parse into a
// Document + OpenSSL HMAC-SHA256 of the same body) is measured, and a summary table gives every
// figure as a ratio to its floor, with the goals checked (see docs/benchmarks.md).
//
// Usage: rdwh_bench [Google Benchmark flags]; scripts/bench.sh runs it with repetitions.
#include "alloc_counter.hpp"
#include "bench_support.hpp"
#include "fast_floor.hpp"

#include "json/jsonpath.hpp"
#include "pipeline/render.hpp"
#include "rules/value_expr.hpp"

#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace rdwh_bench;

// The floor parses as the issue measured it: rapidjson::Document::Parse with the default flags.
// The plugin parses with stricter flags (json/text.cpp): iterative, strict UTF-8 validation,
// nothing but white space after the value, full-precision doubles; the ref/ rows measure those.
constexpr unsigned kPluginParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                       rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseFullPrecisionFlag;
constexpr unsigned kPluginFlagsButValidation =
    rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseFullPrecisionFlag;

// Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF) with an ASCII fast path:
// what validating the body once, before a parse without kParseValidateEncodingFlag, costs.
bool utf8_valid(const std::string &text) {
  const auto *s = reinterpret_cast<const unsigned char *>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (!(w & 0x8080808080808080ULL)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u;
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

enum class ParseMode { floor, plugin_flags, fast_validation };

// ------------------------------------------------------------------------------ bodies

const std::string &v3() {
  static const std::string body = v3_body();
  return body;
}
const std::string &v2(int messages) {
  static std::map<int, std::string> bodies;
  auto it = bodies.find(messages);
  if (it == bodies.end()) it = bodies.emplace(messages, v2_body(messages)).first;
  return it->second;
}

// ------------------------------------------------------------------------------ what the summary needs

struct Row {
  std::string name;
  std::string floor;  // the row it is compared with ("" for a floor itself)
  std::string what;   // one line for the table
  std::size_t body_bytes = 0;
};
std::vector<Row> g_rows;

void add_row(const std::string &name, const std::string &floor, const std::string &what, std::size_t bytes) {
  g_rows.push_back({name, floor, what, bytes});
}

// Every benchmark reports, besides Google Benchmark's mean/median/stddev/cv, the minimum over its
// repetitions: on a shared machine other processes only ever add time, so the summary compares
// minimums (best of N) and shows medians beside them.
benchmark::internal::Benchmark *configure(benchmark::internal::Benchmark *b) {
  return b->Unit(benchmark::kMicrosecond)->ComputeStatistics("min", [](const std::vector<double> &v) {
    return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
  });
}

// ------------------------------------------------------------------------------ the floor

void floor_bench(benchmark::State &state, const std::string *body, bool parse, bool hmac, ParseMode mode) {
  const std::string &key = secret();
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    if (parse) {
      rapidjson::Document doc;
      switch (mode) {
      case ParseMode::floor: doc.Parse(body->data(), body->size()); break;
      case ParseMode::plugin_flags: doc.Parse<kPluginParseFlags>(body->data(), body->size()); break;
      case ParseMode::fast_validation:
        if (!utf8_valid(*body)) state.SkipWithError("invalid UTF-8");
        doc.Parse<kPluginFlagsButValidation>(body->data(), body->size());
        break;
      }
      if (doc.HasParseError()) {
        state.SkipWithError("the body does not parse");
        break;
      }
      benchmark::DoNotOptimize(doc.IsObject());
    }
    if (hmac) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(body->data()),
           body->size(), md, &len);
      benchmark::DoNotOptimize(md);
    }
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["bytes"] = static_cast<double>(body->size());
}

void register_floor(const std::string &name, const std::string *body, bool parse, bool hmac, const std::string &what,
                    ParseMode mode = ParseMode::floor, const std::string &compared_with = "") {
  configure(benchmark::RegisterBenchmark(name.c_str(), floor_bench, body, parse, hmac, mode));
  add_row(name, compared_with, what, body->size());
}

// What HMAC-SHA256 costs without the one-shot HMAC()'s per-call setup (algorithm fetch, context
// allocation, key schedule): a context keyed once, then per call either duplicated (thread-safe
// as is) or re-initialised with the same key (a context per thread). For comparison only.
void hmac_prekeyed_bench(benchmark::State &state, const std::string *body, bool reuse) {
  EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  EVP_MAC_CTX *keyed = EVP_MAC_CTX_new(mac);
  const std::string &key = secret();
  EVP_MAC_init(keyed, reinterpret_cast<const unsigned char *>(key.data()), key.size(), params);
  EVP_MAC_CTX *mine = EVP_MAC_CTX_dup(keyed);
  const auto *data = reinterpret_cast<const unsigned char *>(body->data());
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    unsigned char md[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (reuse) {
      EVP_MAC_init(mine, nullptr, 0, nullptr); // same key, fresh state
      EVP_MAC_update(mine, data, body->size());
      EVP_MAC_final(mine, md, &len, sizeof md);
    } else {
      EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed);
      EVP_MAC_update(c, data, body->size());
      EVP_MAC_final(c, md, &len, sizeof md);
      EVP_MAC_CTX_free(c);
    }
    benchmark::DoNotOptimize(md);
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["bytes"] = static_cast<double>(body->size());
  EVP_MAC_CTX_free(mine);
  EVP_MAC_CTX_free(keyed);
  EVP_MAC_free(mac);
}

// The floor the handle/v3 rows are compared with (fast_floor.hpp): keyed HMAC context, in-place
// SSE2 parse, pooled allocator.
void fast_floor_bench(benchmark::State &state, const std::string *body, bool parse, bool hmac) {
  FastFloor fast(secret());
  if (!(parse ? fast.parse(*body) : true) || !(hmac ? fast.hmac(*body) : true)) {
    state.SkipWithError("the fast floor fails on the body");
    return;
  }
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    if (parse) benchmark::DoNotOptimize(fast.parse(*body));
    if (hmac) benchmark::DoNotOptimize(fast.hmac(*body));
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["bytes"] = static_cast<double>(body->size());
}

void register_fast_floor(const std::string &name, const std::string *body, bool parse, bool hmac, const std::string &what) {
  configure(benchmark::RegisterBenchmark(name.c_str(), fast_floor_bench, body, parse, hmac));
  add_row(name, "", what, body->size());
}

// ------------------------------------------------------------------------------ handle() through the ABI

struct HandleCase {
  rdwh_handler_t *handler = nullptr;
  std::unique_ptr<Request> request;
  int expected_status = 200;
};
std::vector<std::unique_ptr<HandleCase>> g_cases;

void handle_bench(benchmark::State &state, const HandleCase *c) {
  const rdwh_plugin_entry_t &e = *Module::instance().entry;
  // Once outside the timing: the outcome is the one meant.
  const rdwh_result_t *r = nullptr;
  rdwh_error_t err{};
  err.struct_size = sizeof err;
  if (e.handle(c->handler, &c->request->req, &r, &err) != RDWH_STATUS_OK) {
    state.SkipWithError(err.message);
    return;
  }
  const int status = r->http_status;
  const double jobs = static_cast<double>(r->job_count);
  const double explained = static_cast<double>(r->evaluation.size);
  e.release_result(c->handler, r);
  if (status != c->expected_status) {
    state.SkipWithError(("unexpected HTTP status " + std::to_string(status)).c_str());
    return;
  }
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    const rdwh_result_t *result = nullptr;
    e.handle(c->handler, &c->request->req, &result, nullptr);
    benchmark::DoNotOptimize(result);
    e.release_result(c->handler, result);
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["jobs"] = jobs;
  state.counters["bytes"] = static_cast<double>(c->request->body.size());
  if (explained > 0) state.counters["explain_bytes"] = explained;
}

void register_handle(const std::string &name, const char *provider, const std::string &config,
                     std::unique_ptr<Request> request, int expected_status, const std::string &floor,
                     const std::string &what) {
  auto c = std::make_unique<HandleCase>();
  c->handler = create_handler(provider, config);
  c->request = std::move(request);
  c->expected_status = expected_status;
  configure(benchmark::RegisterBenchmark(name.c_str(), handle_bench, c.get()));
  add_row(name, floor, what, c->request->body.size());
  g_cases.push_back(std::move(c));
}

// ------------------------------------------------------------------------------ rdwh_core alone

struct Parsed {
  rapidjson::Document doc;
  explicit Parsed(const std::string &body) {
    doc.Parse<kPluginParseFlags>(body.data(), body.size());
    if (doc.HasParseError()) die("a benchmark body does not parse");
  }
};

void jsonpath_bench(benchmark::State &state, const rapidjson::Document *doc, std::string path_text) {
  const rdwh::json::JsonPath path = rdwh::json::JsonPath::compile(path_text);
  rdwh::json::Selection selection;
  if (!path.select(*doc, selection)) die("a benchmark path goes over its limits");
  const double found = selection.kind == rdwh::json::Selection::Kind::list ? static_cast<double>(selection.list.size())
                       : selection.kind == rdwh::json::Selection::Kind::single ? 1.0
                                                                               : 0.0;
  if (found == 0) {
    state.SkipWithError(("the path selects nothing: " + path_text).c_str());
    return;
  }
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(path.select(*doc, selection)); // the hot-path form: reuses the selection
    benchmark::DoNotOptimize(selection.single);
    benchmark::DoNotOptimize(selection.list.data());
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["values"] = found;
}

// A regex RE2 compiles but cannot run with its DFA ((a?){1000}a{1000}: NFA, every byte against
// every instruction) over 20 subjects of 3 KB: the work budget must refuse it after the first.
void regex_bound_bench(benchmark::State &state) {
  rapidjson::Document doc;
  doc.SetObject();
  rapidjson::Value list(rapidjson::kArrayType);
  const std::string subject(3000, 'a');
  for (int i = 0; i < 20; ++i) {
    rapidjson::Value item(rapidjson::kObjectType);
    item.AddMember("s", rapidjson::Value(subject.c_str(), doc.GetAllocator()), doc.GetAllocator());
    list.PushBack(item, doc.GetAllocator());
  }
  doc.AddMember("l", list, doc.GetAllocator());
  const rdwh::json::JsonPath path = rdwh::json::JsonPath::compile("$.l[?(@.s =~ /(a?){1000}a{1000}/)]");
  rdwh::json::Selection selection;
  if (path.select(doc, selection)) die("the regex benchmark was not stopped by the work budget");
  for (auto _ : state) benchmark::DoNotOptimize(path.select(doc, selection));
}

void template_bench(benchmark::State &state, const rapidjson::Document *doc, std::string text) {
  const rdwh::rules::ValueExpr expr = rdwh::rules::ValueExpr::compile(text);
  rdwh::pipeline::Delivery delivery;
  delivery.body = v3();
  delivery.sender = "203.0.113.7";
  rdwh::pipeline::Event event;
  event.value = doc;
  std::string out;
  const rdwh::json::PathTable no_paths;
  rdwh::pipeline::Selections selections(no_paths);
  const rdwh::Checked<rdwh::pipeline::ValueRender> first =
      rdwh::pipeline::render_value(expr, event, delivery, selections, out, 1u << 20);
  if (!first || first->failure) die("a benchmark template goes over its limits or cannot render");
  const double rendered = static_cast<double>(out.size());
  std::uint64_t a0 = allocations();
  for (auto _ : state) {
    out.clear(); // the engine renders into a fresh string per option; here the buffer is reused
    benchmark::DoNotOptimize(rdwh::pipeline::render_value(expr, event, delivery, selections, out, 1u << 20));
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["allocs"] = static_cast<double>(allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["out_bytes"] = rendered;
}

// ------------------------------------------------------------------------------ the summary

// Keeps, for each benchmark, its median (or its only run) as the console reporter prints it.
class Collector : public benchmark::ConsoleReporter {
public:
  struct Figure {
    double cpu_ns = 0;    // minimum over the repetitions (or the only run)
    double median_ns = 0; // median over the repetitions
    double cv = 0;        // coefficient of variation of the CPU time over the repetitions
    std::map<std::string, double> counters;
  };
  std::map<std::string, Figure> figures;

  void ReportRuns(const std::vector<Run> &reports) override {
    for (const Run &r : reports) {
      if (r.error_occurred) continue;
      Figure &f = figures[r.run_name.function_name];
      const double scale = to_ns(r.time_unit);
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "min") f.cpu_ns = r.GetAdjustedCPUTime() * scale;
        if (r.aggregate_name == "cv") f.cv = r.GetAdjustedCPUTime();
        if (r.aggregate_name == "median") {
          f.median_ns = r.GetAdjustedCPUTime() * scale;
          for (const auto &[k, v] : r.counters) f.counters[k] = v.value;
        }
      } else if (r.repetitions <= 1) {
        f.cpu_ns = f.median_ns = r.GetAdjustedCPUTime() * scale;
        for (const auto &[k, v] : r.counters) f.counters[k] = v.value;
      }
    }
    ConsoleReporter::ReportRuns(reports);
  }

private:
  static double to_ns(benchmark::TimeUnit u) {
    switch (u) {
    case benchmark::kNanosecond: return 1;
    case benchmark::kMicrosecond: return 1e3;
    case benchmark::kMillisecond: return 1e6;
    case benchmark::kSecond: return 1e9;
    }
    return 1;
  }
};

std::string fmt_time(double ns) {
  char buf[32];
  if (ns >= 1e5) std::snprintf(buf, sizeof buf, "%.0f", ns / 1e3);
  else if (ns >= 1e4) std::snprintf(buf, sizeof buf, "%.1f", ns / 1e3);
  else if (ns >= 100) std::snprintf(buf, sizeof buf, "%.2f", ns / 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f", ns / 1e3);
  return buf;
}
std::string fmt(double v, const char *f = "%.2f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_summary(const Collector &c) {
  constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  auto fig = [&](const std::string &name) -> const Collector::Figure * {
    auto it = c.figures.find(name);
    return it == c.figures.end() || it->second.cpu_ns <= 0 ? nullptr : &it->second;
  };
  auto t = [&](const std::string &name) { const auto *f = fig(name); return f ? f->cpu_ns : kNone; };
  auto counter = [&](const std::string &name, const char *k) {
    const auto *f = fig(name);
    if (!f) return kNone;
    auto it = f->counters.find(k);
    return it == f->counters.end() ? kNone : it->second;
  };

  std::printf("\n## Summary (CPU time per call, best of the repetitions, median beside it; ratio = best / its floor's best)\n\n");
  std::printf("| benchmark | what | body bytes | µs | median µs | floor | ratio to floor | allocs/call | jobs |\n");
  std::printf("|---|---|---:|---:|---:|---|---:|---:|---:|\n");
  for (const Row &row : g_rows) {
    const auto *f = fig(row.name);
    if (!f) continue; // filtered out, or failed
    std::string ratio = row.floor.empty() ? "(floor)" : fmt(f->cpu_ns / t(row.floor)) + "x";
    double allocs = counter(row.name, "allocs"), jobs = counter(row.name, "jobs");
    std::printf("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.name.c_str(), row.what.c_str(),
                row.body_bytes ? std::to_string(row.body_bytes).c_str() : "", fmt_time(f->cpu_ns).c_str(),
                fmt_time(f->median_ns).c_str(),
                row.floor.empty() ? "" : ("`" + row.floor + "`").c_str(), ratio.c_str(),
                std::isnan(allocs) ? "" : fmt(allocs, "%.1f").c_str(), std::isnan(jobs) ? "" : fmt(jobs, "%.0f").c_str());
  }

  std::printf("\n## Goals\n\n| goal | measured | verdict |\n|---|---|---|\n");
  auto verdict = [](bool ok) { return ok ? "met" : "**missed**"; };
  auto ratio_goal = [&](const char *goal, const std::string &name, const std::string &floor, double limit,
                        const std::string &extra) {
    double r = t(name) / t(floor);
    std::printf("| %s | %sx the floor (%s µs vs %s µs)%s | %s |\n", goal, fmt(r).c_str(), fmt_time(t(name)).c_str(),
                fmt_time(t(floor)).c_str(), extra.c_str(), std::isnan(r) ? "no result" : verdict(r <= limit));
  };
  ratio_goal("V3, 10 rules: within 1.2x the floor (keyed HMAC context, in-place SSE2 parse, pooled allocator)",
             "handle/v3/rules:10", "floor/v3/fast", 1.2,
             "; " + fmt(t("handle/v3/rules:10") / t("floor/v3")) + "x the one-shot floor (`floor/v3`), " +
                 fmt(t("handle/v3/rules:0") / t("floor/v3/fast")) + "x for zero rules");
  ratio_goal("V2, 10 messages, 10 rules: within 1.5x the floor", "handle/v2/msgs:10/rules:10", "floor/v2/msgs:10", 1.5,
             "; " + fmt(t("handle/v2/msgs:10/rules:10") / t("floor/v2/msgs:10/parse")) +
                 "x parse alone (V2 is unsigned: the plugin computes no HMAC); " +
                 fmt(t("handle/v2/msgs:10/rules:10") / t("ref/v2/msgs:10/parse-plugin-flags")) +
                 "x a parse with the plugin's flags");

  // Linearity: the marginal cost of one more rule (or item) stays the same as counts grow.
  auto slope = [&](const std::string &a, const std::string &b, double na, double nb) { return (t(b) - t(a)) / (nb - na); };
  auto rule_slopes = [&](const char *goal, const std::string &prefix) {
    // ns per added rule for each decade 10 -> 100 -> 1,000 -> 10,000; the goal compares the largest with the smallest.
    std::string figures;
    double lo = kNone, hi = kNone;
    for (int n = 10; n < 10000; n *= 10) {
      const double s = slope(prefix + std::to_string(n), prefix + std::to_string(n * 10), n, n * 10.0);
      figures += (figures.empty() ? "" : ", ") + fmt(s, "%.0f") + " (" + std::to_string(n) + "->" + std::to_string(n * 10) + ")";
      lo = std::isnan(lo) ? s : std::min(lo, s);
      hi = std::isnan(hi) ? s : std::max(hi, s);
    }
    const double k = hi / lo;
    std::printf("| %s | ns per added rule: %s; largest / smallest %sx | %s |\n", goal, figures.c_str(), fmt(k).c_str(),
                std::isnan(k) ? "no result" : verdict(lo > 0 && k <= 1.25));
  };
  rule_slopes("cost linear in rules, 10 to 10,000 (the cost of one more rule stays within 1.25x); rules sharing a few paths",
              "handle/v3/rules:");
  rule_slopes("the same, each rule with paths of its own", "handle/v3/distinct:");
  {
    double s1 = slope("handle/v2/msgs:1/rules:10", "handle/v2/msgs:10/rules:10", 1, 10);
    double s2 = slope("handle/v2/msgs:10/rules:10", "handle/v2/msgs:100/rules:10", 10, 100);
    double f1 = slope("floor/v2/msgs:1", "floor/v2/msgs:10", 1, 10);
    double f2 = slope("floor/v2/msgs:10", "floor/v2/msgs:100", 10, 100);
    double k = s2 / s1;
    std::printf("| cost linear in batch items (the cost of one more item stays within 1.25x) | µs per added message "
                "(10 rules): %s (1->10), %s (10->100), differ by %sx; the floor's: %s, %s | %s |\n",
                fmt(s1 / 1e3).c_str(), fmt(s2 / 1e3).c_str(), fmt(k).c_str(), fmt(f1 / 1e3).c_str(),
                fmt(f2 / 1e3).c_str(), std::isnan(k) ? "no result" : verdict(k > 0.8 && k < 1.25));
  }
  {
    // Allocations a rule that does not fire costs, and an event that fires nothing.
    double base = counter("handle/v3/rules:0", "allocs");
    double per_rule = (counter("handle/v3/rules:100/nomatch", "allocs") - base) / 100;
    double per_event = (counter("handle/v2/msgs:10/rules:0", "allocs") - counter("handle/v2/msgs:1/rules:0", "allocs")) / 9;
    double jobs10 = counter("handle/v3/rules:10", "jobs");
    double per_job = (counter("handle/v3/rules:10", "allocs") - base - (10 - jobs10) * per_rule) / jobs10;
    bool ok = per_rule < 0.05 && per_event < 0.05;
    std::printf("| no allocation per event that is not needed | %s per rule that does not fire, %s per V2 event that "
                "fires nothing, %s per V3 delivery with no rule (fixed), %s per fired job | %s |\n",
                fmt(per_rule).c_str(), fmt(per_event).c_str(), fmt(base, "%.0f").c_str(), fmt(per_job, "%.1f").c_str(),
                std::isnan(per_rule) ? "no result" : verdict(ok));
  }
  std::printf("\nTimes are CPU time per call: the best (minimum) of the repetitions, which other processes on a shared\n"
              "machine cannot lower, and the median. allocs counts every malloc/calloc/realloc of the process during\n"
              "the call (plugin, OpenSSL, RapidJSON), averaged over the iterations.\n");
}

} // namespace

int main(int argc, char **argv) {
  // ---- floors
  const std::string *b3 = &v3();
  register_floor("floor/v3", b3, true, true, "Document::Parse + HMAC(EVP_sha256()), V3 body");
  register_floor("floor/v3/parse", b3, true, false, "Document::Parse alone");
  register_floor("floor/v3/hmac", b3, false, true, "HMAC-SHA256 alone");
  register_fast_floor("floor/v3/fast", b3, true, true,
                      "the floor of the goals: HMAC from a keyed context (duplicated per call) + in-place SSE2 parse, pooled allocator");
  register_fast_floor("floor/v3/fast/parse", b3, true, false, "in-place SSE2 parse into a pooled allocator alone");
  register_fast_floor("floor/v3/fast/hmac", b3, false, true, "HMAC from a keyed context alone");
  for (int n : {1, 10, 100})
    register_floor("floor/v2/msgs:" + std::to_string(n), &v2(n), true, true,
                   "parse + HMAC, V2 body of " + std::to_string(n) + (n == 1 ? " message" : " messages"));
  register_floor("floor/v2/msgs:10/parse", &v2(10), true, false, "Document::Parse alone, 10 messages");
  register_floor("floor/v2/msgs:10/hmac", &v2(10), false, true, "HMAC-SHA256 alone, 10 messages");
  register_floor("ref/v3/parse-plugin-flags", b3, true, false,
                 "for comparison: parse with the plugin's flags (iterative, validate UTF-8, stop when done, full precision)",
                 ParseMode::plugin_flags, "floor/v3/parse");
  register_floor("ref/v3/parse-fast-validation", b3, true, false,
                 "for comparison: the plugin's flags but UTF-8 validated beforehand by an ASCII-fast-path loop",
                 ParseMode::fast_validation, "floor/v3/parse");
  register_floor("ref/v2/msgs:10/parse-plugin-flags", &v2(10), true, false,
                 "for comparison: parse with the plugin's flags, 10 messages", ParseMode::plugin_flags,
                 "floor/v2/msgs:10/parse");
  register_floor("ref/v2/msgs:10/parse-fast-validation", &v2(10), true, false,
                 "for comparison: the plugin's flags, UTF-8 validated beforehand, 10 messages",
                 ParseMode::fast_validation, "floor/v2/msgs:10/parse");
  configure(benchmark::RegisterBenchmark("ref/v3/hmac-prekeyed-dup", hmac_prekeyed_bench, b3, false));
  add_row("ref/v3/hmac-prekeyed-dup", "floor/v3/hmac", "for comparison: HMAC from a pre-keyed EVP_MAC_CTX, duplicated per call",
          b3->size());
  configure(benchmark::RegisterBenchmark("ref/v3/hmac-prekeyed-reuse", hmac_prekeyed_bench, b3, true));
  add_row("ref/v3/hmac-prekeyed-reuse", "floor/v3/hmac",
          "for comparison: HMAC from a pre-keyed EVP_MAC_CTX re-initialised per call (one per thread)", b3->size());

  // ---- V3 through the ABI: signed, shared secret configured
  const char *V3 = "pagerduty-V3-run-job";
  auto v3_request = [&](uint32_t flags = 0) { return std::make_unique<Request>(v3(), v3_signed_headers(v3()), flags); };
  register_handle("handle/v3/sig-bad", V3, config(kV3, 10),
                  std::make_unique<Request>(v3(), v3_headers("v1=" + std::string(64, '0'))), 403, "floor/v3/hmac",
                  "bad signature: 403 after the HMAC, no parse");
  register_handle("handle/v3/rules:0", V3, config(kV3, 0), v3_request(), 200, "floor/v3/fast",
                  "signature verified + parse, zero rules");
  for (int n : {1, 10, 100, 1000, 10000})
    register_handle("handle/v3/rules:" + std::to_string(n), V3, config(kV3, n), v3_request(), 200, "floor/v3/fast",
                    std::to_string(n) + (n == 1 ? " rule" : " rules"));
  register_handle("handle/v3/rules:100/nomatch", V3, config(kV3, 100, RuleSet::nomatch), v3_request(), 200, "floor/v3/fast",
                  "100 rules, none fires");
  for (int n : {10, 100, 1000, 10000})
    register_handle("handle/v3/distinct:" + std::to_string(n), V3, config(kV3, n, RuleSet::distinct), v3_request(), 200,
                    "floor/v3/fast", std::to_string(n) + " rules, each with paths of its own (none fires)");
  register_handle("handle/v3/rules:10/explain", V3, config(kV3, 10), v3_request(RDWH_REQUEST_EXPLAIN), 200,
                  "floor/v3/fast", "10 rules with RDWH_REQUEST_EXPLAIN");

  // ---- V2 through the ABI: unsigned, batch of messages
  const char *V2 = "pagerduty-run-job";
  auto v2_request = [&](int n) { return std::make_unique<Request>(v2(n), v2_headers()); };
  for (int n : {1, 10})
    register_handle("handle/v2/msgs:" + std::to_string(n) + "/rules:0", V2, config(kV2, 0), v2_request(n), 200,
                    "floor/v2/msgs:" + std::to_string(n), "zero rules");
  for (int n : {1, 10, 100})
    register_handle("handle/v2/msgs:" + std::to_string(n) + "/rules:10", V2, config(kV2, 10), v2_request(n), 200,
                    "floor/v2/msgs:" + std::to_string(n), "10 rules on each message");

  // ---- JsonPath and templates alone (rdwh_core)
  static const Parsed doc3(v3()), doc2(v2(10));
  struct PathCase { const char *name; const rapidjson::Document *doc; const char *path; const char *floor; };
  for (const PathCase &p : {PathCase{"jsonpath/definite", &doc3.doc, "$.event.data.priority.summary", "floor/v3"},
                            PathCase{"jsonpath/index", &doc3.doc, "$.event.data.assignees[0].summary", "floor/v3"},
                            PathCase{"jsonpath/wildcard", &doc3.doc, "$.event.data.assignees[*].summary", "floor/v3"},
                            PathCase{"jsonpath/deep-scan", &doc3.doc, "$..summary", "floor/v3"},
                            PathCase{"jsonpath/filter", &doc2.doc, "$.messages[?(@.incident.urgency == 'high')].id",
                                     "floor/v2/msgs:10"},
                            PathCase{"jsonpath/regex", &doc2.doc, "$.messages[?(@.event =~ /(?i)incident\\.(trigger|resolve)/)].id",
                                     "floor/v2/msgs:10"}}) {
    configure(benchmark::RegisterBenchmark(p.name, jsonpath_bench, p.doc, std::string(p.path)));
    add_row(p.name, p.floor, std::string("`") + p.path + "`", 0);
  }
  configure(benchmark::RegisterBenchmark("jsonpath/regex-dfa-blowup", regex_bound_bench));
  add_row("jsonpath/regex-dfa-blowup", "floor/v3",
          "`(a?){1000}a{1000}` over 20 subjects of 3 KB: refused by limits.maxPathWork after the first subject", 0);
  struct TemplateCase { const char *name; const char *text; };
  for (const TemplateCase &tc :
       {TemplateCase{"template/jsonpath-value", "$.event.data.id"},
        TemplateCase{"template/gstring", "Incident ${data.event.data.title} on ${data.event.data.service.summary}"},
        TemplateCase{"template/groovy-map", "${data.event.data.priority}"},
        TemplateCase{"template/webhook", "${webhook.sender}"}}) {
    configure(benchmark::RegisterBenchmark(tc.name, template_bench, &doc3.doc, std::string(tc.text)));
    add_row(tc.name, "floor/v3", std::string("`") + tc.text + "`", 0);
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  print_summary(collector);

  for (auto &c : g_cases) Module::instance().entry->destroy(c->handler);
  return 0;
}
