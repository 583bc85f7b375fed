// Each stage of the pipeline on its own: limits, parse, split, and the one rejection type.
#include "base/reject.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/parse.hpp"
#include "pipeline/split.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace rdwh;
using Catch::Contains;
using providers::Shape;
using test::delivery;

namespace {

rules::Config compile(const std::string &text) { return rules::compile_config(text, {}); }

} // namespace

TEST_CASE("Checked carries a value or the rejection that stopped the delivery", "[pipeline]") {
  Checked<int> value = 42;
  REQUIRE(value);
  CHECK(*value == 42);
  Checked<int> refused = over_limit("too much");
  REQUIRE_FALSE(refused);
  CHECK(refused.rejection().verdict == Verdict::limit_exceeded);
  CHECK(refused.rejection().http_status == 400);
  CHECK(refused.rejection().message == "too much");
  CHECK(Checked<void>());
  CHECK_FALSE(Checked<void>(Rejection{Verdict::too_large, 413, "big"}));
}

TEST_CASE("stage 1: header and body limits, headers first", "[pipeline][limits]") {
  const auto config = compile(R"({"limits":{"maxHeaders":2,"maxHeaderBytes":20,"maxBodyBytes":4}})");
  CHECK(pipeline::check_limits(delivery("1234", {{"a", "b"}}), config.limits));
  Checked<void> many = pipeline::check_limits(delivery("12345", {{"a", "1"}, {"b", "2"}, {"c", "3"}}), config.limits);
  REQUIRE_FALSE(many);
  CHECK(many.rejection().http_status == 431);
  CHECK_THAT(many.rejection().message, Contains("3 headers exceed the limit of 2 (limits.maxHeaders)"));
  Checked<void> long_headers = pipeline::check_limits(delivery("", {{"name", std::string_view("0123456789abcdefg")}}), config.limits);
  REQUIRE_FALSE(long_headers);
  CHECK(long_headers.rejection().http_status == 431);
  Checked<void> big = pipeline::check_limits(delivery("12345"), config.limits);
  REQUIRE_FALSE(big);
  CHECK(big.rejection().http_status == 413);
  CHECK(big.rejection().verdict == Verdict::too_large);
}

TEST_CASE("stage 3: the body parsed once and checked for the provider's shape", "[pipeline]") {
  const rules::Limits limits;
  json::Document doc;
  CHECK(pipeline::parse_body("  ", Shape::any_json, limits, doc));
  CHECK(doc.IsObject());
  auto refused = [&](std::string_view body, Shape shape) {
    json::Document d;
    Checked<void> parsed = pipeline::parse_body(body, shape, limits, d);
    REQUIRE_FALSE(parsed);
    return parsed.rejection();
  };
  CHECK_THAT(refused("", Shape::pagerduty_v3).message, Contains("empty request body: expected a PagerDuty V3"));
  CHECK_THAT(refused("{", Shape::any_json).message, Contains("Unable to parse posted JSON data"));
  CHECK_THAT(refused("[]", Shape::pagerduty_v2).message, Contains("the body is a list, not a map"));
  CHECK_THAT(refused(R"({"messages":1})", Shape::pagerduty_v2).message, Contains("\"messages\" is not a list"));
  rules::Limits shallow;
  shallow.max_depth = 2;
  json::Document deep;
  Checked<void> too_deep = pipeline::parse_body("[[[1]]]", Shape::any_json, shallow, deep);
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.rejection().verdict == Verdict::limit_exceeded);
  CHECK_THAT(too_deep.rejection().message, Contains("(limits.maxDepth)"));
}

TEST_CASE("stage 4: events and their identities", "[pipeline]") {
  const auto doc = test::parse_json(R"({"messages":[{"id":"m1","created_on":"2024-05-01T12:00:00Z","incident":{"id":"P1"}},)"
                                    R"({"incident":{"id":"P2"}}]})");
  const auto own_id = json::JsonPath::compile("$.id");
  const auto resource = json::JsonPath::compile("$.incident.id");
  const auto time = json::JsonPath::compile("$.created_on");
  const pipeline::EventPaths paths{&own_id, &resource, &time};
  pipeline::Strings strings;
  const auto config = compile(R"({"batchKey":"$.messages"})");
  auto with_header = delivery("", {{"X-Webhook-Id", "hdr"}});
  Checked<pipeline::Split> split = pipeline::split(config, paths, doc, with_header, strings);
  REQUIRE(split);
  REQUIRE(split->events.size() == 2);
  const pipeline::Event &first = split->events[0], &second = split->events[1];
  CHECK(strings[first.id] == "hdr");      // Rundeck's event id: the header before the body's id
  CHECK(strings[first.key] == "m1");      // the de-duplication key: the body before the header
  CHECK(strings[second.key] == "hdr");    // nothing in the body: the header
  CHECK(strings[first.resource_id] == "P1");
  CHECK(first.time_unix_ms == 1714564800000);
  CHECK(second.time_unix_ms == 0);
  CHECK(second.index == 1);

  const auto small = compile(R"({"batchKey":"$.messages","limits":{"maxBatchItems":1}})");
  Checked<pipeline::Split> over = pipeline::split(small, paths, doc, with_header, strings);
  REQUIRE_FALSE(over);
  CHECK_THAT(over.rejection().message, Contains("more than 1 items (limits.maxBatchItems)"));

  const auto missing = compile(R"({"batchKey":"$.nothing"})");
  Checked<pipeline::Split> none = pipeline::split(missing, paths, doc, with_header, strings);
  REQUIRE(none);
  CHECK(none->events.empty());
  CHECK_THAT(none->note, Contains("Batch Key Path Missing"));
}

TEST_CASE("provider console data: sample actions compile, suggested fields are paths or templates", "[pipeline][providers]") {
  for (const providers::ProviderSpec &spec : providers::all()) {
    INFO(spec.name);
    const bool run_job = spec.answer == providers::Answer::run_job;
    if (spec.sample_action && run_job) {
      // The whole config, its job for the user to choose: it compiles once one is.
      std::string sample = spec.sample_action;
      sample.replace(sample.find(R"("jobId":"")"), 10, R"("jobId":"j")");
      const rules::Config config = spec.compile_config(sample, {});
      REQUIRE(config.rules.size() == 1);
      CHECK(config.rules[0].arg_tokens.size() == 8);
    } else if (spec.sample_action) {
      const rules::Config config = spec.compile_config(std::string(R"({"rules":[)") + spec.sample_action + "]}", {});
      REQUIRE(config.rules.size() == 1);
      CHECK(config.rules[0].name == "PagerDuty Example Action");
      CHECK(config.rules[0].options[0].name == "pd_incident_id");
    }
    for (const providers::FieldSuggestion &field : spec.fields) {
      INFO(field.path);
      if (run_job) CHECK_NOTHROW(rules::ValueExpr::compile(field.path));
      else CHECK_NOTHROW(json::JsonPath::compile(field.path));
      CHECK(std::string_view(field.title).size() > 0);
      CHECK(std::string_view(field.example).size() > 0);
    }
  }
  // The V3 sample fires on the V3 trigger sample and names its incident.
  const auto &v3 = test::spec("pagerduty-V3-run-job");
  const auto doc = test::parse_json(R"({"event":{"event_type":"incident.triggered","data":{"id":"Q1"}}})");
  auto config = v3.compile_config(std::string(R"({"rules":[)") + v3.sample_action + "]}", {});
  const test::Run run = test::run(config, doc, delivery(""), {}, true);
  CHECK(run.job_count() == 0); // its jobId is empty until the user picks a job
  CHECK_THAT(run.explanation, Contains("\"satisfied\":true") && Contains("the rule has no job"));
}
