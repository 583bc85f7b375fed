#include "rules/value_expr.hpp"

#include "base/error.hpp"
#include "pipeline/render.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using rdwh::pipeline::Delivery;
using rdwh::rules::ValueExpr;

namespace {

struct Fixture {
  rapidjson::Document event = rdwh::test::parse_json(
      R"({"event":{"id":"E1","event_type":"incident.triggered","data":{"id":"PGR0VU2","number":2,"urgency":"high",)"
      R"("title":"Disk full","priority":null,"teams":[{"id":"T1"},{"id":"T2"}],"conference_bridge":{"conference_number":1000}}},)"
      R"("list":[1,2,3],"weird key":"w","price":1.50})");
  Delivery delivery;
  Fixture() {
    delivery.body = "{raw body}";
    delivery.delivery_id = "d-123";
    delivery.webhook_name = "PagerDuty";
    delivery.project = "ops";
    delivery.sender = "203.0.113.9";
    delivery.received_unix_ms = 1700000000000;
    delivery.headers = {{"X-Custom", "custom value"}, {"x-webhook-id", "wh-1"}};
  }
  // Renders into `out`; whether it fit within `max`. A value that cannot be rendered gives
  // "failed: <why>".
  bool render_into(const ValueExpr &expr, std::string &out, std::size_t max) {
    rdwh::pipeline::Event e;
    e.value = &event;
    const rdwh::json::PathTable no_paths; // the value's paths have no slot: each is selected when rendered
    rdwh::pipeline::Selections selections(no_paths);
    rdwh::Checked<rdwh::pipeline::ValueRender> rendered = rdwh::pipeline::render_value(expr, e, delivery, selections, out, max);
    REQUIRE(rendered);
    if (rendered->failure) out = "failed: " + *rendered->failure;
    return rendered->fits;
  }
  std::string render(const char *text, rdwh::rules::TemplateOptions options = {}) {
    std::string out;
    CHECK(render_into(ValueExpr::compile(text, options), out, 1 << 20));
    return out;
  }
  std::string render_empty_for_missing(const char *text) {
    rdwh::rules::TemplateOptions options;
    options.empty_for_missing = true;
    return render(text, options);
  }
};

} // namespace

TEST_CASE_METHOD(Fixture, "a leading $ makes the whole value a JsonPath", "[template]") {
  CHECK(render("$.event.data.id") == "PGR0VU2");
  CHECK(render("$.event.data.number") == "2");
  CHECK(render("$.price") == "1.5");
  CHECK(render("$.event.data.teams[*].id") == R"(["T1","T2"])");
  CHECK(render("$.event.data.conference_bridge") == R"({"conference_number":1000})");
  CHECK(render("$.event.data.missing.deeper").empty());
  CHECK(render("$.event.data.priority") == "null"); // an explicit null is Java's null.toString()
  CHECK(render("$").substr(0, 10) == R"({"event":{)");
}

TEST_CASE_METHOD(Fixture, "templates reference data, paths, the body and the webhook", "[template]") {
  CHECK(render("Incident ${data.event.data.id}: ${data.event.data.title}") == "Incident PGR0VU2: Disk full");
  CHECK(render("${data.event.data.teams[1].id}") == "T2");
  CHECK(render("${data['weird key']}") == "w");
  CHECK(render("${data.event?.data?.urgency}") == "high");
  CHECK(render("short $data.event.data.urgency form") == "short high form");
  CHECK(render("${path('$.event.data.teams[0].id')}") == "T1");
  CHECK(render("${path(\"$.list\")}") == "[1, 2, 3]"); // Groovy renders lists in templates
  CHECK(render("body=${raw}") == "body={raw body}");
  CHECK(render("${webhook.id} ${webhook.name} ${webhook.project} ${webhook.sender} ${webhook.timestamp}") ==
        "d-123 PagerDuty ops 203.0.113.9 1700000000000");
  CHECK(render("${webhook['X-Custom']}|${webhook['X-WEBHOOK-ID']}|${webhook['absent']}") == "custom value|wh-1|null");
}

TEST_CASE_METHOD(Fixture, "missing data renders as Groovy does: null, and a member of null fails", "[template]") {
  CHECK(render("[${data.nope}]") == "[null]");
  CHECK(render("[${data.list[10]}]") == "[null]");
  CHECK(render("[${data.event.data.priority}]") == "[null]");
  CHECK(render("[${data.nope?.deeper}]") == "[null]");
  CHECK(render("[${data.nope.deeper.still}]") == "failed: Cannot get property 'deeper' on null object");
  CHECK(render("${data.nope?.deeper.still}") == "failed: Cannot get property 'still' on null object");
  CHECK(render("${data.event.data.priority[0]}") == "failed: Cannot invoke method getAt() on null object");
  CHECK(render("${data.list[-4]}") == "failed: Negative array index [-4] too large for array size 3");
  CHECK(render("${data.event.data.title.x}") == "failed: No such property: x for class: java.lang.String");
  CHECK(render("${data.event.data.number.x}") == "failed: No such property: x for class: java.lang.Integer");
  CHECK(render("${path('$.nope')}") == "failed: No results for path: $.nope");
  CHECK(render("${path('$.event.data.priority')}") == "null");
  // missingValues: "empty": nothing for a missing or null value, and nothing fails.
  CHECK(render_empty_for_missing("[${data.nope.deeper.still}|${data.list[10]}|${data.event.data.priority}]") == "[||]");
  CHECK(render_empty_for_missing("[${path('$.nope')}|${webhook['absent']}]") == "[|]");
  CHECK(render_empty_for_missing("$.nope").empty()); // JsonPath values are Rundeck's either way
}

TEST_CASE_METHOD(Fixture, "Groovy property access: lists spread a member, strings index characters", "[template]") {
  CHECK(render("${data.event.data.teams.id}") == "[T1, T2]");
  CHECK(render("${data.event.data.teams['id']}") == "[T1, T2]");
  CHECK(render("${data.event.data.teams.nope}") == "[null, null]");
  CHECK(render("${data.list.x}") == "failed: No such property: x for class: java.lang.Integer");
  CHECK(render("${data.event.data.title[0]}${data.event.data.title[-1]}") == "Dl");
  CHECK(render("${data.event.data.title[99]}") == "failed: String index out of range: 99");
  CHECK(render("${data.event.data[0]}") == "null"); // a map has no integer keys
  CHECK(render("${ data . event . data . urgency }") == "high");
}

// Groovy 4 (Rundeck's) reads a quoted name after '.' as the property of that name, and a name of
// Unicode letters as any other name.
TEST_CASE_METHOD(Fixture, "Groovy property access by a quoted or a non-ASCII name", "[template]") {
  event = rdwh::test::parse_json(R"({"d":{"s":"v","\u00fc":"u","a b":"spaced"}})");
  CHECK(render("${data.d.'s'}") == "v");
  CHECK(render("${data.d.\"s\"}") == "v");
  CHECK(render("${data.d.\xc3\xbc}") == "u");
  CHECK(render("is $data.d.\xc3\xbc") == "is u"); // the short form too
  CHECK(render("${data.d?.'a b'}") == "spaced");
  CHECK(render("${data.d.'nope'}") == "null");
  using Catch::Contains;
  CHECK_THROWS_WITH(ValueExpr::compile("${data.d.\"${data.x}\"}"), Contains("is Groovy code"));
  CHECK_THROWS_WITH(ValueExpr::compile("${data.d.'s}"), Contains("unterminated"));
}

TEST_CASE_METHOD(Fixture, "templates render lists and maps as Groovy does; JsonPath values as JSON", "[template]") {
  CHECK(render("${data.event.data.teams}") == "[[id:T1], [id:T2]]");
  CHECK(render("${data.event.data.conference_bridge}") == "[conference_number:1000]");
  CHECK(render("${path('$.event.data.teams[*].id')}") == "[T1, T2]");
  CHECK(render("$.event.data.teams") == R"([{"id":"T1"},{"id":"T2"}])");
}

TEST_CASE_METHOD(Fixture, "escapes and plain text", "[template]") {
  CHECK(render("\\${data.event.data.id} leads") == "PGR0VU2 leads"); // a leading \$ only means "template"
  CHECK(render("\\$.event.data.id") == "$.event.data.id");
  CHECK(render("costs \\${data.x} and \\$5") == "costs ${data.x} and $5");
  // Groovy's escapes in the text, as SimpleTemplateEngine puts it in a """...""" string.
  CHECK(render("a\\nb\\tc\\\\d\\'e\\u00e9\\101") == "a\nb\tc\\d'e\xc3\xa9" "A");
  CHECK(render("q\\\"q") == "q\\\"q"); // the engine escapes quotes itself: \" keeps its backslash
  CHECK(render("50% <b>") == "50% <b>");
  CHECK(render("plain text") == "plain text");
  CHECK(render("").empty());
  CHECK(ValueExpr::compile("plain").is_literal());
  CHECK_FALSE(ValueExpr::compile("${raw}").is_literal());
}

TEST_CASE_METHOD(Fixture, "rendering stops at the output limit", "[template]") {
  ValueExpr expr = ValueExpr::compile("${raw}${raw}${raw}");
  std::string out;
  CHECK_FALSE(render_into(expr, out, 15));
  CHECK(out.size() == 15);
}

TEST_CASE("bad templates fail at compile time with a reason", "[template]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(ValueExpr::compile("${data.x"), Contains("unterminated"));
  CHECK_THROWS_WITH(ValueExpr::compile("${foo.bar}"), Contains("unsupported template expression 'foo.bar'"));
  CHECK_THROWS_WITH(ValueExpr::compile("${webhook.secret}"), Contains("unknown webhook field"));
  CHECK_THROWS_WITH(ValueExpr::compile("${data.}"), Contains("expected a name"));
  CHECK_THROWS_WITH(ValueExpr::compile("${data[x]}"), Contains("expected an index"));
  CHECK_THROWS_WITH(ValueExpr::compile("${path($.a)}"), Contains("path('<JsonPath>')"));
  CHECK_THROWS_AS(ValueExpr::compile("$.a[?(@.b ==]"), rdwh::SyntaxError);
}

TEST_CASE("what Rundeck would run as Groovy code, or cannot compile, is refused", "[template]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(ValueExpr::compile("<% if (data) { %>yes<% } %>"), Contains("Groovy scriptlets (<% ... %>, <%= ... %>) are code"));
  CHECK_THROWS_WITH(ValueExpr::compile("n=<%= data.size() %>"), Contains("Groovy scriptlets"));
  CHECK_THROWS_WITH(ValueExpr::compile("${data.event.data.title.toUpperCase()}"),
                    Contains("method calls ('data.event.data.title.toUpperCase()') are Groovy code: rdwh does not run Groovy code"));
  CHECK_THROWS_WITH(ValueExpr::compile("${1 + 1}"), Contains("unsupported template expression '1 + 1'"));
  CHECK_THROWS_WITH(ValueExpr::compile("${data.a + 1}"), Contains("unexpected '+'"));
  CHECK_THROWS_WITH(ValueExpr::compile("costs 5$"), Contains("a '$' at 7 starts neither ${...} nor a name"));
  CHECK_THROWS_WITH(ValueExpr::compile("a $ b"), Contains("write \\$ for a dollar sign"));
  CHECK_THROWS_WITH(ValueExpr::compile("C:\\dir"), Contains("'\\d' at 2 is not a Groovy escape"));
  CHECK_THROWS_WITH(ValueExpr::compile("ends\\"), Contains("cannot end with '\\'"));
}

TEST_CASE_METHOD(Fixture, "webhook-run-job reads every value as a template", "[template]") {
  rdwh::rules::TemplateOptions options;
  options.always_template = true;
  CHECK(render("$data.event.data.id", options) == "PGR0VU2");
  CHECK_THROWS_WITH(ValueExpr::compile("$.event.data.id", options), Catch::Contains("starts neither"));
  CHECK(render("\\${data.event.data.id}", options) == "${data.event.data.id}"); // Groovy's escaped dollar
}
