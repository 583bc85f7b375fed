// Tests of the Jayway-dialect JsonPath compiler and evaluator (plugin/src/json/jsonpath.*).
#include "base/error.hpp"
#include "json/jsonpath.hpp"
#include "json/rapidjson.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#endif

using rdwh::json::Document;
using rdwh::json::JsonPath;
using rdwh::json::PathLimits;
using rdwh::json::Selection;
using rdwh::json::Value;
using Strings = std::vector<std::string>;

namespace {

// PagerDuty V3 webhook (trimmed, plus a few extra fields to exercise edge cases).
const char *const kV3 = R"({
  "event": {
    "id": "01DEN4HPBQAJ8S6NGGDQO1VJ4Y",
    "event_type": "incident.triggered",
    "resource_type": "incident",
    "occurred_at": "2020-10-02T18:45:22.169Z",
    "agent": null,
    "data": {
      "id": "PGR0VU2",
      "type": "incident",
      "number": 2,
      "title": "A little bump in the road",
      "status": "triggered",
      "urgency": "high",
      "priority": {"id": "P1X", "summary": "P1"},
      "teams": [{"id": "T1", "summary": "Ops"}, {"id": "T2", "summary": "Web"}],
      "assignees": [
        {"id": "PTUXL6G", "type": "user_reference", "summary": "Alice"},
        {"id": "PAIXXX", "type": "user_reference", "summary": "bob"}
      ],
      "service": {"id": "PF9KMXH", "summary": "API Service"},
      "custom.field": "dotted",
      "my key": "spaced",
      "conference_bridge": null,
      "escalation_level": 1,
      "score": 2.5,
      "is_major": false,
      "tags": ["db", "prod"]
    }
  }
})";

// PagerDuty V2 webhook (trimmed).
const char *const kV2 = R"({
  "messages": [
    {"id": "m1", "event": "incident.trigger",
     "incident": {"id": "P1", "urgency": "high", "incident_number": 10, "status": "triggered",
                  "service": {"name": "API"}}},
    {"id": "m2", "event": "incident.acknowledge",
     "incident": {"id": "P2", "urgency": "low", "incident_number": 11, "status": "acknowledged",
                  "service": {"name": "DB"}}},
    {"id": "m3", "event": "incident.resolve",
     "incident": {"id": "P3", "urgency": "high", "incident_number": 12, "status": "resolved",
                  "service": {"name": "API"}},
     "log_entries": []}
  ],
  "wanted": "low",
  "allowed": ["P1", "P2"]
})";

Document parse(const char *json) {
  Document doc;
  doc.Parse(json);
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string dump(const Value &v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return buffer.GetString();
}

// The values an indefinite path selects, as compact JSON.
Strings many(const char *path, const Value &root) {
  const JsonPath compiled = JsonPath::compile(path);
  INFO("path: " << path);
  REQUIRE_FALSE(compiled.definite());
  const Selection s = *compiled.select(root);
  REQUIRE(s.kind == Selection::Kind::list);
  Strings out;
  for (const Value *v : s.list) out.push_back(dump(*v));
  return out;
}

// The value a definite path selects as compact JSON, or nullopt when missing.
std::optional<std::string> one(const char *path, const Value &root) {
  const JsonPath compiled = JsonPath::compile(path);
  INFO("path: " << path);
  REQUIRE(compiled.definite());
  const Selection s = *compiled.select(root);
  REQUIRE(s.kind != Selection::Kind::list);
  REQUIRE(s.list.empty());
  if (s.kind == Selection::Kind::missing) {
    REQUIRE(s.single == nullptr);
    return std::nullopt;
  }
  REQUIRE(s.single != nullptr);
  return dump(*s.single);
}

std::string syntaxError(const char *path) {
  try {
    (void)JsonPath::compile(path);
  } catch (const rdwh::SyntaxError &e) {
    return e.what();
  }
  FAIL("no SyntaxError for: " << path);
  return {};
}

} // namespace

TEST_CASE("jsonpath: definite dot paths and the implicit $. prefix", "[jsonpath]") {
  const Document v3 = parse(kV3);
  const Document v2 = parse(kV2);

  CHECK(one("$.event.id", v3) == R"("01DEN4HPBQAJ8S6NGGDQO1VJ4Y")");
  CHECK(one("$.event.data.priority.summary", v3) == R"("P1")");
  CHECK(one("$.event.data.number", v3) == "2");

  // Jayway prepends `$.` to a path that starts with neither `$` nor `@`.
  const JsonPath implicit = JsonPath::compile("event.event_type");
  CHECK(implicit.text() == "$.event.event_type");
  CHECK(one("event.event_type", v3) == R"("incident.triggered")");
  CHECK(JsonPath::compile("messages").text() == "$.messages");
  CHECK(one("messages[1].incident.id", v2) == R"("P2")");
  CHECK(JsonPath::compile("['event']").text() == "$.['event']");
  CHECK(one("['event'].id", v3) == R"("01DEN4HPBQAJ8S6NGGDQO1VJ4Y")");
  // Surrounding whitespace is trimmed, as Jayway does.
  CHECK(JsonPath::compile("  $.event.id\n").text() == "$.event.id");

  // `$` alone is the root; `@` at top level also starts at the root.
  const Selection root = *JsonPath::compile("$").select(v3);
  REQUIRE(root.kind == Selection::Kind::single);
  CHECK(root.single == &static_cast<const Value &>(v3));
  CHECK(one("@.event.data.id", v3) == R"("PGR0VU2")");
}

TEST_CASE("jsonpath: single points into the document", "[jsonpath]") {
  const Document v3 = parse(kV3);
  const Selection s = *JsonPath::compile("$.event.data.priority").select(v3);
  REQUIRE(s.kind == Selection::Kind::single);
  CHECK(s.single == &v3["event"]["data"]["priority"]);
}

TEST_CASE("jsonpath: bracket names, quotes and escapes", "[jsonpath]") {
  const Document v3 = parse(kV3);
  CHECK(one("$['event']['data'][\"id\"]", v3) == R"("PGR0VU2")");
  CHECK(one("$.event.data['custom.field']", v3) == R"("dotted")");
  CHECK(one("$.event.data['my key']", v3) == R"("spaced")");
  CHECK(one("$[ 'event' ].data[ \"status\" ]", v3) == R"("triggered")");

  const Document odd = parse(R"({"it's": 1, "say \"hi\"": 2, "back\\slash": 3, "café": 4,
                                  "a-b": 5, "1st": 6, "": 7, "x]": 8})");
  CHECK(one(R"($['it\'s'])", odd) == "1");
  CHECK(one(R"($["it's"])", odd) == "1");
  CHECK(one(R"($["say \"hi\""])", odd) == "2");
  CHECK(one(R"($['say "hi"'])", odd) == "2");
  CHECK(one(R"($['back\\slash'])", odd) == "3");
  CHECK(one(R"($['caf\u00e9'])", odd) == "4");
  CHECK(one("$.café", odd) == "4");
  CHECK(one("$.a-b", odd) == "5");
  CHECK(one("$.1st", odd) == "6");
  CHECK(one("$['']", odd) == "7");
  // Dot names take anything but `.` and `[` (Jayway), so `]` is part of the name.
  CHECK(one("$.x]", odd) == "8");
}

TEST_CASE("jsonpath: missing members, wrong types and out-of-range indices", "[jsonpath]") {
  const Document v3 = parse(kV3);
  CHECK_FALSE(one("$.event.nope", v3));
  CHECK_FALSE(one("$.nope.deeper.still", v3));
  CHECK_FALSE(one("$.event.id.length", v3));            // member of a string
  CHECK_FALSE(one("$.event.data.teams.id", v3));        // member of an array
  CHECK_FALSE(one("$.event.data.priority[0]", v3));     // index into an object
  CHECK_FALSE(one("$.event.data.teams[2]", v3));        // past the end
  CHECK_FALSE(one("$.event.data.teams[-3]", v3));       // before the start
  CHECK_FALSE(one("$.event.agent.id", v3));             // member of null
  CHECK_FALSE(one("$['Event']", v3));                   // names are case-sensitive
}

TEST_CASE("jsonpath: a JSON null is found, not missing", "[jsonpath]") {
  const Document v3 = parse(kV3);
  const Selection s = *JsonPath::compile("$.event.agent").select(v3);
  REQUIRE(s.kind == Selection::Kind::single);
  REQUIRE(s.single != nullptr);
  CHECK(s.single->IsNull());
  CHECK(one("$.event.data.conference_bridge", v3) == "null");
}

TEST_CASE("jsonpath: array indices, negative from the end", "[jsonpath]") {
  const Document v3 = parse(kV3);
  CHECK(one("$.event.data.teams[0].id", v3) == R"("T1")");
  CHECK(one("$.event.data.teams[1].id", v3) == R"("T2")");
  CHECK(one("$.event.data.teams[-1].id", v3) == R"("T2")");
  CHECK(one("$.event.data.teams[-2].id", v3) == R"("T1")");
  CHECK(one("$.event.data.tags[ 1 ]", v3) == R"("prod")");
  CHECK(one("$.event.data.assignees[0]['summary']", v3) == R"("Alice")");
}

TEST_CASE("jsonpath: multi-index and multi-name inside a path are indefinite lists", "[jsonpath]") {
  const Document v2 = parse(kV2);
  const Document v3 = parse(kV3);
  CHECK(many("$.messages[0,2].id", v2) == Strings{R"("m1")", R"("m3")"});
  CHECK(many("$.messages[2, 0].id", v2) == Strings{R"("m3")", R"("m1")"});  // order written
  CHECK(many("$.messages[0,9,-1].id", v2) == Strings{R"("m1")", R"("m3")"});  // 9 skipped
  // Not the last step: each name in turn (Jayway's multiPropertyIterationCase).
  CHECK(many("$.event.data['priority','service'].id", v3) == Strings{R"("P1X")", R"("PF9KMXH")"});
  CHECK(many("$.event.data['priority','nope'].id", v3) == Strings{R"("P1X")"});
}

TEST_CASE("jsonpath: a member list at the end is a map of the members present", "[jsonpath]") {
  const Document v3 = parse(kV3);
  // Jayway's multiPropertyMergeCase: a definite path, missing names left out.
  CHECK(one("$.event.data.priority['summary','id','nope']", v3) == R"({"summary":"P1","id":"P1X"})");
  CHECK(one("$.event.data['status', \"urgency\"]", v3) == R"({"status":"triggered","urgency":"high"})");
  CHECK(one("$.event['agent','id']", v3) == R"({"agent":null,"id":"01DEN4HPBQAJ8S6NGGDQO1VJ4Y"})");
  CHECK(one("$.event.data.priority['nope','nada']", v3) == "{}");
  CHECK_FALSE(one("$.event.data.tags['a','b']", v3));  // names of an array: not found
  // After a deep scan: a map from each object that has them all.
  const Document doc = parse(R"({"a": {"x": 1, "y": 2}, "b": [{"x": 3}, {"x": 4, "y": {"z": 5}}]})");
  CHECK(many("$..['x','y']", doc) == Strings{R"({"x":1,"y":2})", R"({"x":4,"y":{"z":5}})"});
}

TEST_CASE("jsonpath: slices clamp to bounds, end exclusive", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[1:3].id", v2) == Strings{R"("m2")", R"("m3")"});
  CHECK(many("$.messages[:2].id", v2) == Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[-2:].id", v2) == Strings{R"("m2")", R"("m3")"});
  CHECK(many("$.messages[1:].id", v2) == Strings{R"("m2")", R"("m3")"});
  CHECK(many("$.messages[0:100].id", v2) == Strings{R"("m1")", R"("m2")", R"("m3")"});
  // Jayway walks a start before the list's beginning up to its end (J2).
  CHECK(many("$.messages[-100:1].id", v2) == Strings{R"("m1")", R"("m2")", R"("m3")", R"("m1")"});
  CHECK(many("$.messages[:-1].id", v2) == Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[2:1]", v2).empty());
  CHECK(many("$.messages[5:]", v2).empty());
  // Straight after definite steps, a slice of a non-array finds nothing at all (Jayway's
  // PathNotFoundException), not an empty list.
  const Selection s = *JsonPath::compile("$.wanted[0:1]").select(v2);
  CHECK(s.kind == Selection::Kind::missing);
}

TEST_CASE("jsonpath: wildcards over objects and arrays", "[jsonpath]") {
  const Document v3 = parse(kV3);
  const Document v2 = parse(kV2);
  CHECK(many("$.event.data.priority.*", v3) == Strings{R"("P1X")", R"("P1")"});
  CHECK(many("$.event.data.priority[*]", v3) == Strings{R"("P1X")", R"("P1")"});
  CHECK(many("$.event.data.teams[*].id", v3) == Strings{R"("T1")", R"("T2")"});
  CHECK(many("$.event.data.teams.*.summary", v3) == Strings{R"("Ops")", R"("Web")"});
  CHECK(many("$.messages[*].incident.id", v2) ==
        Strings{R"("P1")", R"("P2")", R"("P3")"});
  // Elements without the member are skipped, not reported as null.
  CHECK(many("$.messages[*].log_entries", v2) == Strings{"[]"});
  CHECK(many("$.event.data.title.*", v3).empty());
  CHECK(many("$.*", v2).size() == 3);
}

TEST_CASE("jsonpath: deep scan collects in document pre-order", "[jsonpath]") {
  const Document doc =
      parse(R"({"id": 1, "a": {"id": 2, "b": [{"id": 3}, {"x": {"id": 4}}]}, "c": {"id": 5}})");
  CHECK(many("$..id", doc) == Strings{"1", "2", "3", "4", "5"});
  CHECK(many("$..['id']", doc) == Strings{"1", "2", "3", "4", "5"});
  CHECK(many("$.a..id", doc) == Strings{"2", "3", "4"});
  CHECK(many("$..nope", doc).empty());

  // A match that is itself a container comes before the matches inside it.
  const Document nested = parse(R"({"id": {"id": 1}})");
  CHECK(many("$..id", nested) == Strings{R"({"id":1})", "1"});

  // `..*`: each node's children, then recurse into each child (Jayway's order).
  const Document small = parse(R"({"a": {"x": 1}, "b": 2})");
  CHECK(many("$..*", small) == Strings{R"({"x":1})", "2", "1"});

  const Document arrays = parse(R"({"a": [[1, 2], [3]], "b": {"c": [4]}})");
  CHECK(many("$..[0]", arrays) == Strings{"[1,2]", "1", "3", "4"});
  CHECK(many("$..[-1]", arrays) == Strings{"[3]", "2", "3", "4"});

  const Document v3 = parse(kV3);
  CHECK(many("$..teams[*].id", v3) == Strings{R"("T1")", R"("T2")"});
  CHECK(many("$..summary", v3) == Strings{R"("P1")", R"("Ops")", R"("Web")", R"("Alice")",
                                          R"("bob")", R"("API Service")"});
}

TEST_CASE("jsonpath: deep scan with a filter tests each object once", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$..[?(@.urgency == 'high')].id", v2) == Strings{R"("P1")", R"("P3")"});
  const Document v3 = parse(kV3);
  CHECK(many("$..[?(@.type == 'user_reference')].summary", v3) ==
        Strings{R"("Alice")", R"("bob")"});
}

TEST_CASE("jsonpath: filter comparison operators", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.event == 'incident.trigger')].id", v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?(@.event==\"incident.trigger\")].id", v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?(@.incident.urgency != 'high')].id", v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(@.incident.incident_number < 11)].id", v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?(@.incident.incident_number <= 11)].id", v2) ==
        Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[?(@.incident.incident_number > 11)].id", v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(@.incident.incident_number >= 11)].id", v2) ==
        Strings{R"("m2")", R"("m3")"});
  CHECK(many("$.messages[?(@.incident.incident_number >= 10.5)].id", v2) ==
        Strings{R"("m2")", R"("m3")"});
  CHECK(many("$.messages[?(@.incident.incident_number > -1e3)].id", v2).size() == 3);
  // Literal on the left.
  CHECK(many("$.messages[?(11 < @.incident.incident_number)].id", v2) == Strings{R"("m3")"});
  // Strings order by bytes.
  CHECK(many("$.messages[?(@.id < 'm2')].id", v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?(@.id >= 'm2')].id", v2) == Strings{R"("m2")", R"("m3")"});
  // Jayway's type-safe operators are accepted (ours are type-strict anyway).
  CHECK(many("$.messages[?(@.id === 'm2')].id", v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(@.id !== 'm2')].id", v2) == Strings{R"("m1")", R"("m3")"});
}

TEST_CASE("jsonpath: filter comparison typing rules", "[jsonpath]") {
  const Document doc = parse(R"({"items": [
      {"k": "int", "n": 1}, {"k": "double", "n": 1.0}, {"k": "string", "n": "1"},
      {"k": "true", "n": true}, {"k": "false", "n": false}, {"k": "null", "n": null},
      {"k": "missing"}, {"k": "big", "n": 18446744073709551615}, {"k": "neg", "n": -5},
      {"k": "obj", "n": {"a": 1}}]})");

  // Numbers compare numerically across int and double; a string holding the number equals it
  // (Jayway's StringNode/NumberNode equals).
  CHECK(many("$.items[?(@.n == 1)].k", doc) == Strings{R"("int")", R"("double")", R"("string")"});
  CHECK(many("$.items[?(@.n === 1)].k", doc) == Strings{R"("int")", R"("double")"});
  CHECK(many("$.items[?(@.n == 1.0)].k", doc) == Strings{R"("int")", R"("double")"});
  CHECK(many("$.items[?(@.n > 0)].k", doc) == Strings{R"("int")", R"("double")", R"("big")"});
  CHECK(many("$.items[?(@.n < 0)].k", doc) == Strings{R"("neg")"});
  CHECK(many("$.items[?(@.n > 9223372036854775807)].k", doc) == Strings{R"("big")"});
  // A number equals a string holding the same number; a string equals a number written the same.
  CHECK(many("$.items[?(@.n == '1')].k", doc) == Strings{R"("int")", R"("double")", R"("string")"});
  CHECK(many("$.items[?(@.n == '1.00')].k", doc) == Strings{R"("int")", R"("double")"});
  CHECK(many("$.items[?(@.n === '1')].k", doc) == Strings{R"("string")"});
  CHECK(many("$.items[?(@.n == 'true')].k", doc).empty()); // no boolean coercion
  // `!=` is the negation of `==`: true on a type mismatch and when the path is missing.
  CHECK(many("$.items[?(@.n != 1)].k", doc) ==
        Strings{R"("true")", R"("false")", R"("null")", R"("missing")", R"("big")", R"("neg")", R"("obj")"});
  // Bools and nulls: equality only.
  CHECK(many("$.items[?(@.n == true)].k", doc) == Strings{R"("true")"});
  CHECK(many("$.items[?(@.n != false)].k", doc).size() == 9);
  CHECK(many("$.items[?(@.n == null)].k", doc) == Strings{R"("null")"});
  CHECK(many("$.items[?(@.n > false)].k", doc).empty());
  CHECK(many("$.items[?(@.n < null)].k", doc).empty());
  // Orderings across types are false.
  CHECK(many("$.items[?(@.n < 'zzz')].k", doc) == Strings{R"("string")"});
  // Objects compare by deep equality with another path.
  const Document pairs = parse(R"({"a": [{"x": {"v": 1}, "y": {"v": 1}}, {"x": {"v": 1},
                                    "y": {"v": 2}}]})");
  CHECK(many("$.a[?(@.x == @.y)].y.v", pairs) == Strings{"1"});
}

TEST_CASE("jsonpath: in and nin", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.incident.urgency in ['high', 'critical'])].id", v2) ==
        Strings{R"("m1")", R"("m3")"});
  CHECK(many("$.messages[?(@.incident.incident_number in [10, 12.0])].id", v2) ==
        Strings{R"("m1")", R"("m3")"});
  CHECK(many("$.messages[?(@.incident.urgency nin ['high'])].id", v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(@.incident.urgency in [])].id", v2).empty());
  CHECK(many("$.messages[?(@.incident.urgency nin [])].id", v2).size() == 3);
  // A missing left operand is in nothing, so not-in everything.
  CHECK(many("$.messages[?(@.nope nin ['x'])].id", v2).size() == 3);
  CHECK(many("$.messages[?(@.nope in ['x', null])].id", v2).empty());
  // Mixed literal types in the list; a number is in a list holding it as a string.
  CHECK(many("$.messages[?(@.incident.incident_number in ['10', 11, true, null])].id", v2) ==
        Strings{R"("m1")", R"("m2")"});
  // Right-hand side may be a path to an array.
  CHECK(many("$.messages[?(@.incident.id in $.allowed)].id", v2) ==
        Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[?(@.incident.id nin $.allowed)].id", v2) == Strings{R"("m3")"});
}

TEST_CASE("jsonpath: regex match, whole string, optional i flag", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many(R"($.messages[?(@.event =~ /incident\.(trigger|resolve)/)].id)", v2) ==
        Strings{R"("m1")", R"("m3")"});
  // Jayway uses Matcher.matches(): the whole string must match.
  CHECK(many("$.messages[?(@.event =~ /trigger/)].id", v2).empty());
  CHECK(many("$.messages[?(@.event =~ /.*trigger/)].id", v2) == Strings{R"("m1")"});
  // Case-insensitive only with `i`.
  CHECK(many("$.messages[?(@.event =~ /INCIDENT\\.ACK.*/)].id", v2).empty());
  CHECK(many("$.messages[?(@.event =~ /INCIDENT\\.ACK.*/i)].id", v2) == Strings{R"("m2")"});
  // `\/` stands for a slash.
  const Document urls = parse(R"({"l": [{"u": "https://pd/x"}, {"u": "other"}]})");
  CHECK(many(R"($.l[?(@.u =~ /https:\/\/.*/)].u)", urls) == Strings{R"("https://pd/x")"});
  // Numbers match as their text; a missing value is matched as the empty string
  // (RegexpEvaluator.getInput).
  CHECK(many("$.messages[?(@.incident.incident_number =~ /1[02]/)].id", v2) == Strings{R"("m1")", R"("m3")"});
  CHECK(many("$.messages[?(@.nope =~ /.*/)].id", v2).size() == 3);
  CHECK(many("$.messages[?(@.nope =~ /.+/)].id", v2).empty());
  // The pattern may be written first; a list matches when one of its elements does.
  CHECK(many("$.messages[?(/incident\\.ack.*/ =~ @.event)].id", v2) == Strings{R"("m2")"});
  const Document v3 = parse(kV3);
  CHECK(many("$.event[?(@.data.tags =~ /pro.*/)].id", v3).size() == 1);
  // Java syntax RE2 shares: inline flags, Unicode classes, \Q...\E.
  CHECK(many("$.messages[?(@.event =~ /(?i)INCIDENT\\.TRIGGER/)].id", v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?(@.incident.service.name =~ /\\p{Lu}+/)].id", v2).size() == 3);
  CHECK(many("$.messages[?(@.event =~ /\\Qincident.resolve\\E/)].id", v2) == Strings{R"("m3")"});
}

TEST_CASE("jsonpath: regexes match long subjects in linear time, on a small stack", "[jsonpath]") {
  const std::string ok(8192, 'a');
  const std::string big(8193, 'a');
  Document doc;
  doc.SetObject();
  Value list(rapidjson::kArrayType);
  for (const std::string *s : {&ok, &big}) {
    Value item(rapidjson::kObjectType);
    item.AddMember("s", Value(s->c_str(), doc.GetAllocator()), doc.GetAllocator());
    item.AddMember("n", static_cast<int>(s->size()), doc.GetAllocator());
    list.PushBack(item, doc.GetAllocator());
  }
  doc.AddMember("l", list, doc.GetAllocator());
  CHECK(many("$.l[?(@.s =~ /a+/)].n", doc) == Strings{"8192", "8193"});

#if defined(__linux__)
  // A backtracking matcher recurses once per character (several MB of stack for 8 KB); RE2 must fit
  // a small host thread stack, even for patterns that make backtrackers exponential.
  struct Job {
    const Document *doc;
    Strings matched;
    Strings unmatched;
  } job{&doc, {}, {}};
  const auto body = [](void *arg) -> void * {
    auto *j = static_cast<Job *>(arg);
    const auto ns = [&](const char *path) {
      Strings out;
      const Selection selected = *JsonPath::compile(path).select(*j->doc);
      for (const Value *v : selected.list) out.push_back(dump(*v));
      return out;
    };
    j->matched = ns("$.l[?(@.s =~ /(a|b)*/)].n");
    j->unmatched = ns("$.l[?(@.s =~ /(a*)*b/)].n");
    return nullptr;
  };
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, 256 * 1024) == 0);
  pthread_t thread;
  REQUIRE(pthread_create(&thread, &attr, body, &job) == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
  pthread_attr_destroy(&attr);
  CHECK(job.matched == Strings{"8192", "8193"});
  CHECK(job.unmatched.empty());
#endif
}

TEST_CASE("jsonpath: logical operators, negation and parentheses", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.incident.urgency == 'high' && @.incident.status == 'resolved')].id",
             v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(@.id == 'm1' || @.id == 'm2')].id", v2) ==
        Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[?(@.id=='m1'||@.id=='m2'&&@.incident.urgency=='high')].id", v2) ==
        Strings{R"("m1")"});  // && binds tighter than ||
  CHECK(many("$.messages[?((@.id == 'm1' || @.id == 'm2') && @.incident.urgency == 'low')].id",
             v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(!(@.id == 'm1' || @.id == 'm2'))].id", v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(!@.log_entries)].id", v2) == Strings{R"("m1")", R"("m2")"});
  CHECK(many("$.messages[?(!!@.log_entries)].id", v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(@.id == 'm1' && @.id == 'm1' && @.id != 'm2' && @.incident)].id",
             v2) == Strings{R"("m1")"});
  CHECK(many("$.messages[?( ( @.id == 'm3' ) )].id", v2) == Strings{R"("m3")"});
}

TEST_CASE("jsonpath: existence filters treat null as present", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.log_entries)].id", v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(@['log_entries'])].id", v2) == Strings{R"("m3")"});
  CHECK(many("$.messages[?(@.incident.service.name)].id", v2).size() == 3);
  const Document v3 = parse(kV3);
  CHECK(many("$.event[?(@.agent)].id", v3) == Strings{R"("01DEN4HPBQAJ8S6NGGDQO1VJ4Y")"});
  CHECK(many("$.event[?(@.agent.id)].id", v3).empty());
  // Root paths too.
  CHECK(many("$.messages[?($.wanted)].id", v2).size() == 3);
  CHECK(many("$.messages[?($.unwanted)].id", v2).empty());
}

TEST_CASE("jsonpath: root-path operands inside filters", "[jsonpath]") {
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.incident.urgency == $.wanted)].id", v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(@.incident.id == $.allowed[-1])].id", v2) == Strings{R"("m2")"});
  CHECK(many("$.messages[?(@.incident.id == $.nope)].id", v2).empty());
  CHECK(many("$.messages[?(@.incident.id != $.nope)].id", v2).size() == 3); // != is not ==

  const Document v3 = parse(kV3);
  CHECK(many("$.event.data.assignees[?(@.id == $.event.data.assignees[1].id)].summary", v3) ==
        Strings{R"("bob")"});
  CHECK(many("$.event.data.assignees[?(@.id == $['event']['data'].assignees[0]['id'])].summary",
             v3) == Strings{R"("Alice")"});
}

TEST_CASE("jsonpath: relative operands with brackets and indices", "[jsonpath]") {
  const Document v3 = parse(kV3);
  CHECK(many("$.event[?(@.data.teams[0].id == 'T1')].event_type", v3) ==
        Strings{R"("incident.triggered")"});
  CHECK(many("$.event[?(@['data']['custom.field'] == 'dotted')].id", v3).size() == 1);
  CHECK(many("$.event.data.tags[?(@ == 'prod')]", v3) == Strings{R"("prod")"});
  CHECK(many("$.event.data.tags[?(@ != 'prod')]", v3) == Strings{R"("db")"});
}

TEST_CASE("jsonpath: filter applied to an object tests the object itself", "[jsonpath]") {
  const Document v3 = parse(kV3);
  CHECK(many("$.event[?(@.event_type == 'incident.triggered')].id", v3) ==
        Strings{R"("01DEN4HPBQAJ8S6NGGDQO1VJ4Y")"});
  CHECK(many("$.event[?(@.event_type == 'incident.resolved')].id", v3).empty());
  CHECK(many("$.event.data[?(@.score > 2 && @.is_major == false)].number", v3) ==
        Strings{"2"});
  // On a scalar straight after definite steps, Jayway fails (InvalidPathException).
  const Selection scalar = *JsonPath::compile("$.event.id[?(@ == '01DEN4HPBQAJ8S6NGGDQO1VJ4Y')]").select(v3);
  CHECK(scalar.kind == Selection::Kind::failed);
  CHECK(scalar.error == "Filter can not be applied to primitives");
  CHECK(many("$.event.data.teams[*].id[?(@ == 'T1')]", v3).empty()); // past an indefinite step: nothing
  CHECK(many("$[?(@.event)].event.data.id", v3) == Strings{R"("PGR0VU2")"});
}

TEST_CASE("jsonpath: nested filters", "[jsonpath]") {
  // An indefinite path exists even when it selects nothing (Jayway's existence check asks for
  // the members it names, not for results): a nested filter as an existence test always holds
  // where the members are there. Compare the list instead.
  const Document v3 = parse(kV3);
  CHECK(many("$.event.data[?(@.teams[?(@.id == 'T2')])].id", v3) == Strings{R"("PGR0VU2")"});
  CHECK(many("$.event.data[?(@.teams[?(@.id == 'T9')])].id", v3) == Strings{R"("PGR0VU2")"});
  CHECK(many("$.event.data[?(@.teams[?(@.id == 'T9')] empty false)].id", v3).empty());
  CHECK(many("$.event.data[?(@.nope[?(@.id == 'T9')])].id", v3).empty());
  const Document v2 = parse(kV2);
  CHECK(many("$.messages[?(@.incident[?(@.urgency == 'high')] size 1)].id", v2) == Strings{R"("m1")", R"("m3")"});
  const Document doc = parse(R"({"a": [{"b": [{"c": 1}]}, {"b": [{"c": 2}]}, {"b": []}]})");
  CHECK(many("$.a[?(@.b[?(@.c == 1)] empty false)].b[0].c", doc) == Strings{"1"});
}

TEST_CASE("jsonpath: an indefinite operand is one list", "[jsonpath]") {
  // Jayway's PathNode makes a JSON list of what an indefinite operand selects: a list never equals
  // a string, but contains, anyof, subsetof... see inside it.
  const Document v3 = parse(kV3);
  CHECK(many("$.event[?(@.data.tags[*] == 'prod')].event_type", v3).empty());
  CHECK(many("$.event[?(@.data.tags[*] contains 'prod')].event_type", v3).size() == 1);
  CHECK(many("$.event[?(@.data.tags[*] == ['db', 'prod'])].event_type", v3).size() == 1);
  CHECK(many("$.event[?(@.data.teams[*].id in ['T2', 'T3'])].event_type", v3).empty());
  CHECK(many("$.event[?(@.data.teams[*].id anyof ['T2', 'T3'])].event_type", v3).size() == 1);
  CHECK(many("$.event[?(@..summary =~ /ali.*/i)].event_type", v3).size() == 1);
  CHECK(many("$.event[?(@.data.tags[*] != 'prod')].event_type", v3).size() == 1);
  CHECK(many("$.event[?(@.data.nope[*] != 'dev')].event_type", v3).size() == 1);
}

TEST_CASE("jsonpath: definite() classification", "[jsonpath]") {
  const auto definite = [](const char *path) { return JsonPath::compile(path).definite(); };
  CHECK(definite("$"));
  CHECK(definite("$.event.data.id"));
  CHECK(definite("$['event'][\"data\"].teams[0]"));
  CHECK(definite("$.event.data.teams[-1].id"));
  CHECK(definite("event.id"));
  CHECK_FALSE(definite("$.a[*]"));
  CHECK_FALSE(definite("$.a.*"));
  CHECK_FALSE(definite("$..a"));
  CHECK_FALSE(definite("$.a[?(@.b)]"));
  CHECK_FALSE(definite("$.a[1:2]"));
  CHECK_FALSE(definite("$.a[0,1]"));
  CHECK(definite("$['a','b']"));      // a map of both (the last step)
  CHECK_FALSE(definite("$['a','b'].c")); // each in turn
  CHECK(definite("$.a.length()"));
  CHECK_FALSE(definite("$.a[*].length()"));
  CHECK(definite("$..a.length()"));    // length($..a)
  // A filter's own operands do not make the outer path indefinite... but the filter does.
  CHECK_FALSE(definite("$.a[?(@.b == $.c)].d"));
}

TEST_CASE("jsonpath: syntax errors", "[jsonpath]") {
  const char *const bad[] = {
      "",                                // empty
      "   ",                             // blank
      "$.a[",                            // unbalanced
      "$.a[0",                           // unbalanced
      "$['a'",                           // unbalanced
      "$.a[]",                           // empty brackets
      "$['a",                            // unterminated string
      "$[\"a\\\"]",                      // unterminated string (escaped quote)
      "$.a.",                            // trailing dot
      "$.a..",                           // trailing deep scan
      "$..",                             // trailing deep scan
      "$...a",                           // three dots
      "$.a[1:2:3]",                      // slice step
      "$.a[:]",                          // slice without bounds
      "$.a[1:a]",                        // bad slice
      "$.a[1,2:3]",                      // index list mixed with slice
      "$.a[abc]",                        // unquoted bracket name
      "$.a[99999999999999999999]",       // index overflow
      "$.a['x',]",                       // dangling comma
      "$.a[?()]",                        // empty filter
      "$.a[?]",                          // placeholder filter
      "$.a[?(@.b == 1)",                 // filter not closed
      "$.a[?(@.b == 1]",                 // filter not closed
      "$.a[?((@.b == 1)]",               // unbalanced parenthesis
      "$.a[?(@.b == )]",                 // missing operand
      "$.a[?(@.b = 1)]",                 // single '='
      "$.a[?(@.b && )]",                 // dangling &&
      "$.a[?(@.b & @.c)]",               // single '&'
      "$.a[?(1)]",                       // bare literal
      "$.a[?('x')]",                     // bare literal
      "$.a[?(@.b == 'x)]",               // unterminated string in filter
      "$.a[?(@.b =~ /(/)]",              // bad regex
      "$.a[?(@.b =~ /x/g)]",             // unsupported flag
      "$.a[?(@.b =~ /x)]",               // unterminated regex
      "$.a[?(@.b =~ /(a)\\1/)]",           // back-references (RE2)
      "$.a[?(@.b =~ /a(?=b)/)]",           // lookahead (RE2)
      "$.a[?(@.b =~ /x/ || /y/)]",         // a regex without =~
      "$.a[?(@.b =~ 'x')]",              // regex must be /.../
      "$.a[?(@.b == /x/)]",              // regex without =~
      "$.a[?(@.b in 'x')]",              // in needs a list
      "$.a[?(@.b all ['x'])]",           // an operator Jayway cannot evaluate from text
      "$.a[?(@.b subsetof 'x')]",        // subsetof needs lists
      "$.a[?(@.b empty 1)]",             // empty takes a boolean
      "$.a[?(!@.b == 'x')]",             // '!' Jayway would ignore
      "$.a[?(@.b == tru)]",              // bad keyword
      "$.a[?(@.b == 1.)]",               // bad number
      "$.a[?(@.b == 1 @.c)]",            // missing operator between terms
      "$.a.count()",                     // unknown function
      "$.a.sum([1,2])",                  // an argument Jayway drops
      "$..length()",                     // a function after ..
      "$.a.concat(",                     // unterminated call
      "$a",                              // root must be followed by . or [
      "$.a b",                           // space in dot name
      "$.a['\\uZZZZ']",                  // bad \u escape
      "$.a['\\ud800']",                  // lone surrogate
  };
  for (const char *path : bad) {
    INFO("path: '" << path << "'");
    CHECK_THROWS_AS(JsonPath::compile(path), rdwh::SyntaxError);
  }
}

TEST_CASE("jsonpath: syntax error messages name the position and the path", "[jsonpath]") {
  CHECK(syntaxError("$.a[]") == "unexpected ']' at 4 in JsonPath '$.a[]'");
  CHECK(syntaxError("$.a.") == "path must not end with '.' at 3 in JsonPath '$.a.'");
  CHECK(syntaxError("$['a") == "unterminated string at 2 in JsonPath '$['a'");
  CHECK(syntaxError("$.a[?()]") == "empty filter at 6 in JsonPath '$.a[?()]'");
  CHECK(syntaxError("$.a[0") == "unterminated '[' at 3 in JsonPath '$.a[0'");
  CHECK_THAT(syntaxError("a.count()"), Catch::StartsWith("unknown JsonPath function 'count()' (Jayway's are length,") &&
                                           Catch::EndsWith("at 4 in JsonPath '$.a.count()'"));
  CHECK(syntaxError("$.a[?(@.b =~ /(/)]") ==
        "regex is invalid: missing ): ( (rdwh matches with RE2, in linear time) at 13 in JsonPath '$.a[?(@.b =~ /(/)]'");
  CHECK_THAT(syntaxError("$[?(@.a =~ /(a)\\1/)]"),
             Catch::StartsWith("regex back-references (\\1...) are not supported (rdwh matches with RE2, in linear "
                               "time) at 11"));
  CHECK(syntaxError("") == "empty JsonPath");

  // Long paths are quoted in part, around the error.
  const std::string longPath = "$." + std::string(200, 'a') + "[]";
  const std::string message = syntaxError(longPath.c_str());
  CHECK_THAT(message, Catch::StartsWith("unexpected ']' at 203 in JsonPath '..."));
  CHECK(message.size() < 150);
}

TEST_CASE("jsonpath: compile-time limits", "[jsonpath]") {
  PathLimits limits;
  limits.max_path_length = 10;
  CHECK_NOTHROW(JsonPath::compile("$.abcdefgh", limits));
  CHECK_THROWS_AS(JsonPath::compile("$.abcdefghi", limits), rdwh::SyntaxError);

  limits = PathLimits{};
  limits.max_steps = 3;
  CHECK_NOTHROW(JsonPath::compile("$.a.b.c", limits));
  CHECK_THROWS_AS(JsonPath::compile("$.a.b.c.d", limits), rdwh::SyntaxError);
  // Filter operand steps count too.
  CHECK_THROWS_AS(JsonPath::compile("$.a[?(@.b.c.d)]", limits), rdwh::SyntaxError);

  // Default limits: the text length and deep nesting are refused.
  CHECK_THROWS_AS(JsonPath::compile("$." + std::string(5000, 'a')), rdwh::SyntaxError);
  const std::string deep = "$.a[?(" + std::string(300, '(') + "@.b" + std::string(300, ')') + ")]";
  CHECK_THROWS_WITH(JsonPath::compile(deep), Catch::Contains("nests too deeply"));
  const std::string fine = "$.a[?(" + std::string(100, '(') + "@.b" + std::string(100, ')') + ")]";
  const Document doc = parse(R"({"a": [{"b": 1}, {"c": 2}]})");
  CHECK(JsonPath::compile(fine).select(doc)->list.size() == 1);
}

TEST_CASE("jsonpath: max_results bounds one evaluation", "[jsonpath]") {
  const Document doc = parse(R"({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]})");
  PathLimits limits;
  limits.max_results = 10;
  CHECK(JsonPath::compile("$.a[*]", limits).select(doc)->list.size() == 10);

  limits.max_results = 9;
  const JsonPath path = JsonPath::compile("$.a[*]", limits);
  rdwh::Checked<Selection> over = path.select(doc);
  REQUIRE_FALSE(over);
  CHECK(over.rejection().verdict == rdwh::Verdict::limit_exceeded);
  CHECK(over.rejection().http_status == 400);
  CHECK(over.rejection().message == "JsonPath '$.a[*]' selected more than 9 values (limits.maxPathResults)");
  // Deep scans count every value collected.
  limits.max_results = 3;
  CHECK_FALSE(JsonPath::compile("$..*", limits).select(doc));
  // Definite paths are never limited.
  CHECK(JsonPath::compile("$.a", limits).select(doc)->kind == Selection::Kind::single);
}

TEST_CASE("jsonpath: select(root, out) reuses out", "[jsonpath]") {
  const Document v2 = parse(kV2);
  const JsonPath all = JsonPath::compile("$.messages[*].id");
  const JsonPath first = JsonPath::compile("$.messages[0].id");
  const JsonPath none = JsonPath::compile("$.messages[7].id");
  const JsonPath empty = JsonPath::compile("$.messages[?(@.id == 'x')]");

  Selection out;
  REQUIRE(all.select(v2, out));
  REQUIRE(out.kind == Selection::Kind::list);
  REQUIRE(out.list.size() == 3);
  CHECK(dump(*out.list[2]) == R"("m3")");
  const std::size_t capacity = out.list.capacity();
  const Value *const *storage = out.list.data();

  REQUIRE(first.select(v2, out));
  CHECK(out.kind == Selection::Kind::single);
  REQUIRE(out.single != nullptr);
  CHECK(dump(*out.single) == R"("m1")");
  CHECK(out.list.empty());
  CHECK(out.list.capacity() == capacity);

  REQUIRE(none.select(v2, out));
  CHECK(out.kind == Selection::Kind::missing);
  CHECK(out.single == nullptr);

  REQUIRE(empty.select(v2, out));
  CHECK(out.kind == Selection::Kind::list);
  CHECK(out.list.empty());
  CHECK(out.single == nullptr);

  REQUIRE(all.select(v2, out));
  CHECK(out.list.size() == 3);
  CHECK(out.list.data() == storage);  // same buffer: no reallocation
}

TEST_CASE("jsonpath: moved paths keep working", "[jsonpath]") {
  const Document v3 = parse(kV3);
  JsonPath a = JsonPath::compile("$.event.data.teams[?(@.id == 'T2')].summary");
  JsonPath b = std::move(a);
  JsonPath c = JsonPath::compile("$");
  c = std::move(b);
  CHECK(c.text() == "$.event.data.teams[?(@.id == 'T2')].summary");
  const Selection s = *c.select(v3);
  REQUIRE(s.list.size() == 1);
  CHECK(dump(*s.list[0]) == R"("Web")");
}

TEST_CASE("jsonpath: one compiled path evaluated from many threads", "[jsonpath]") {
  const Document v2 = parse(kV2);
  const JsonPath path =
      JsonPath::compile("$.messages[?(@.event =~ /incident\\.(trigger|resolve)/i && "
                        "@.incident.urgency in ['high'])].incident.id");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Selection out;
      for (int i = 0; i < 200; ++i) {
        // No Catch assertion on these threads: Catch is not thread-safe. A refused selection
        // simply does not count as good.
        if (path.select(v2, out) && out.list.size() == 2 && dump(*out.list[0]) == R"("P1")" &&
            dump(*out.list[1]) == R"("P3")") {
          ++good;
        }
      }
    });
  }
  for (std::thread &t : threads) t.join();
  CHECK(good.load() == 800);
}

TEST_CASE("regex repetition counts are bounded", "[jsonpath]") {
  using rdwh::json::JsonPath;
  CHECK_THROWS_AS(JsonPath::compile("$.a[?(@.b =~ /x{1,99999}/)]"), rdwh::SyntaxError);
  CHECK_THROWS_AS(JsonPath::compile("$.a[?(@.b =~ /x{1001}/)]"), rdwh::SyntaxError);
  CHECK_THROWS_AS(JsonPath::compile("$.a[?(@.b =~ /\\123456/)]"), rdwh::SyntaxError); // a back-reference
  CHECK_NOTHROW(JsonPath::compile("$.a[?(@.b =~ /x{2,1000}/)]"));
  CHECK_NOTHROW(JsonPath::compile("$.a[?(@.b =~ /555123456789/)]")); // literal digits are fine
  CHECK_NOTHROW(JsonPath::compile("$.a[?(@.b =~ /\\{123456/)]"));  // an escaped brace opens no count
}
