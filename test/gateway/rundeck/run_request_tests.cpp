// The run call's body as stored (key-storage values marked) and as sent (values put back), and
// the marking itself (config/key_values.hpp).
#include <catch2/catch.hpp>

#include "config/key_values.hpp"
#include "rundeck/run_request.hpp"

#include <map>
#include <string>

using namespace rdwh::gateway;

namespace {

const std::string kSecret = "s3cr3t-\"quoted\"-value";

struct Keys {
  std::map<std::string, std::string, std::less<>> values{{"keys/pd/secret", kSecret}, {"keys/short", "tok"}};
  KeyLookup lookup() const {
    return [this](std::string_view path) -> std::optional<std::string> {
      auto it = values.find(path);
      return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
};

} // namespace

TEST_CASE("key values: every served value is hidden, inside longer text too, longest first", "[keys]") {
  ServedKeys served;
  served.add("keys/pd/secret", kSecret);
  served.add("keys/part", "s3cr3t"); // inside the other: the longer one is matched first
  std::vector<KeyMark> marks;
  CHECK(served.mark("Bearer " + kSecret + "!", &marks) == "Bearer (from key storage)!");
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].at == 7);
  CHECK(marks[0].path == "keys/pd/secret");
  CHECK(served.mark("a s3cr3t b") == "a (from key storage) b");
  CHECK(served.mark(kSecret + kSecret) == "(from key storage)(from key storage)");
  CHECK(served.mark("nothing here") == "nothing here");
  // JSON: escaped in the text ("\"quoted\""), found all the same, in names too.
  const std::string json = R"({"jobs":[{"options":{"auth":"Bearer s3cr3t-\"quoted\"-value"}}],"s3cr3t":1})";
  const std::string marked = served.mark_json(json);
  CHECK(marked.find("s3cr3t") == std::string::npos);
  CHECK(marked.find(R"j("auth":"Bearer (from key storage)")j") != std::string::npos);
  CHECK(served.mark_json("not json s3cr3t") == "not json (from key storage)");
  CHECK(served.mark_json(R"({"a":1.50})") == R"({"a":1.50})"); // untouched when nothing is hidden
}

TEST_CASE("key values: a value with '$' or '\\' is hidden by its pieces too", "[keys]") {
  ServedKeys served;
  served.add("keys/p", "pass$word\\long-piece");
  // The plugin reads its config's strings as templates: only pieces may reach an option.
  CHECK(served.mark("pass<event data>long-piece") == "(from key storage)<event data>(from key storage)");
  CHECK(served.mark("x word y") == "x (from key storage) y");
  served.add("keys/q", "ab$cdefg");
  CHECK(served.mark("ab cdefg") == "ab (from key storage)"); // pieces under 4 bytes tell little
  // Put back exactly, piece by piece.
  std::vector<KeyMark> marks;
  const std::string marked = served.mark("<pass>", &marks);
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].from == 0);
  CHECK(marks[0].size == 4);
  std::string error;
  std::vector<std::string> used;
  const KeyLookup lookup = [](std::string_view) { return std::optional<std::string>("pass$word\\long-piece"); };
  const auto back = unmark(marked, marks, lookup, error, used);
  CHECK(back == std::optional<std::string>("<pass>"));
}

TEST_CASE("run request: stored without the values, sent with them", "[keys]") {
  ServedKeys served;
  served.add("keys/pd/secret", kSecret);
  RunRequest r;
  r.options = {{"id", "PGR0VU2"}, {"auth", "Bearer " + kSecret}, {"both", kSecret + "/" + kSecret}};
  r.as_user = kSecret;
  r.filter = "tags: web";
  const std::string stored = stored_run_body(r, &served);
  CHECK(stored.find("s3cr3t") == std::string::npos);
  CHECK(stored.find(R"j("auth":"Bearer (from key storage)")j") != std::string::npos);
  CHECK(stored.find(R"("keyStorage":[)") != std::string::npos);

  Keys keys;
  SendableBody sent;
  sendable_run_body(stored, keys.lookup(), sent);
  REQUIRE(sent.error.empty());
  CHECK(sent.json == stored_run_body(r, nullptr)); // exactly what Rundeck got before: no marks
  CHECK(sent.values.size() == 4);

  SECTION("nothing from key storage: stored and sent as before") {
    RunRequest plain;
    plain.options = {{"id", "PGR0VU2"}};
    CHECK(stored_run_body(plain, &served) == R"({"options":{"id":"PGR0VU2"}})");
    SendableBody same;
    sendable_run_body(R"({"options":{"id":"PGR0VU2"}})", keys.lookup(), same);
    CHECK(same.json == R"({"options":{"id":"PGR0VU2"}})");
  }
  SECTION("a key gone by the time of the call: not sent, the key named, no value") {
    keys.values.erase("keys/pd/secret");
    SendableBody gone;
    sendable_run_body(stored, keys.lookup(), gone);
    CHECK(gone.json.empty());
    CHECK(gone.error == "key storage has no key 'keys/pd/secret' now");
  }
  SECTION("an option whose text (from key storage) came from the event stays as it is") {
    RunRequest lookalike;
    lookalike.options = {{"note", "(from key storage)"}, {"auth", kSecret}};
    SendableBody back;
    sendable_run_body(stored_run_body(lookalike, &served), keys.lookup(), back);
    CHECK(back.json == stored_run_body(lookalike, nullptr));
  }
  SECTION("Rundeck's answer echoing the value is hidden") {
    CHECK(hide_values("Option 'auth' value: Bearer " + kSecret + " is invalid", sent.values) ==
          "Option 'auth' value: Bearer (from key storage) is invalid");
  }
}
