#include "json/parse.hpp"
#include "json/text.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using rdwh::json::append_java_double;
using rdwh::json::to_text;
using rdwh::test::parse_json;

static std::string java(double d) {
  std::string out;
  append_java_double(d, out);
  return out;
}

TEST_CASE("decimals print as Java's Double.toString", "[json]") {
  CHECK(java(1.5) == "1.5");
  CHECK(java(100.0) == "100.0");
  CHECK(java(0.001) == "0.001");
  CHECK(java(0.0001) == "1.0E-4");
  CHECK(java(1234567.0) == "1234567.0");
  CHECK(java(12345678.0) == "1.2345678E7");
  CHECK(java(1e20) == "1.0E20");
  CHECK(java(-2.25) == "-2.25");
  CHECK(java(0.1) == "0.1");
  CHECK(java(0.0) == "0.0");
}

TEST_CASE("values turn into the text Rundeck renders", "[json]") {
  auto doc = parse_json(R"({"s":"text","i":42,"n":-7,"big":18446744073709551615,"d":2.50,"t":true,"f":false,)"
                        R"("z":null,"l":[1,"a",null],"m":{"k":"v"}})");
  CHECK(to_text(doc["s"]) == "text");
  CHECK(to_text(doc["i"]) == "42");
  CHECK(to_text(doc["n"]) == "-7");
  CHECK(to_text(doc["big"]) == "18446744073709551615");
  CHECK(to_text(doc["d"]) == "2.5");
  CHECK(to_text(doc["t"]) == "true");
  CHECK(to_text(doc["f"]) == "false");
  CHECK(to_text(doc["z"]).empty());
  CHECK(to_text(doc["l"]) == R"([1,"a",null])");
  CHECK(to_text(doc["m"]) == R"({"k":"v"})");
}

TEST_CASE("type names follow Rundeck's isA vocabulary", "[json]") {
  auto doc = parse_json(R"({"s":"x","n":1.5,"m":{},"l":[],"z":null,"b":true})");
  CHECK(std::string(rdwh::json::type_name(doc["s"])) == "string");
  CHECK(std::string(rdwh::json::type_name(doc["n"])) == "number");
  CHECK(std::string(rdwh::json::type_name(doc["m"])) == "map");
  CHECK(std::string(rdwh::json::type_name(doc["l"])) == "list");
  CHECK(std::string(rdwh::json::type_name(doc["z"])) == "null");
  CHECK(std::string(rdwh::json::type_name(doc["b"])) == "boolean");
}

TEST_CASE("parse accepts JSON with surrounding white space", "[json]") {
  rapidjson::Document doc;
  auto failure = rdwh::json::parse(" \n{\"a\":[1,2]}\n ", doc, {});
  REQUIRE_FALSE(failure.failed);
  CHECK(doc["a"].Size() == 2);
}

TEST_CASE("parse rejects what is not one JSON value, naming the byte", "[json]") {
  rapidjson::Document doc;
  auto trailing = rdwh::json::parse(R"({"a":1} {"b":2})", doc, {});
  CHECK(trailing.failed);
  CHECK(trailing.offset == 8);
  CHECK_THAT(trailing.message, Catch::Contains("after the JSON value"));

  rapidjson::Document doc2;
  auto broken = rdwh::json::parse(R"({"a":)", doc2, {});
  CHECK(broken.failed);
  CHECK_FALSE(broken.too_deep);

  rapidjson::Document doc3;
  auto empty = rdwh::json::parse("", doc3, {});
  CHECK(empty.failed);
}

TEST_CASE("parse rejects invalid UTF-8 and keeps NUL inside strings", "[json]") {
  rapidjson::Document doc;
  std::string bad = "{\"a\":\"\xff\xfe\"}";
  CHECK(rdwh::json::parse(bad, doc, {}).failed);

  rapidjson::Document doc2;
  REQUIRE_FALSE(rdwh::json::parse(R"({"a":"x\u0000y"})", doc2, {}).failed);
  CHECK(doc2["a"].GetStringLength() == 3);
  CHECK(to_text(doc2["a"]) == std::string("x\0y", 3));
}

TEST_CASE("parse stops deep nesting at the limit without recursion", "[json]") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  rapidjson::Document doc;
  rdwh::json::ParseLimits limits;
  limits.max_depth = 64;
  auto failure = rdwh::json::parse(deep, doc, limits);
  CHECK(failure.failed);
  CHECK(failure.too_deep);
  CHECK_THAT(failure.message, Catch::Contains("deeper than 64"));

  std::string ok(64, '[');
  ok += std::string(64, ']');
  rapidjson::Document doc2;
  CHECK_FALSE(rdwh::json::parse(ok, doc2, limits).failed);
}

TEST_CASE("huge numbers parse as doubles and print like Java", "[json]") {
  rapidjson::Document doc;
  REQUIRE_FALSE(rdwh::json::parse(R"({"n":123456789012345678901234567890})", doc, {}).failed);
  CHECK(to_text(doc["n"]) == "1.2345678901234568E29");
}

TEST_CASE("UTF-8 is checked strictly over the whole body", "[json]") {
  using rdwh::json::find_invalid_utf8;
  constexpr auto ok = std::string_view::npos;
  CHECK(find_invalid_utf8("") == ok);
  CHECK(find_invalid_utf8("plain ascii text that is longer than eight bytes") == ok);
  CHECK(find_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa8 \xf4\x8f\xbf\xbf") == ok); // é € 🚨 U+10FFFF
  CHECK(find_invalid_utf8("abc\xff") == 3);
  CHECK(find_invalid_utf8("0123456789\xc0\xaf") == 10);            // overlong '/'
  CHECK(find_invalid_utf8("\xe0\x80\xaf") == 0);                   // overlong, 3 bytes
  CHECK(find_invalid_utf8("\xed\xa0\x80") == 0);                   // a UTF-16 surrogate
  CHECK(find_invalid_utf8("\xf4\x90\x80\x80") == 0);               // past U+10FFFF
  CHECK(find_invalid_utf8("\xf5\x80\x80\x80") == 0);
  CHECK(find_invalid_utf8("ok \xe2\x82") == 3);                    // truncated at the end
  CHECK(find_invalid_utf8("\xe2\x28\xa1") == 0);                   // bad continuation
  CHECK(find_invalid_utf8("\x80") == 0);                           // a lone continuation byte
  rapidjson::Document doc;
  auto failure = rdwh::json::parse("{\"a\":\"x\xed\xa0\x80\"}", doc, {});
  CHECK(failure.failed);
  CHECK(failure.offset == 7);
  CHECK(failure.message == "invalid UTF-8");
}

TEST_CASE("line_column says where a byte is as an editor does", "[json]") {
  using rdwh::json::line_column;
  CHECK(line_column("{}", 0) == "line 1, column 1");
  CHECK(line_column("{\n  \"a\": x\n}", 10) == "line 2, column 9");
  CHECK(line_column("a\nb\n", 4) == "line 3, column 1");
  CHECK(line_column("short", 99) == "line 1, column 6"); // past the end: the end
}
