// Current Jayway (2.10, what Rundeck ships) where Debian's 2.0.0 oracle cannot answer: path
// functions, the newer filter operators and RE2 regexes. Each expectation follows Jayway's source
// (com.jayway.jsonpath.internal.function and internal.filter), quirks included.
#include "base/error.hpp"
#include "json/jsonpath.hpp"
#include "json/text.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using rdwh::json::Document;
using rdwh::test::parse_json;
using rdwh::json::JsonPath;
using rdwh::json::PathLimits;
using rdwh::json::Selection;
using rdwh::json::Value;

namespace {

const char *const kDoc = R"({
  "event": {
    "event_type": "incident.triggered",
    "agent": null,
    "data": {
      "title": "Disk full",
      "number": 42,
      "score": 2.5,
      "tags": ["db", "prod"],
      "nums": [3, 1, 2],
      "negatives": [-3, -1],
      "mixed": [1, "two", 3.5, null, true],
      "one": ["only"],
      "empty": [],
      "teams": [{"id": "T1", "summary": "Ops"}, {"id": "T2", "summary": "Web"}],
      "priority": {"id": "P1X", "summary": "P1"}
    }
  }
})";

// What Rundeck renders for a JsonPath value: nothing when not found, JSON for lists and maps, the
// value as Java prints it otherwise; "failed: ..." when Jayway throws.
std::string value(const char *path, const Value &root) {
  const Selection s = *JsonPath::compile(path).select(root);
  if (s.kind == Selection::Kind::failed) return "failed: " + s.error;
  std::string out;
  if (s.kind == Selection::Kind::single && s.single->IsNull()) return "null";
  rdwh::json::append_selection(s, out);
  return out;
}

std::vector<std::string> ids(const char *path, const Value &root) {
  const Selection s = *JsonPath::compile(path).select(root);
  REQUIRE(s.kind == Selection::Kind::list);
  std::vector<std::string> out;
  for (const Value *v : s.list) out.push_back(rdwh::json::to_text(*v));
  return out;
}

} // namespace

TEST_CASE("jayway functions: length and size", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(value("$.event.data.tags.length()", doc) == "2");
  CHECK(value("$.event.data.tags.size()", doc) == "2");
  CHECK(value("$.event.data.priority.length()", doc) == "2"); // members of a map
  CHECK(value("$.event.data.title.length()", doc) == "null"); // Length handles lists and maps only
  CHECK(value("$.event.agent.length()", doc) == "null");
  CHECK(value("$.event.data.nope.length()", doc).empty());    // not found before the function
  CHECK(value("$.event.data.teams[*].length()", doc) == "[2,2]");
  CHECK(value("$..tags.length()", doc) == "2");                // length($..tags): children of each match
  CHECK(value("$.event.data.teams.length()", doc) == "2");
}

TEST_CASE("jayway functions: aggregations yield doubles", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(value("$.event.data.nums.sum()", doc) == "6.0");
  CHECK(value("$.event.data.nums.min()", doc) == "1.0");
  CHECK(value("$.event.data.nums.max()", doc) == "3.0");
  CHECK(value("$.event.data.nums.avg()", doc) == "2.0");
  CHECK(value("$.event.data.nums.stddev()", doc) == "0.8164965809277263");
  CHECK(value("$.event.data.mixed.sum()", doc) == "4.5");      // non-numbers skipped
  CHECK(value("$.event.data.nums.sum(10, $.event.data.number)", doc) == "58.0");
  // Max starts from Java's Double.MIN_VALUE, the smallest positive double.
  CHECK(value("$.event.data.negatives.max()", doc) == "4.9E-324");
  CHECK(value("$.event.data.empty.sum()", doc) ==
        "failed: Aggregation function attempted to calculate value using empty array");
  CHECK(value("$.event.data.title.avg()", doc).starts_with("failed: "));
  CHECK(value("$..number.sum()", doc) == "42.0");
}

TEST_CASE("jayway functions: first, last, index", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(value("$.event.data.tags.first()", doc) == "db");
  CHECK(value("$.event.data.tags.last()", doc) == "prod");
  CHECK(value("$.event.data.nums.index(1)", doc) == "1");
  CHECK(value("$.event.data.nums.index(-1)", doc) == "2");
  // Jayway reads the ')' of "()" as a member name: a step after it finds nothing (J4 below).
  CHECK(value("$.event.data.teams.first().summary", doc).empty());
  CHECK(value("$.event.data.teams.index(0).summary", doc) == "Ops");
  // Jayway's realIndex > 0 check: last() of a one-element list fails.
  CHECK(value("$.event.data.one.last()", doc) == "failed: Target index:-1 larger than object count:1");
  CHECK(value("$.event.data.one.first()", doc) == "only");
  // Past the end fails only with no index, wildcard, slice or filter step above it (J1 below).
  CHECK(value("$.event.data.empty.first()", doc).starts_with("failed: "));
  // A filter on a map walks on without handleArrayIndex: nothing swallows it there either.
  CHECK(value("$.event.data[?(@.empty)].empty.first()", doc).starts_with("failed: "));
  CHECK(value("$.event.data.priority.first()", doc).starts_with("failed: "));
}

TEST_CASE("jayway functions: keys, concat, append", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(value("$.event.data.priority.keys()", doc) == "[id, summary]"); // a Java set's text
  CHECK(value("$.event.data.tags.keys()", doc) == "null");
  CHECK(value("$.event.data.tags.concat()", doc) == "dbprod");
  CHECK(value("$.event.data.mixed.concat(\"-\", 7)", doc) == "two-7"); // list: strings only
  CHECK(value("$.event.data.title.concat(\" on \", $.event.data.priority.summary)", doc) == " on P1");
  CHECK(value("$.event.data.tags.append(\"x\", 1)", doc) == R"(["db","prod","x",1])");
  CHECK(value("$.event.data.tags.length()", doc) == "2"); // the document is unchanged
  CHECK(value("$.event.data.title.append(1)", doc) == "Disk full");
  // A path argument that finds nothing: the path finds nothing (PathNotFoundException).
  CHECK(value("$.event.data.tags.concat($.nope)", doc).empty());
}

TEST_CASE("jayway functions inside filters", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(ids("$.event[?(@.data.tags.length() == 2)].event_type", doc) == std::vector<std::string>{"incident.triggered"});
  CHECK(ids("$.event.data.teams[?(@.summary in ['Ops'])].id", doc) == std::vector<std::string>{"T1"});
}

TEST_CASE("jayway operators: contains, size, empty", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  using S = std::vector<std::string>;
  CHECK(ids("$.event.data.teams[?(@.summary contains 'p')].id", doc) == S{"T1"}); // substring
  CHECK(ids("$.event[?(@.data.tags contains 'prod')].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.nums contains '2')].event_type", doc).size() == 1); // '2' equals 2
  CHECK(ids("$.event[?(@.data.priority contains 'P1')].event_type", doc).empty()); // a map
  CHECK(ids("$.event.data.teams[?(@.id size 2)].id", doc) == S{"T1", "T2"});
  CHECK(ids("$.event[?(@.data.tags size 2)].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.priority size 2)].event_type", doc).empty()); // a map's size is -1
  CHECK(ids("$.event[?(@.data.empty empty true)].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.tags empty false)].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.nope empty true)].event_type", doc).empty()); // missing: neither
  CHECK(ids("$.event[?(@.data.title EMPTY false)].event_type", doc).size() == 1); // any case
}

TEST_CASE("jayway operators: subsetof, anyof, noneof", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  CHECK(ids("$.event[?(@.data.tags subsetof ['db', 'prod', 'web'])].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.tags subsetof ['db'])].event_type", doc).empty());
  CHECK(ids("$.event[?(@.data.tags anyof ['web', 'prod'])].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.tags anyof ['web'])].event_type", doc).empty());
  CHECK(ids("$.event[?(@.data.tags noneof ['web'])].event_type", doc).size() == 1);
  CHECK(ids("$.event[?(@.data.tags noneof ['db'])].event_type", doc).empty());
  CHECK(ids("$.event[?(@.data.nums anyof ['1'])].event_type", doc).size() == 1); // coerced
  CHECK(ids("$.event[?(@.data.priority noneof ['x'])].event_type", doc).empty()); // a map: false
  // Jayway cannot make a value node of a map inside a list: it throws.
  const Selection s = *JsonPath::compile("$.event[?(@.data.teams anyof ['T1'])]").select(doc);
  CHECK(s.kind == Selection::Kind::failed);
  // A scalar where a list is needed, found at delivery: Jayway's InvalidPathException, which the
  // filter catches: no match.
  CHECK(ids("$.event[?(@.data.title in $.event.data.title)]", doc).empty());
}

TEST_CASE("jayway: a path whose definite beginning is missing finds nothing at all", "[jsonpath][jayway]") {
  const Document doc = parse_json(kDoc);
  const auto kind = [&](const char *path) { return JsonPath::compile(path).select(doc)->kind; };
  CHECK(kind("$.event.data.nope[*]") == Selection::Kind::missing);
  CHECK(kind("$.event.agent[0:1]") == Selection::Kind::missing); // null is not a list
  CHECK(kind("$.event.agent[*]") == Selection::Kind::list);       // a wildcard of null: nothing
  CHECK(kind("$.event.data.title[0:1]") == Selection::Kind::missing);
  CHECK(kind("$.event.data.tags['a','b'].c") == Selection::Kind::missing);
  CHECK(kind("$.event.data.empty[*]") == Selection::Kind::list);  // an empty list is a list
  CHECK(kind("$.event.data.tags[9][*]") == Selection::Kind::list); // index out of range: nothing
  CHECK(kind("$.event.data.title.*") == Selection::Kind::list);    // a wildcard of a scalar
  CHECK(kind("$.event.data.teams[*].nope[*]") == Selection::Kind::list); // past an indefinite step
}

TEST_CASE("regexes run on RE2: Java syntax it shares, clear refusals for the rest", "[jsonpath][regex]") {
  const Document doc = parse_json(kDoc);
  CHECK(ids("$.event.data.teams[?(@.summary =~ /(?i)OPS/)].id", doc) == std::vector<std::string>{"T1"});
  CHECK(ids("$.event.data.teams[?(@.summary =~ /\\p{L}+/)].id", doc).size() == 2);
  CHECK(ids("$.event.data.teams[?(@.summary =~ /[[:upper:]][a-z]+/)].id", doc).size() == 2);
  CHECK(ids("$.event.data.teams[?(@.id =~ /(?<letter>T)\\d/)].id", doc).size() == 2); // Java's named group
  CHECK(ids("$.event.data.teams[?(@.summary =~ /o.S/is)].id", doc) == std::vector<std::string>{"T1"});
  const auto refusal = [](const char *path) {
    try {
      (void)JsonPath::compile(path);
    } catch (const rdwh::SyntaxError &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refusal("$[?(@.a =~ /(a)\\1/)]"), Catch::StartsWith("regex back-references (\\1...) are not supported"));
  CHECK_THAT(refusal("$[?(@.a =~ /a(?=b)/)]"), Catch::StartsWith("regex lookaround assertions"));
  CHECK_THAT(refusal("$[?(@.a =~ /(?<!a)b/)]"), Catch::StartsWith("regex lookaround assertions"));
  CHECK_THAT(refusal("$[?(@.a =~ /(?>a)/)]"), Catch::StartsWith("regex atomic groups"));
  CHECK_THAT(refusal("$[?(@.a =~ /a++/)]"), Catch::StartsWith("regex possessive quantifiers"));
  CHECK_THAT(refusal("$[?(@.a =~ /[a-z&&[^x]]/)]"), Catch::StartsWith("regex character class intersections"));
  CHECK_THAT(refusal("$[?(@.a =~ /(?U)\\w/)]"), Catch::StartsWith("regex inline flag 'U' is not supported"));
  CHECK_THAT(refusal("$[?(@.a =~ /a/x)]"), Catch::StartsWith("regex flag 'x' is not supported"));
  CHECK(refusal("$[?(@.a =~ /\\p{L}{2}+/)]").starts_with("regex possessive quantifiers"));
  CHECK(refusal("$[?(@.a =~ /\\p{Lu}+/)]") == "accepted");
}

TEST_CASE("the issue's regex (a?){3000}a{3000} is refused at compile time", "[jsonpath][regex]") {
  // RE2 takes repetition counts up to 1000; the pattern never reaches a delivery.
  try {
    (void)JsonPath::compile("$.l[?(@.s =~ /(a?){3000}a{3000}/)]");
    FAIL("compiled");
  } catch (const rdwh::SyntaxError &e) {
    CHECK_THAT(e.what(), Catch::StartsWith("regex has a repetition count over 1000"));
  }
}

TEST_CASE("a regex whose DFA blows up is stopped by the work budget", "[jsonpath][regex]") {
  // (a?){1000}a{1000} compiles, but RE2 falls back to its NFA on it: over 20 subjects of 3 KB that
  // would take most of a second, so the work charged per subject (bytes times the program size)
  // stops it after the first subject.
  Document doc;
  doc.SetObject();
  Value list(rapidjson::kArrayType);
  const std::string subject(3000, 'a');
  for (int i = 0; i < 20; ++i) {
    Value item(rapidjson::kObjectType);
    item.AddMember("s", Value(subject.c_str(), doc.GetAllocator()), doc.GetAllocator());
    list.PushBack(item, doc.GetAllocator());
  }
  doc.AddMember("l", list, doc.GetAllocator());
  const JsonPath path = JsonPath::compile("$.l[?(@.s =~ /(a?){1000}a{1000}/)]");
  const rdwh::Checked<Selection> selected = path.select(doc);
  REQUIRE_FALSE(selected);
  CHECK_THAT(const_cast<rdwh::Checked<Selection> &>(selected).rejection().message,
             Catch::Contains("steps of work on this document (limits.maxPathWork)"));
  // The same pattern on short subjects is answered.
  const Document small = parse_json(R"({"l": [{"s": "aaa"}]})");
  CHECK(path.select(small)->list.empty());
}

// --- Jayway 2.10.0 as Rundeck runs it, quirks included: one case per class of issue 18, with the
// issue's answers and others read from 2.10.0's source (tag json-path-2.10.0).

TEST_CASE("J1: first() or index(n) past the end behind an array step finds nothing", "[jsonpath][jayway-2.10]") {
  // ArrayPathToken/PathToken.handleArrayIndex swallows IndexOutOfBoundsException for everything
  // below an index, wildcard, slice or filter step.
  const Document v2 = parse_json(R"({"messages":[{"log_entries":[{"contexts":[]}]}]})");
  const Selection s = *JsonPath::compile("$.messages[0].log_entries[0].contexts.first()").select(v2);
  CHECK(s.kind == Selection::Kind::missing); // not found: "", the job runs
  const Document p = parse_json(R"({"p":[{"t":["a"]},{"t":[]}]})");
  CHECK(value("$.p[*].t.first()", p) == R"(["a"])");
  CHECK(value("$.p[0:2].t.index(0)", p) == R"(["a"])");
  CHECK(value("$.p[?(@.t)].t.first()", p) == R"(["a"])");
  CHECK(value("$.p[1].t.index(3)", p).empty());
  // No array step above it: Jayway fails.
  const Document e = parse_json(R"({"e":[]})");
  CHECK(value("$.e.first()", e).starts_with("failed: "));
  CHECK(value("$.e.index(2)", e).starts_with("failed: "));
  // last() past the start is Jayway's own exception, which nothing swallows.
  CHECK(value("$.p[*].t.last()", p).starts_with("failed: "));
}

TEST_CASE("J2: slices as ArraySliceToken reads them", "[jsonpath][jayway-2.10]") {
  const Document doc = parse_json(R"({"l":["a","b","c","d","e"]})");
  CHECK(value("$.l[0:-1]", doc) == "[]");                  // a negative end is never moved
  CHECK(value("$.l[-2:2]", doc) == R"(["d","e","a","b"])"); // a negative start wraps round
  CHECK(value("$.l[-3:-1]", doc) == R"(["c","d"])");
  // Indexes before the start are skipped, then -5..-1 are the whole list again.
  CHECK(value("$.l[-9:1]", doc) == R"(["a","b","c","d","e","a"])");
  CHECK(value("$.l[1:9]", doc) == R"(["b","c","d","e"])");
  CHECK(value("$.l[-2:]", doc) == R"(["d","e"])");
  CHECK(value("$.l[:-2]", doc) == R"(["a","b","c"])");
  CHECK(value("$.l[3:1]", doc) == "[]");
}

TEST_CASE("J4: a step after a parameterless function reads the member ')'", "[jsonpath][jayway-2.10]") {
  const Document doc = parse_json(R"({"a":[{"s":"Ann"}],"p":[{"t":[{"s":1}]}]})");
  CHECK(JsonPath::compile("$.a.first().s").select(doc)->kind == Selection::Kind::missing);
  CHECK(JsonPath::compile("$.a.first()[0]").select(doc)->kind == Selection::Kind::missing);
  CHECK(value("$.a.first( ).s", doc) == "Ann"); // not "()": the step is read normally
  // A function before the last step adds its own value (FunctionPathToken), then walks on.
  CHECK(value("$.a.index(0).s", doc) == "Ann");                  // definite: the last value
  CHECK(value("$.a.index(0).nope", doc) == R"({"s":"Ann"})");    // a missing last member adds none
  CHECK(value("$.p[*].t.first().s", doc) == R"([{"s":1}])");     // indefinite: ")" quietly finds nothing
  CHECK(value("$.p[*].t.index(0).s", doc) == R"([{"s":1},1])");
}

TEST_CASE("J5: anyof, subsetof, noneof and in on a side that is not a list", "[jsonpath][jayway-2.10]") {
  // ValueNode.asValueListNode throws InvalidPathException, which PredicatePathToken.accept catches:
  // the element does not match.
  const Document doc = parse_json(R"({"p":[{"n":"a","t":["x"]},{"n":"b","t":"x"},{"n":"c"}]})");
  using S = std::vector<std::string>;
  CHECK(ids("$.p[?(@.t anyof ['x'])].n", doc) == S{"a"});
  CHECK(ids("$.p[?(@.t subsetof ['x'])].n", doc) == S{"a"});
  CHECK(ids("$.p[?(@.t noneof ['y'])].n", doc) == S{"a"});
  CHECK(ids("$.p[?(@.t anyof ['x'] || @.n == 'c')].n", doc) == S{"a"}); // the whole filter fails
  CHECK(ids("$.p[?(@.n nin $.p[0].n)].n", doc).empty());
  const Document v3 = parse_json(R"({"event":{"data":{"id":"Q1","incident":{"id":"P1"}}}})");
  CHECK(value("$.event.data[?(@.teams anyof ['x'])].id", v3) == "[]");
  // empty on a map: JsonNode.isEmpty casts it to a Collection and fails.
  CHECK(value("$.p[?(@ empty false)].n", doc).starts_with("failed: "));
  CHECK(ids("$.p[?(@.t empty false)].n", doc) == S{"a", "b"});
}

TEST_CASE("N1: decimals inside lists and maps as Jackson writes them", "[jsonpath][jayway-2.10]") {
  const Document doc = parse_json(R"({"x":[12345678.0, 0.0001, 1e20, 1.5, 100, -2.5e-7],"m":{"d":0.001}})");
  CHECK(value("$.x", doc) == "[1.2345678E7,1.0E-4,1.0E20,1.5,100,-2.5E-7]");
  CHECK(value("$.m", doc) == R"({"d":0.001})");
  CHECK(value("$.x[2]", doc) == "1.0E20");
}
