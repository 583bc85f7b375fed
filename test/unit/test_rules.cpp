// Conditions, config compilation and evaluation: Rundeck's Advanced Run Job semantics.
#include "base/error.hpp"
#include "rules/config.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace rdwh::rules;
using Catch::Contains;
using rdwh::pipeline::Delivery;
using rdwh::test::parse_json;

namespace {

Config compile(const std::string &text, CompileOptions options = {}) { return compile_config(text, options); }

// Evaluates `config` against `payload` and returns the fired rules' names, in order.
std::vector<std::string> fired(const Config &config, const std::string &payload, Delivery delivery = {}) {
  auto doc = parse_json(payload);
  std::vector<std::string> names;
  for (const auto &job : rdwh::test::run(config, doc, delivery).jobs()) names.push_back(job.rule);
  return names;
}

// One rule with one condition; true when it fires.
bool holds(const std::string &condition, const std::string &value, const std::string &path,
           const std::string &payload, int64_t now = 1700000000000) {
  std::string config = R"({"rules":[{"name":"r","jobId":"j","conditions":[{"path":")" + path +
                       R"(","condition":")" + condition + R"(","value":")" + value + R"("}]}]})";
  Delivery delivery;
  delivery.now_unix_ms = now;
  return !fired(compile(config), payload, delivery).empty();
}

const std::string incident = R"({"event":{"event_type":"incident.triggered","data":{"id":"P1","number":2,"urgency":"high",)"
                             R"("title":"Database down","priority":null,"teams":[{"id":"T1"},{"id":"T2"}],"ok":true,)"
                             R"("labels":["db","prod"],"score":1.50,"created_at":"2024-05-01T12:00:00Z","epoch":1714564800000}}})";

} // namespace

TEST_CASE("equals compares the field as text", "[conditions]") {
  CHECK(holds("equals", "incident.triggered", "$.event.event_type", incident));
  CHECK_FALSE(holds("equals", "incident.trigger", "$.event.event_type", incident));
  CHECK(holds("equals", "2", "$.event.data.number", incident));
  CHECK(holds("equals", "1.5", "$.event.data.score", incident));
  CHECK(holds("equals", "true", "$.event.data.ok", incident));
  CHECK(holds("equals", "[\\\"db\\\",\\\"prod\\\"]", "$.event.data.labels", incident));
  CHECK_FALSE(holds("equals", "", "$.event.data.missing", incident));
  CHECK_FALSE(holds("equals", "null", "$.event.data.priority", incident));
  CHECK(holds("matches", "high", "$.event.data.urgency", incident)); // Rundeck's old name
  CHECK(holds("equals", "high", "event.data.urgency", incident));    // Jayway adds the $.
}

TEST_CASE("contains is substring for text and membership for lists", "[conditions]") {
  CHECK(holds("contains", "Database", "$.event.data.title", incident));
  CHECK(holds("contains", "Database down", "$.event.data.title", incident));
  CHECK_FALSE(holds("contains", "database", "$.event.data.title", incident));
  CHECK(holds("contains", "prod", "$.event.data.labels", incident));
  CHECK_FALSE(holds("contains", "pro", "$.event.data.labels", incident)); // whole elements only
  CHECK(holds("contains", "T2", "$.event.data.teams[*].id", incident));
  CHECK_FALSE(holds("contains", "T3", "$.event.data.teams[*].id", incident));
  CHECK_FALSE(holds("contains", "x", "$.event.data.missing", incident));
}

TEST_CASE("exists means present and not null; its value is ignored", "[conditions]") {
  CHECK(holds("exists", ".", "$.event.data.id", incident));
  CHECK(holds("exists", "", "$.event.data.ok", incident));
  CHECK_FALSE(holds("exists", ".", "$.event.data.priority", incident));
  CHECK_FALSE(holds("exists", ".", "$.event.data.missing", incident));
  CHECK(holds("exists", ".", "$.event.data.teams[*]", incident));
  CHECK_FALSE(holds("exists", ".", "$.event.data.nothing[*]", incident));
}

TEST_CASE("isA checks the field's type", "[conditions]") {
  CHECK(holds("isA", "string", "$.event.data.id", incident));
  CHECK(holds("isA", "number", "$.event.data.number", incident));
  CHECK(holds("isA", "map", "$.event.data", incident));
  CHECK(holds("isA", "list", "$.event.data.teams", incident));
  CHECK(holds("isA", "null", "$.event.data.priority", incident));
  CHECK(holds("isA", "null", "$.event.data.missing", incident));
  CHECK_FALSE(holds("isA", "string", "$.event.data.number", incident));
  CHECK_FALSE(holds("isA", "string", "$.event.data.ok", incident)); // booleans are none of the five
  CHECK(holds("isA", "string, number", "$.event.data.number", incident));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a","condition":"isA","value":"boolean"}]}]})"),
                    Contains("rules[0].conditions[0].value: isA value must be in [string, number, map, list, null]"));
}

TEST_CASE("dateTimeAfter and dateTimeBefore compare instants", "[conditions]") {
  CHECK(holds("dateTimeAfter", "2024-05-01T11:59:59Z", "$.event.data.created_at", incident));
  CHECK_FALSE(holds("dateTimeAfter", "2024-05-01T12:00:00Z", "$.event.data.created_at", incident));
  CHECK(holds("dateTimeBefore", "2024-05-01T14:00:01+02:00", "$.event.data.created_at", incident));
  CHECK(holds("dateTimeAfter", "2024-05-01T11:00:00Z", "$.event.data.epoch", incident)); // epoch ms field
  CHECK(holds("dateTimeBefore", "1714564800001", "$.event.data.created_at", incident));  // epoch ms value
  CHECK_FALSE(holds("dateTimeAfter", "2024-01-01T00:00:00Z", "$.event.data.title", incident));
  CHECK_FALSE(holds("dateTimeAfter", "2024-01-01T00:00:00Z", "$.event.data.missing", incident));
  // rdwh extension: relative to the host clock.
  const int64_t may1_13h = 1714568400000;
  CHECK(holds("dateTimeAfter", "now-2h", "$.event.data.created_at", incident, may1_13h));
  CHECK_FALSE(holds("dateTimeAfter", "now-30m", "$.event.data.created_at", incident, may1_13h));
  CHECK(holds("dateTimeBefore", "now", "$.event.data.created_at", incident, may1_13h));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a","condition":"dateTimeAfter","value":"soon"}]}]})"),
                    Contains("rules[0].conditions[0].value: 'soon' is not a date-time"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a","condition":"dateTimeAfter","value":"now-5y"}]}]})"),
                    Contains("is not a date-time"));
}

TEST_CASE("policies, empty conditions and empty paths follow Rundeck", "[rules]") {
  auto config = compile(R"({"rules":[
    {"name":"all","jobId":"j","policy":"all","conditions":[
       {"path":"$.event.event_type","condition":"equals","value":"incident.triggered"},
       {"path":"$.event.data.urgency","condition":"equals","value":"low"}]},
    {"name":"any","jobId":"j","policy":"any","conditions":[
       {"path":"$.event.event_type","condition":"equals","value":"incident.triggered"},
       {"path":"$.event.data.urgency","condition":"equals","value":"low"}]},
    {"name":"no conditions","jobId":"j","conditions":[]},
    {"name":"no conditions key","jobId":"j"},
    {"name":"empty path holds","jobId":"j","conditions":[{"path":"","condition":"equals","value":"x"}]},
    {"name":"disabled","jobId":"j","enabled":false},
    {"name":"disabled as text","jobId":"j","enabled":"false"}]})");
  CHECK(fired(config, incident) ==
        std::vector<std::string>{"any", "no conditions", "no conditions key", "empty path holds"});
}

TEST_CASE("nested groups and negate (rdwh extensions)", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"triggered, not low, P1 or DB","jobId":"j","conditions":[
      {"path":"$.event.event_type","condition":"equals","value":"incident.triggered"},
      {"path":"$.event.data.urgency","condition":"equals","value":"low","negate":true},
      {"policy":"any","conditions":[
         {"path":"$.event.data.priority.summary","condition":"equals","value":"P1"},
         {"path":"$.event.data.title","condition":"contains","value":"Database"}]}]}]})");
  CHECK(fired(config, incident) == std::vector<std::string>{"triggered, not low, P1 or DB"});
  auto negated_group = compile(R"({"rules":[{"name":"n","jobId":"j","conditions":[
      {"negate":true,"policy":"any","conditions":[{"path":"$.event.data.urgency","condition":"equals","value":"high"}]}]}]})");
  CHECK(fired(negated_group, incident).empty());
}

TEST_CASE("jobs carry rendered options, filter, user and the event id", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"r","jobId":"${data.event.data.id}-job",
     "jobOptions":[{"name":"id","value":"$.event.data.id"},{"name":"title","value":"T: ${data.event.data.title}"},
                   {"name":"id","value":"second wins"},{"name":"num","value":7}],
     "nodeFilter":"tags: ${data.event.data.urgency}","user":"bot"}]})");
  auto doc = parse_json(incident);
  Delivery delivery;
  delivery.headers = {{"X-Webhook-Id", "wh-9"}};
  auto evaluation = rdwh::test::run(config, doc, delivery, {}, false);
  REQUIRE(evaluation.job_count() == 1);
  const auto job = evaluation.jobs()[0];
  CHECK(job.job_id == "P1-job");
  CHECK(job.options == std::vector<std::pair<std::string, std::string>>{{"id", "second wins"}, {"title", "T: Database down"}, {"num", "7"}});
  CHECK(job.filter == "tags: high");
  CHECK(job.as_user == "bot");
  CHECK(job.event_id == "wh-9");
  REQUIRE(config.diagnostics.size() == 1);
  CHECK(config.diagnostics[0].kind == rdwh::Diagnostic::Kind::ignored);
  CHECK_THAT(config.diagnostics[0].message, Contains("option 'id' given twice"));
}

TEST_CASE("job options may also be a map of name to value", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"r","jobId":"j","jobOptions":{"id":"$.event.data.id","n":3}}]})");
  auto doc = parse_json(incident);
  auto evaluation = rdwh::test::run(config, doc, Delivery{}, {}, false);
  REQUIRE(evaluation.job_count() == 1);
  CHECK(evaluation.jobs()[0].options == std::vector<std::pair<std::string, std::string>>{{"id", "P1"}, {"n", "3"}});
  CHECK_THROWS_WITH(compile(R"({"rules":[{"jobOptions":{"x":[1]}}]})"), Contains("rules[0].jobOptions.x: must be a string"));
}

TEST_CASE("a rule without a job fires nothing and says why", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"PagerDuty Example Action","jobId":"","conditions":[]}]})");
  auto doc = parse_json(incident);
  auto evaluation = rdwh::test::run(config, doc, Delivery{}, {}, true);
  CHECK(evaluation.jobs().empty());
  CHECK_THAT(evaluation.explanation, Contains("the rule has no job"));
}

TEST_CASE("batch keys split and flatten; event ids come from eventIdKey, header, own id", "[rules]") {
  const std::string payload = R"({"messages":[{"id":"m1","event":"incident.trigger"},{"id":"m2","event":"incident.resolve"},)"
                              R"({"id":"m3","event":"incident.trigger"}],"nested":{"items":[{"alerts":[{"a":1},{"a":2}]},{"alerts":[[{"a":3}]]}]}})";
  auto doc = parse_json(payload);
  auto own_id = rdwh::json::JsonPath::compile("$.id");

  auto v2 = compile(R"({"batchKey":"messages","rules":[{"name":"t","jobId":"j","conditions":[{"path":"$.event","condition":"equals","value":"incident.trigger"}]}]})");
  auto e1 = rdwh::test::run(v2, doc, Delivery{}, {&own_id}, false);
  REQUIRE(e1.job_count() == 2);
  CHECK(e1.jobs()[0].event_id == "m1");
  CHECK(e1.jobs()[0].event_index == 0);
  CHECK(e1.jobs()[1].event_id == "m3");
  CHECK(e1.jobs()[1].event_index == 2);

  Delivery with_header;
  with_header.headers = {{"x-webhook-id", "delivery-7"}};
  auto e2 = rdwh::test::run(v2, doc, with_header, {&own_id}, false);
  CHECK(e2.jobs()[0].event_id == "delivery-7");

  auto keyed = compile(R"({"batchKey":"$.messages","eventIdKey":"$.event","rules":[{"name":"all","jobId":"j"}]})");
  auto e3 = rdwh::test::run(keyed, doc, with_header, {&own_id}, false);
  REQUIRE(e3.job_count() == 3);
  CHECK(e3.jobs()[1].event_id == "incident.resolve");

  auto deep = compile(R"({"batchKey":"$.nested.items[*].alerts","rules":[{"name":"r","jobId":"j","jobOptions":[{"name":"a","value":"$.a"}]}]})");
  auto e4 = rdwh::test::run(deep, doc, Delivery{}, {}, false);
  REQUIRE(e4.job_count() == 3);
  CHECK(e4.jobs()[2].options[0].second == "3");

  auto missing = compile(R"({"batchKey":"$.nothing","rules":[{"name":"r","jobId":"j"}]})");
  auto e5 = rdwh::test::run(missing, doc, Delivery{}, {}, true);
  CHECK(e5.jobs().empty());
  CHECK_THAT(e5.error, Contains("Batch Key Path Missing"));
}

TEST_CASE("limits: batch items and rendered value size", "[rules][limits]") {
  auto doc = parse_json(R"({"items":[1,2,3,4,5],"text":"0123456789"})");
  auto config = compile(R"({"batchKey":"$.items","limits":{"maxBatchItems":4},"rules":[{"name":"r","jobId":"j"}]})");
  auto e = rdwh::test::run(config, doc, Delivery{}, {}, false);
  CHECK(e.limit_exceeded);
  CHECK(e.jobs().empty());
  CHECK_THAT(e.error, Contains("more than 4 items"));

  auto values = compile(R"({"limits":{"maxValueBytes":5},"rules":[{"name":"r","jobId":"j","jobOptions":[{"name":"t","value":"$.text"}]}]})");
  auto e2 = rdwh::test::run(values, doc, Delivery{}, {}, false);
  CHECK(e2.limit_exceeded);
  CHECK_THAT(e2.error, Contains("over 5 bytes"));

  CHECK_THROWS_WITH(compile(R"({"limits":{"maxRules":1},"rules":[{},{}]})"), Contains("2 rules exceed the limit of 1"));
  CHECK_THROWS_WITH(compile(R"({"limits":{"maxBodyBytes":-1}})"), Contains("limits.maxBodyBytes: must be a positive integer"));
}

TEST_CASE("the explanation shows every condition with the value received", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"r","jobId":"j","conditions":[
      {"path":"$.event.event_type","condition":"equals","value":"incident.triggered"},
      {"path":"$.event.data.urgency","condition":"equals","value":"low"},
      {"path":"$.event.data.nope","condition":"exists","value":"."}]},{"name":"off","enabled":false}]})");
  auto doc = parse_json(incident);
  auto evaluation = rdwh::test::run(config, doc, Delivery{}, {}, true);
  auto explained = parse_json(evaluation.explanation);
  REQUIRE(explained.IsArray());
  const auto &rules = explained[0]["rules"];
  CHECK(rules[0]["satisfied"].GetBool() == false);
  const auto &conditions = rules[0]["conditions"];
  CHECK(conditions[0]["satisfied"].GetBool());
  CHECK(std::string(conditions[0]["received"].GetString()) == "incident.triggered");
  CHECK_FALSE(conditions[1]["satisfied"].GetBool());
  CHECK(std::string(conditions[1]["received"].GetString()) == "high");
  // Rundeck's conditions read a missing last member as null (DEFAULT_PATH_LEAF_TO_NULL).
  CHECK(conditions[2]["found"].GetBool());
  CHECK(conditions[2]["received"].IsNull());
  CHECK_FALSE(conditions[2]["satisfied"].GetBool());
  CHECK(rules[1]["enabled"].GetBool() == false);
  CHECK_FALSE(rules[1].HasMember("conditions"));
}

TEST_CASE("debug rules log their evaluation", "[rules]") {
  auto config = compile(R"({"rules":[{"name":"dbg","debug":true,"jobId":"j","conditions":[{"path":"$.event.data.urgency","condition":"equals","value":"low"}]}]})");
  auto doc = parse_json(incident);
  const std::vector<std::string> lines = rdwh::test::run(config, doc).debug;
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Contains("rule 'dbg' on event 0") && Contains("not satisfied") && Contains("received 'high'"));
}

TEST_CASE("config errors name the field", "[config]") {
  CHECK_THROWS_WITH(compile("[1]"), Contains("config: must be a map"));
  CHECK_THROWS_WITH(compile("{"), Contains("config: is not valid JSON"));
  // Hand-written configs get a line and column, counted in the text as given.
  CHECK_THROWS_WITH(compile("\n  {\"rules\": [\n    {\"name\": \"a\" \"jobId\": \"j\"}]}"),
                    Contains("config: is not valid JSON: Missing a comma or '}' after an object member at line 3, "
                             "column 18"));
  CHECK_THROWS_WITH(compile(R"({"rules":{}})"), Contains("rules: must be a list"));
  CHECK_THROWS_WITH(compile(R"({"rules":[1]})"), Contains("rules[0]: must be a map"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"policy":"most"}]})"), Contains("rules[0].policy: must be 'all' or 'any'"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a","condition":"regex","value":"x"}]}]})"),
                    Contains("rules[0].conditions[0].condition: unknown condition 'regex' (known: equals,"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a"}]}]})"), Contains("rules[0].conditions[0].condition: is required"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"conditions":[{"path":"$.a[","condition":"exists"}]}]})"), Contains("rules[0].conditions[0].path:"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{},{"jobOptions":[{"value":"x"}]}]})"), Contains("rules[1].jobOptions[0].name: is required"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"jobOptions":[{"name":"a","value":"${nope}"}]}]})"), Contains("rules[0].jobOptions[0].value: unsupported"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"enabled":"maybe"}]})"), Contains("rules[0].enabled: must be true or false"));
  CHECK_THROWS_WITH(compile(R"({"batchKey":"$.["})"), Contains("batchKey:"));
  CHECK_THROWS_AS(compile(R"({"rules":[{"nodeFilter":{}}]})"), rdwh::ConfigError);
}

TEST_CASE("config as Rundeck stores it: a JSON string, unknown keys, empty text", "[config]") {
  auto config = compile(R"("{\"rules\":[{\"name\":\"r\",\"jobId\":\"j\",\"uuid\":\"u\",\"jobName\":\"n\"}]}")");
  CHECK(config.rules.size() == 1);
  CHECK(config.diagnostics.empty()); // uuid and jobName are Rundeck's own keys
  auto with_unknown = compile(R"({"rulez":[],"rules":[{"condtions":[],"jobid":"j"}]})");
  using Kind = rdwh::Diagnostic::Kind;
  REQUIRE(with_unknown.diagnostics.size() == 4);
  const auto &d = with_unknown.diagnostics;
  CHECK(d[0].kind == Kind::unknown_key);
  CHECK(d[0].field == "rulez");
  CHECK(d[0].suggestion == "rules");
  CHECK(d[0].message == "config: unknown key 'rulez' ignored (did you mean 'rules'?)");
  CHECK(d[1].field == "rules[0].condtions");
  CHECK(d[1].suggestion == "conditions");
  CHECK(d[1].rule == "Rule 1");
  CHECK(d[2].field == "rules[0].jobid");
  CHECK(d[2].suggestion == "jobId"); // case alone
  CHECK(d[3].kind == Kind::rule_without_job);
  CHECK(d[3].message == "rules[0]: rule 'Rule 1' is enabled but has no jobId: it runs nothing");
  CHECK(compile(R"({"rules":[{"enabled":false}]})").diagnostics.empty()); // a disabled rule needs no job
  CHECK(compile("").rules.empty());
  CHECK(compile(R"({"returnProcessingInfo":"true"})").return_processing_info);
}

TEST_CASE("${KS:...} references are replaced from key storage and never quoted", "[config]") {
  CompileOptions options;
  options.lookup_secret = [](std::string_view path) -> std::optional<rdwh::Secret> {
    if (path == "keys/token") return rdwh::Secret("s3cr3t-value");
    if (path == "keys/policy") return rdwh::Secret("most-s3cr3t");
    return std::nullopt;
  };
  auto config = compile(R"({"rules":[{"name":"r","jobId":"j","jobOptions":[{"name":"token","value":"Bearer ${KS:keys/token}"}]}]})", options);
  auto doc = parse_json("{}");
  auto e = rdwh::test::run(config, doc, Delivery{}, {}, false);
  CHECK(e.jobs()[0].options[0].second == "Bearer s3cr3t-value");

  try {
    compile(R"({"rules":[{"policy":"${KS:keys/policy}"}]})", options);
    FAIL("expected a config error");
  } catch (const rdwh::ConfigError &error) {
    CHECK_THAT(error.what(), Contains("rules[0].policy"));
    CHECK_THAT(error.what(), !Contains("s3cr3t"));
  }
  // A list holding a key-storage value, where a boolean belongs: named by its type, not quoted.
  try {
    compile(R"({"rules":[{"debug":[{"value":"${KS:keys/token}"}]}]})", options);
    FAIL("expected a config error");
  } catch (const rdwh::ConfigError &error) {
    CHECK_THAT(error.what(), Contains("rules[0].debug: must be true or false, not a list"));
    CHECK_THAT(error.what(), !Contains("s3cr3t"));
  }
  CHECK_THROWS_WITH(compile(R"({"rules":[{"user":"${KS:keys/absent}"}]})", options),
                    Contains("rules[0].user: key storage has no key 'keys/absent'"));
  CHECK_THROWS_WITH(compile(R"({"rules":[{"user":"${KS:keys/x}"}]})"), Contains("host provides none"));
}

TEST_CASE("J1, J4 and C2 in rules: what Rundeck's conditions and options give", "[rules][jayway-2.10]") {
  // J1: first() of an empty list behind an index step finds nothing; the job runs with "".
  auto config = compile(R"J({"rules":[{"name":"r","jobId":"j",
      "jobOptions":[{"name":"ctx","value":"$.messages[0].log_entries[0].contexts.first()"}]}]})J");
  auto doc = parse_json(R"({"messages":[{"log_entries":[{"contexts":[]}]}]})");
  const auto jobs = rdwh::test::run(config, doc).jobs();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].options == std::vector<std::pair<std::string, std::string>>{{"ctx", ""}});
  // J4: a step after "()" finds nothing, so the condition does not hold.
  CHECK_FALSE(holds("equals", "Ann", "$.a.first().s", R"({"a":[{"s":"Ann"}]})"));
  CHECK(holds("equals", "Ann", "$.a[0].s", R"({"a":[{"s":"Ann"}]})"));
  // C2: DEFAULT_PATH_LEAF_TO_NULL: a missing last member of an indefinite path is null.
  const std::string p = R"({"p":[{"t":["x"]},{"t":"x"},{}]})";
  CHECK_FALSE(holds("equals", R"([[\"x\"],\"x\"])", "$.p[*].t", p));
  CHECK(holds("equals", R"([[\"x\"],\"x\",null])", "$.p[*].t", p));
  CHECK(holds("equals", R"([{}])", "$.p[?(@.t == null)]", p)); // filter operands too
  CHECK(holds("equals", R"([{\"t\":\"x\"}])", "$.p[?(@.t == 'x')]", p));
  CHECK(holds("equals", R"([{\"t\":[\"x\"]},{\"t\":\"x\"}])", "$.p[?(@.t)]", p)); // existence: no null
}
