// Hostile input, handled: every limit answers with its precise status, deliberately awkward JSON
// gets its documented outcome, and key-storage values stay out of messages and explanations.
// docs/hardening.md lists these tests by name: keep the names in step.
#include "base/error.hpp"
#include "pipeline/handler.hpp"
#include "json/jsonpath.hpp"
#include "json/text.hpp"
#include "rules/config.hpp"
#include "rules/value_expr.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace rdwh;
using pipeline::Handler;
using pipeline::Outcome;
using test::delivery;
using test::spec;
using Catch::Contains;

namespace {



// [[[ ... ["<string of n bytes>"] ... ]]] nested `depth` deep.
std::string nested_with_string(std::size_t depth, std::size_t n) {
  return std::string(depth, '[') + "\"" + std::string(n, 'x') + "\"" + std::string(depth, ']');
}

// {"k0":0,"k1":1,...}
std::string wide_map(std::size_t n) {
  std::string out = "{";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  return out + "}";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

// ------------------------------------------------------------------------------------ limits

TEST_CASE("hardening: header count and size over the limits answer 431", "[hardening][limits]") {
  test::FakeServices services;
  Handler handler(spec("advanced-run-job"),
                  R"({"limits":{"maxHeaders":3,"maxHeaderBytes":40},"rules":[{"name":"r","jobId":"j"}]})", services);
  auto ok = handler.handle(delivery("{}", {{"A", "1"}, {"B", "2"}, {"C", std::string_view("0123456789012345678901234567890123")}}), false);
  CHECK(ok.http_status == 200); // 3 headers, 1+1+1+1+1+34 = 39 bytes: within both limits
  CHECK(ok.jobs().size() == 1);

  auto many = handler.handle(delivery("{}", {{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}}), false);
  CHECK(many.http_status == 431);
  CHECK(many.verdict == Verdict::limit_exceeded);
  CHECK(many.jobs().empty());
  CHECK_THAT(many.body, Contains("4 headers exceed the limit of 3 (limits.maxHeaders)"));

  const std::string long_value(40, 'v');
  auto big = handler.handle(delivery("{}", {{"A", long_value}}), false);
  CHECK(big.http_status == 431);
  CHECK(big.verdict == Verdict::limit_exceeded);
  CHECK_THAT(big.body, Contains("headers of 41 bytes exceed the limit of 40 bytes (limits.maxHeaderBytes)"));
  CHECK_THAT(big.body, !Contains(long_value)); // the header itself is never echoed

  // Defaults: 100 headers, 64 KiB.
  test::FakeServices services2;
  Handler defaults(spec("advanced-run-job"), "{}", services2);
  std::vector<std::pair<std::string_view, std::string_view>> hundred(100, {"X", "y"});
  CHECK(defaults.handle(delivery("{}", hundred), false).http_status == 200);
  hundred.emplace_back("X", "y");
  CHECK(defaults.handle(delivery("{}", hundred), false).http_status == 431);
  const std::string huge(64 * 1024, 'h');
  CHECK(defaults.handle(delivery("{}", {{"X", huge}}), false).http_status == 431);
}

TEST_CASE("hardening: new limits are read from the config and validated", "[hardening][limits][config]") {
  rules::CompileOptions options;
  auto config = rules::compile_config(
      R"({"limits":{"maxHeaders":7,"maxHeaderBytes":99,"maxPathResults":5,"maxPathWork":1000}})", options);
  CHECK(config.limits.max_headers == 7);
  CHECK(config.limits.max_header_bytes == 99);
  CHECK(config.limits.max_path_results == 5);
  CHECK(config.limits.max_path_work == 1000);
  auto defaults = rules::compile_config("{}", options);
  CHECK(defaults.limits.max_headers == 100);
  CHECK(defaults.limits.max_header_bytes == 64 * 1024);
  CHECK(defaults.limits.max_path_results == 100000);
  CHECK(defaults.limits.max_path_work == 4000000);
  CHECK_THROWS_WITH(rules::compile_config(R"({"limits":{"maxPathWork":0}})", options),
                    Contains("limits.maxPathWork: must be a positive integer"));
  CHECK_THROWS_WITH(rules::compile_config(R"({"limits":{"maxHeaders":"many"}})", options),
                    Contains("limits.maxHeaders: must be a positive integer"));
}

TEST_CASE("hardening: rules and conditions over their limits fail the config", "[hardening][limits][config]") {
  rules::CompileOptions options;
  // Nested groups count: 1 group + 2 conditions = 3 nodes.
  const std::string three = R"({"limits":{"maxConditions":3},"rules":[{"conditions":[{"policy":"any","conditions":[
      {"path":"$.a","condition":"exists"},{"path":"$.b","condition":"exists"}]}]}]})";
  CHECK_NOTHROW(rules::compile_config(three, options));
  const std::string four = R"({"limits":{"maxConditions":3},"rules":[{"conditions":[{"policy":"any","conditions":[
      {"path":"$.a","condition":"exists"},{"path":"$.b","condition":"exists"},{"path":"$.c","condition":"exists"}]}]}]})";
  CHECK_THROWS_WITH(rules::compile_config(four, options),
                    Contains("rules[0].conditions[0].conditions[2]: more than 3 conditions in one rule (limits.maxConditions)"));
  CHECK_THROWS_WITH(rules::compile_config(R"({"limits":{"maxRules":2},"rules":[{},{},{}]})", options),
                    Contains("rules: 3 rules exceed the limit of 2 (limits.maxRules)"));
  // Default: 1000 conditions per rule.
  std::string many = R"({"rules":[{"conditions":[)";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"path":"$.a","condition":"exists"})";
  many += "]}]}";
  CHECK_THROWS_WITH(rules::compile_config(many, options), Contains("more than 1000 conditions"));
}

TEST_CASE("hardening: JsonPath work is bounded on hostile documents", "[hardening][limits][jsonpath]") {
  // A chain 120 deep: `$..*..*..*` walks every (ancestor, descendant, descendant) triple, ~280k
  // paths, and the filter keeps none of them, so max_results never trips: only the work budget does.
  std::string chain;
  for (int i = 0; i < 120; ++i) chain += "{\"a\":";
  chain += "1";
  chain += std::string(120, '}');
  const auto doc = test::parse_json(chain);
  json::PathLimits limits;
  limits.max_work = 100000;
  const auto bomb = json::JsonPath::compile("$..*..*..*[?(@.zzz == 1)]", limits);
  CHECK_FALSE(bomb.select(doc));
  CHECK_THAT(bomb.select(doc).rejection().message, Contains("needs more than 100000 steps of work"));

  // With the default budget the same evaluation ends promptly either way.
  const auto start = std::chrono::steady_clock::now();
  const auto four = json::JsonPath::compile("$..*..*..*..*[?(@.zzz == 1)]");
  CHECK_FALSE(four.select(doc));
  CHECK(seconds_since(start) < 10.0);

  // An ordinary deep scan of the same document is far within the default.
  CHECK(json::JsonPath::compile("$..a").select(doc)->list.size() == 120);
}

TEST_CASE("hardening: comparing large maps in a filter is charged to the work budget", "[hardening][limits][jsonpath]") {
  // RapidJSON's deep equality is quadratic in the members of a map: two equal maps of 3000
  // members cost 9M member comparisons.
  const std::string map = wide_map(3000);
  const auto doc = test::parse_json(R"({"items":[)" + map + R"(],"expected":)" + map + "}");
  const auto path = json::JsonPath::compile("$.items[?(@ == $.expected)]");
  CHECK_FALSE(path.select(doc));
  json::PathLimits generous;
  generous.max_work = 50000000;
  CHECK(json::JsonPath::compile("$.items[?(@ == $.expected)]", generous).select(doc)->list.size() == 1);
  // Small maps compare as before.
  const auto small = test::parse_json(R"({"items":[{"a":1,"b":[1,2]},{"a":2}],"expected":{"b":[1,2],"a":1}})");
  CHECK(json::JsonPath::compile("$.items[?(@ == $.expected)]").select(small)->list.size() == 1);
}

TEST_CASE("hardening: a path limit hit while handling answers 400, not a failed call", "[hardening][limits][handler]") {
  test::FakeServices services;
  Handler handler(spec("advanced-run-job"),
                  R"({"limits":{"maxPathResults":10,"maxPathWork":5000},"rules":[{"name":"r","jobId":"j",
                      "jobOptions":[{"name":"all","value":"$.list[*]"}]},
                     {"name":"scan","jobId":"k","conditions":[{"path":"$..*..*[?(@.q)]","condition":"contains","value":"x"}]}]})",
                  services);
  auto fine = handler.handle(delivery(R"({"list":[1,2,3]})"), false);
  CHECK(fine.http_status == 200);
  CHECK(fine.jobs().size() == 1);

  std::string eleven = R"({"list":[0,1,2,3,4,5,6,7,8,9,10]})";
  auto results = handler.handle(delivery(eleven), false);
  CHECK(results.http_status == 400);
  CHECK(results.verdict == Verdict::limit_exceeded);
  CHECK(results.jobs().empty());
  CHECK_THAT(results.body, Contains("selected more than 10 values"));

  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100, '}');
  auto work = handler.handle(delivery(deep), true);
  CHECK(work.http_status == 400);
  CHECK(work.verdict == Verdict::limit_exceeded);
  CHECK_THAT(work.body, Contains("steps of work"));
  CHECK_THAT(work.body, Contains("limits.maxPathWork"));
}

TEST_CASE("hardening: a list rendered into a value stops at maxValueBytes", "[hardening][limits][template]") {
  // `$..*` over [[[...["512 KB"]...]]] selects 101 values that each hold the whole string: rendered
  // whole that is 50 MB, from a body under the 1 MiB limit. Rendering stops at the limit instead.
  const std::string body = nested_with_string(100, 1 << 19);
  const auto doc = test::parse_json(body);
  const pipeline::Delivery d = delivery(body);
  pipeline::Event event;
  event.value = &doc;
  for (const char *text : {"$..*", "list: ${path('$..*')}"}) {
    INFO(text);
    const auto expr = rules::ValueExpr::compile(text);
    std::string out;
    const json::PathTable no_paths;
    pipeline::Selections selections(no_paths);
    Checked<pipeline::ValueRender> rendered = pipeline::render_value(expr, event, d, selections, out, 1 << 20);
    REQUIRE(rendered);
    CHECK_FALSE(rendered->fits);
    CHECK(out.size() <= (1u << 20));
    CHECK(out.capacity() < (16u << 20)); // never grew anywhere near the full rendering
  }

  // Through a handler: 400 naming the limit, and equals on such a list stops early too.
  test::FakeServices services;
  Handler handler(spec("advanced-run-job"), R"({"rules":[{"name":"r","jobId":"j","jobOptions":[{"name":"o","value":"$..*"}]},
      {"name":"eq","jobId":"k","conditions":[{"path":"$..*","condition":"equals","value":"no"}]}]})", services);
  auto out = handler.handle(delivery("{\"a\":" + body + "}"), false); // a body Rundeck reads: a map
  CHECK(out.http_status == 400);
  CHECK(out.verdict == Verdict::limit_exceeded);
  CHECK_THAT(out.body, Contains("limits.maxValueBytes"));
}

TEST_CASE("hardening: explanations cut long received lists", "[hardening][limits][rules]") {
  const std::string body = nested_with_string(50, 100000);
  const auto doc = test::parse_json(body);
  auto config = rules::compile_config(R"({"rules":[{"name":"r","jobId":"j","conditions":[
      {"path":"$..*","condition":"exists","value":"."}]}]})", {});
  const std::string json = test::run(config, doc, delivery(body), {}, true).explanation;
  CHECK(json.size() < 400000); // not 51 copies of 100 KB
  CHECK_THAT(json, Contains("more values not shown)"));
  CHECK_NOTHROW(test::parse_json(json));
}

// ------------------------------------------------------------------------------------ awkward JSON

TEST_CASE("hardening: awkward bodies get their documented outcomes", "[hardening][json][handler]") {
  test::FakeServices services;
  Handler handler(spec("advanced-run-job"), R"({"rules":[{"name":"r","jobId":"j","jobOptions":[
      {"name":"a","value":"$.a"},{"name":"all","value":"$.*"},{"name":"s","value":"$.s"},{"name":"n","value":"$.n"}]}]})",
                  services);
  auto option = [](const Outcome &o, std::string_view name) -> std::string {
    REQUIRE(o.jobs().size() == 1);
    const auto jobs = test::jobs_of(o.rendered);
    for (const auto &[n, v] : jobs[0].options)
      if (n == name) return v;
    FAIL("no option " << name);
    return {};
  };

  SECTION("invalid UTF-8: 400, the bytes are not echoed") {
    for (std::string bad : {std::string("{\"a\":\"\xff\"}"), std::string("{\"a\":\"\xc0\x80\"}"),
                            std::string("{\"a\":\"\xed\xa0\x80\"}"), std::string("{\"a\":\"\xe2\x82\"}")}) {
      auto out = handler.handle(delivery(bad), false);
      CHECK(out.http_status == 400);
      CHECK(out.verdict == Verdict::malformed);
      CHECK_THAT(out.body, Contains("invalid UTF-8 at byte"));
    }
    auto outside = handler.handle(delivery("{\"a\":1}\xff"), false); // outside strings too
    CHECK(outside.http_status == 400);
  }
  SECTION("a lone high surrogate escape is refused; a lone low one passes through as bytes") {
    auto high = handler.handle(delivery(R"({"a":"\ud800"})"), false);
    CHECK(high.http_status == 400);
    CHECK_THAT(high.body, Contains("surrogate"));
    // RapidJSON 1.1.0 turns \udc00 into the three bytes ED B0 80; they are passed on as they are
    // (result strings are byte strings).
    auto low = handler.handle(delivery(R"({"a":"\udc00"})"), false);
    CHECK(low.http_status == 200);
    CHECK(option(low, "a") == "\xed\xb0\x80");
  }
  SECTION("duplicate keys: the first wins for a name, a wildcard sees both") {
    auto out = handler.handle(delivery(R"({"a":"first","a":"second"})"), false);
    CHECK(out.http_status == 200);
    CHECK(option(out, "a") == "first");
    CHECK(option(out, "all") == R"(["first","second"])");
  }
  SECTION("NUL: escaped inside a string it is kept; raw it is refused") {
    auto kept = handler.handle(delivery(R"({"s":"x\u0000y"})"), false);
    CHECK(kept.http_status == 200);
    CHECK(option(kept, "s") == std::string("x\0y", 3));
    auto raw_in_string = handler.handle(delivery(std::string("{\"s\":\"x\0y\"}", 11)), false);
    CHECK(raw_in_string.http_status == 400);
    auto raw_after = handler.handle(delivery(std::string("{}\0", 3)), false);
    CHECK(raw_after.http_status == 400);
    CHECK_THAT(raw_after.body, Contains("unexpected data after the JSON value"));
  }
  SECTION("huge numbers: beyond double refused, beyond 64 bits read as double") {
    auto too_big = handler.handle(delivery(R"({"n":1e400})"), false);
    CHECK(too_big.http_status == 400);
    CHECK_THAT(too_big.body, Contains("Number too big"));
    CHECK(option(handler.handle(delivery(R"({"n":18446744073709551615})"), false), "n") == "18446744073709551615");
    CHECK(option(handler.handle(delivery(R"({"n":18446744073709551616})"), false), "n") == "1.8446744073709552E19");
    CHECK(option(handler.handle(delivery(R"({"n":-9223372036854775809})"), false), "n") == "-9.223372036854776E18");
    CHECK(option(handler.handle(delivery(R"({"n":1e-400})"), false), "n") == "0.0");
    const std::string digits = "{\"n\":1" + std::string(5000, '0') + "}";
    CHECK(handler.handle(delivery(digits), false).http_status == 400);
    CHECK_THAT(handler.handle(delivery(R"({"n":1.8e308})"), false).body, Contains("Number too big"));
    CHECK(option(handler.handle(delivery(R"({"n":-1e-400})"), false), "n") == "-0.0");
  }
  SECTION("numbers convert exactly: zero significands, halfway cases, many digits") {
    // RapidJSON 1.1.0's own conversion gave 0e99 as 6.5E296 and 0e308 as a negative number.
    CHECK(option(handler.handle(delivery(R"({"n":0e99})"), false), "n") == "0.0");
    CHECK(option(handler.handle(delivery(R"({"n":0e308})"), false), "n") == "0.0");
    CHECK(option(handler.handle(delivery(R"({"n":-0.000e23})"), false), "n") == "-0.0");
    CHECK(option(handler.handle(delivery(R"({"n":0e-30})"), false), "n") == "0.0");
    CHECK(option(handler.handle(delivery(R"({"n":-0})"), false), "n") == "0");
    CHECK(option(handler.handle(delivery(R"({"n":0.1})"), false), "n") == "0.1");
    CHECK(option(handler.handle(delivery(R"({"n":9007199254740993.0})"), false), "n") == "9.007199254740992E15");
    CHECK(option(handler.handle(delivery(R"({"n":2.2250738585072011e-308})"), false), "n") == "2.225073858507201E-308");
    CHECK(option(handler.handle(delivery(R"({"n":-9223372036854775808})"), false), "n") == "-9223372036854775808");
    CHECK(option(handler.handle(delivery("{\"n\":0." + std::string(400, '0') + "1e300}"), false), "n") == "1.0E-101");
  }
  SECTION("a byte order mark, trailing garbage and a second value are refused") {
    CHECK(handler.handle(delivery("\xef\xbb\xbf{}"), false).http_status == 400);
    CHECK(handler.handle(delivery("{} x"), false).http_status == 400);
    CHECK(handler.handle(delivery("{}{}"), false).http_status == 400);
    CHECK(handler.handle(delivery("{} \r\n\t"), false).http_status == 200);
  }
}

// ------------------------------------------------------------------------------------ secrets

TEST_CASE("hardening: key-storage values are never quoted in syntax errors", "[hardening][secrets][config]") {
  const std::string secret = "s3cr3t with [spaces] and ${braces}";
  rules::CompileOptions options;
  options.lookup_secret = [&](std::string_view) -> std::optional<Secret> { return Secret(secret); };
  for (const char *config : {R"({"batchKey":"${KS:keys/s}"})", R"({"eventIdKey":"$.${KS:keys/s}"})",
                             R"({"rules":[{"conditions":[{"path":"${KS:keys/s}","condition":"exists"}]}]})",
                             R"({"rules":[{"jobId":"${KS:keys/s}"}]})",
                             R"({"rules":[{"jobOptions":[{"name":"o","value":"$.${KS:keys/s}"}]}]})",
                             R"({"rules":[{"jobOptions":{"o":"x ${KS:keys/s}"}}]})",
                             R"({"rules":[{"nodeFilter":"${KS:keys/s}"}]})",
                             R"({"rules":[{"conditions":[{"path":"$.t","condition":"dateTimeAfter","value":"${KS:keys/s}"}]}]})"}) {
    INFO(config);
    try {
      (void)rules::compile_config(config, options);
      FAIL("expected a ConfigError");
    } catch (const ConfigError &e) {
      CHECK_THAT(e.what(), !Contains("s3cr3t"));
      CHECK_THAT(e.what(), Contains("(a value from key storage)"));
    }
  }
}

TEST_CASE("hardening: a condition value from key storage is hidden in explanations and logs", "[hardening][secrets][handler]") {
  test::FakeServices services;
  services.keys["keys/token"] = "T0KEN-s3cr3t";
  Handler handler(spec("advanced-run-job"), R"({"returnProcessingInfo":true,"rules":[{"name":"r","jobId":"j","debug":true,
      "conditions":[{"path":"$.token","condition":"equals","value":"${KS:keys/token}"}]}]})", services);
  auto wrong = handler.handle(delivery(R"({"token":"guess"})"), true);
  CHECK(wrong.http_status == 200);
  CHECK(wrong.jobs().empty());
  auto right = handler.handle(delivery(R"({"token":"T0KEN-s3cr3t"})"), true);
  CHECK(right.jobs().size() == 1);
  // Neither the value nor what was received (which, when it matches, is the value) is shown.
  CHECK_THAT(wrong.body + wrong.explanation + right.body + right.explanation, !Contains("T0KEN"));
  CHECK_THAT(wrong.explanation, Contains("(a value from key storage)"));
  CHECK_THAT(services.all_lines(), !Contains("T0KEN"));
  CHECK_THAT(services.all_lines(), Contains("(a value from key storage)"));
}

TEST_CASE("hardening: rule and option names from key storage are never shown", "[hardening][secrets][handler]") {
  test::FakeServices services;
  services.keys["keys/token"] = "T0KEN-s3cr3t";
  // A diagnosed rule (unknown key, no job) and a rule whose option, given twice, fails to render.
  Handler handler(spec("advanced-run-job"), R"({"returnProcessingInfo":true,"rules":[
      {"name":"n ${KS:keys/token}","jobYd":"x"},
      {"name":"${KS:keys/token}","jobId":"j","debug":true,"jobOptions":[{"name":"${KS:keys/token}","value":"a"},
                                                             {"name":"${KS:keys/token}","value":"${data.nope.deeper}"}]}]})",
                  services);
  std::string shown;
  for (const Diagnostic &d : handler.config().diagnostics) shown += d.field + d.rule + d.message + d.suggestion;
  CHECK_THAT(shown, Contains("Rule 1"));
  CHECK_THAT(shown, Contains("option (a value from key storage) given twice"));
  auto out = handler.handle(delivery(R"({"a":1})"), true);
  CHECK(out.jobs().empty());
  CHECK_THAT(services.all_lines(), Contains("rule 'Rule 2' on event 0: option (a value from key storage) cannot be rendered"));
  CHECK_THAT(shown + out.body + out.explanation + services.all_lines(), !Contains("T0KEN"));
}
