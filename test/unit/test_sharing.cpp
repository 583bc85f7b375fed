// What a config of many rules shares: identical JsonPaths and values compiled once (PathTable,
// ValueTable), each selected or rendered once per event, and identical conditions judged once per
// event for every rule that has them. Sharing changes no outcome: these tests compare
// with what each rule gives on its own, explained (every condition evaluated) or not.
#include "json/parse.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace rdwh;
using Catch::Contains;

namespace {

rules::Config compile(const std::string &text) { return rules::compile_config(text, {}); }

std::string rule(const std::string &name, const std::string &policy, const std::string &conditions,
                 const std::string &options = R"({"name":"id","value":"$.id"},{"name":"title","value":"${data.title}"})") {
  return R"({"name":")" + name + R"(","jobId":"job-)" + name + R"(","policy":")" + policy + R"(","conditions":[)" +
         conditions + R"(],"jobOptions":[)" + options + "]}";
}
std::string equals(const std::string &path, const std::string &value) {
  return R"({"path":")" + path + R"(","condition":"equals","value":")" + value + R"("})";
}

// The rules' names that fired, per event, and their options, as text.
std::string fired(const test::Run &run) {
  std::string out;
  for (const test::JobText &job : run.jobs()) {
    out += std::to_string(job.event_index) + ":" + job.rule + "(";
    for (const auto &[name, value] : job.options) out += name + "=" + value + ";";
    out += ") ";
  }
  return out;
}

} // namespace

TEST_CASE("identical JsonPaths of a config share one compiled path and one slot", "[sharing]") {
  json::PathTable table;
  const json::JsonPath a = table.intern(json::JsonPath::compile("$.event.id"));
  const json::JsonPath b = table.intern(json::JsonPath::compile("event.id")); // Jayway reads it as $.event.id
  const json::JsonPath c = table.intern(json::JsonPath::compile("$.event.type"));
  json::PathLimits other;
  other.max_work = 10;
  const json::JsonPath d = table.intern(json::JsonPath::compile("$.event.id", other)); // other limits: its own
  CHECK(a.slot() == b.slot());
  CHECK(a.slot() != c.slot());
  CHECK(d.slot() != a.slot());
  CHECK(table.size() == 5); // and their prefix $['event'], once per limits (JsonPath::parent)
  CHECK(a.parent()->slot() == c.parent()->slot());
  CHECK(json::JsonPath::compile("$.event.id").slot() == json::JsonPath::no_slot);

  const auto doc = test::parse_json(R"({"event":{"id":"E1"}})");
  Checked<json::Selection> selected = b.select(doc);
  REQUIRE(selected);
  CHECK(selected->single->GetString() == std::string("E1"));
}

TEST_CASE("identical values share one compiled form and one slot; literals need none", "[sharing]") {
  rules::ValueTable table;
  rules::TemplateOptions plain, secret;
  secret.from_key_storage = true;
  const auto a = table.intern(rules::ValueExpr::compile("${data.title}", plain));
  const auto b = table.intern(rules::ValueExpr::compile("${data.title}", plain));
  const auto c = table.intern(rules::ValueExpr::compile("${data.title}", secret)); // never quoted: not the same
  const auto literal = table.intern(rules::ValueExpr::compile("a\\tb", plain));
  CHECK(a.slot() == b.slot());
  CHECK(&a.segments() == &b.segments());
  CHECK(c.slot() != a.slot());
  CHECK(c.from_key_storage());
  CHECK(literal.slot() == rules::ValueExpr::no_slot);
  CHECK(literal.is_literal());
  CHECK(literal.literal_text() == "a\tb");
  CHECK(rules::ValueExpr::compile("").is_literal());
  CHECK(rules::ValueExpr::compile("").literal_text().empty());
  CHECK(table.size() == 2);
}

TEST_CASE("a config keys the conditions of its flat rules, each distinct one once", "[sharing]") {
  const std::string type = equals("$.type", "triggered");
  const auto config = compile(R"({"rules":[)" + rule("a", "all", type + "," + equals("$.urgency", "high")) + "," +
                              rule("b", "all", type) + "," + rule("c", "all", equals("$.type", "resolved")) + "," +
                              rule("d", "any", type) + "," +
                              rule("e", "all", R"({"path":"$.type","condition":"equals","value":"triggered","negate":true})") +
                              "," + rule("f", "all", R"({"conditions":[)" + type + "]}") + "," +
                              rule("g", "all", R"({"path":"$.type","condition":"matches","value":"triggered"})") + "," +
                              rule("h", "all", "") + "]}");
  const auto &h = config.heads;
  const auto key = [&](std::size_t rule, std::size_t i) { return config.conditions.keys[h[rule].first_key + i]; };
  REQUIRE(h[0].flat);
  REQUIRE(h[0].key_count == 2);
  CHECK(key(1, 0) == key(0, 0));
  CHECK(key(3, 0) == key(0, 0)); // policy any: the same condition
  CHECK(key(6, 0) == key(0, 0)); // matches is equals
  CHECK(key(2, 0) != key(0, 0));
  CHECK(key(4, 0) != key(0, 0)); // negated
  CHECK_FALSE(h[5].flat);        // a nested group: evaluated node by node
  CHECK(h[7].flat);
  CHECK(h[7].key_count == 0);
  CHECK(config.conditions.judged_by.size() == 4); // type = triggered, urgency = high, type = resolved, negated
  CHECK(config.paths.size() == 3);                 // $.type, $.urgency, $.id (the options' $.id)
}

TEST_CASE("shared paths, values and conditions give every rule's own outcome, per event", "[sharing]") {
  // Two events of a batch: rules sharing a condition fire on the event where it holds, and each
  // event's values are its own.
  const auto doc = test::parse_json(
      R"({"messages":[{"id":"m1","type":"triggered","urgency":"high","title":"Disk full"},)"
      R"({"id":"m2","type":"resolved","urgency":"high","title":"Disk full again"}]})");
  const std::string type = equals("$.type", "triggered");
  const std::string rules = rule("a", "all", type + "," + equals("$.urgency", "high")) + "," +
                            rule("b", "all", type + "," + equals("$.urgency", "low")) + "," +
                            rule("c", "all", equals("$.type", "resolved")) + "," + rule("d", "any", type) + "," +
                            rule("e", "all", type, R"({"name":"t","value":"${data.title}"},{"name":"n","value":"x-${data.id}"})");
  const auto config = compile(R"({"batchKey":"$.messages","rules":[)" + rules + "]}");
  const std::string want = "0:a(id=m1;title=Disk full;) 0:d(id=m1;title=Disk full;) 0:e(t=Disk full;n=x-m1;) "
                           "1:c(id=m2;title=Disk full again;) ";
  CHECK(fired(test::run(config, doc)) == want);
  const test::Run explained = test::run(config, doc, {}, {}, true);
  CHECK(fired(explained) == want);
  // Explained, a rule whose first condition fails still shows its other conditions.
  CHECK_THAT(explained.explanation, Contains("$.urgency"));

  // A rule with debug: true is traced (never skipped unread) and fires the same.
  const auto debug = compile(R"({"batchKey":"$.messages","rules":[)" + rules + "," +
                             R"({"name":"dbg","jobId":"j","debug":true,"conditions":[)" + type + "," +
                             equals("$.urgency", "low") + "]}]}");
  const test::Run traced = test::run(debug, doc);
  CHECK(fired(traced) == want);
  REQUIRE(traced.debug.size() == 2);
}

TEST_CASE("a shared condition over its limits still refuses the delivery", "[sharing][limits]") {
  const auto doc = test::parse_json(R"({"a":[1,2,3,4,5,6,7,8,9,10],"type":"x"})");
  const std::string heavy = equals("$..*", "never");
  const auto config = compile(R"({"limits":{"maxPathWork":5},"rules":[)" + rule("a", "all", heavy) + "," +
                              rule("b", "all", heavy) + "]}");
  REQUIRE(config.conditions.judged_by.size() == 1);
  const test::Run quiet = test::run(config, doc);
  CHECK(quiet.limit_exceeded);
  CHECK_THAT(quiet.error, Contains("limits.maxPathWork"));
  const test::Run explained = test::run(config, doc, {}, {}, true);
  CHECK(explained.limit_exceeded);
  CHECK(explained.error == quiet.error);
}

TEST_CASE("parsing in place decodes long strings and white space as a stream does", "[json][sharing]") {
  // Strings and white space longer than the 16-byte scans, escapes on both sides of a block edge.
  const std::string body = "{\n                                \"key with a long name, over 16\": "
                           "\"0123456789abcde\\\"fghij\\u00e9klmnopqrstuvwxyz\\\\\\n\",\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                           "\"n\": 12.5e1, \"k\": [\"\", \"a\", \"0123456789abcdef\"]                                  }   ";
  rapidjson::Document doc;
  REQUIRE_FALSE(json::parse(body, doc, {}).failed);
  CHECK(std::string(doc["key with a long name, over 16"].GetString()) ==
        "0123456789abcde\"fghij\xc3\xa9klmnopqrstuvwxyz\\\n");
  CHECK(doc["n"].GetDouble() == 125.0);
  CHECK(std::string(doc["k"][2].GetString()) == "0123456789abcdef");

  // What ends the text early is found where a stream finds it.
  rapidjson::Document d1, d2, d3;
  const auto nul_in_string = json::parse(std::string("{\"a\":\"0123456789abcdef0123\0\"}", 28), d1, {});
  CHECK(nul_in_string.failed);
  CHECK(nul_in_string.offset == 26);
  const auto nul_after = json::parse(std::string("{\"a\":1}\0", 8), d2, {});
  CHECK(nul_after.failed);
  CHECK(nul_after.offset == 7);
  CHECK(nul_after.message == "unexpected data after the JSON value");
  const auto unterminated = json::parse("{\"a\":\"0123456789abcdef0123456789", d3, {});
  CHECK(unterminated.failed);
  CHECK(unterminated.offset == 32);
}

TEST_CASE("a chain of members resolves its prefix once per event; below a missing prefix it finds what the whole path finds",
          "[sharing]") {
  json::PathLimits leaf_null; // as conditions read paths
  leaf_null.missing_leaf_null = true;
  json::PathTable table;
  const char *texts[] = {"$.a.b.c", "$.a.b.x", "$.a.x.c", "$.a.n.c", "$.a.s.c", "$.q.r.s", "$.a.b", "a.l.c",
                         "$.a.l[0]", R"($["a"]["it's"].c)", "$.a.b.c.d.e"};
  std::vector<json::JsonPath> paths;
  for (const char *text : texts) paths.push_back(table.intern(json::JsonPath::compile(text, leaf_null)));
  REQUIRE(paths[0].parent() != nullptr);
  CHECK(paths[0].parent()->text() == "$['a']['b']");
  CHECK(paths[0].parent()->parent()->text() == "$['a']");
  CHECK(paths[0].parent()->slot() == paths[1].parent()->slot()); // $.a.b.c and $.a.b.x share $.a.b
  CHECK(paths[8].parent() == nullptr);                           // an index: not a chain of members
  CHECK(paths[9].parent() == nullptr);                           // a quote in a name: left alone

  for (const char *body : {R"({"a":{"b":{"c":1},"n":null,"s":"str","l":[{"c":2}]}})", R"({"a":{}})", R"({"a":7})", "[]"}) {
    INFO(body);
    const auto doc = test::parse_json(body);
    pipeline::Event event;
    event.value = &doc;
    pipeline::Selections selections(table);
    for (const json::JsonPath &path : paths) {
      INFO(path.text());
      Checked<json::Selection> alone = path.select(doc);
      Checked<const json::Selection *> shared = selections.get(path, event);
      REQUIRE(alone);
      REQUIRE(shared);
      CHECK((*shared)->kind == alone->kind);
      CHECK((*shared)->single == alone->single);
      CHECK((*shared)->list == alone->list);
    }
  }
}
