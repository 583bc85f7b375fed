// The config file: what loads, its durations and limits, errors naming the field; key storage.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/keystore.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <string>

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;
namespace fs = std::filesystem;

namespace {

const char *kGood = R"({
  "listen": "127.0.0.1:4440", "pluginDir": "plugins", "stateDir": "state", "keyStorageDir": "keys",
  "rundeck": {"url": "http://127.0.0.1:4441/", "apiVersion": 41, "authTokenFile": "token"},
  "webhooks": [{"name": "PagerDuty", "project": "ops", "eventPlugin": "pagerduty-V3-run-job",
                "authToken": "abc", "enabled": true, "user": "admin", "roles": "admin,user",
                "config": "{\"rules\": []}"}]})";

std::string config_error(const std::string &text) {
  TempDir dir;
  try {
    load_config(dir.write("gw.json", text));
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "";
}

std::string with(std::string text, const std::string &from, const std::string &to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("config: a good file loads, relative paths resolve against its directory") {
  TempDir dir;
  const Config c = load_config(dir.write("gw.json", kGood));
  CHECK(c.http.listen.host == "127.0.0.1");
  CHECK(c.http.listen.port == 4440);
  CHECK(c.http.max_body_bytes == 1024 * 1024);
  REQUIRE(c.plugin_dirs.size() == 1);
  CHECK(c.plugin_dirs[0] == (fs::absolute(dir.path) / "plugins").lexically_normal().string());
  CHECK(c.rundeck.url == "http://127.0.0.1:4441"); // trailing '/' dropped
  CHECK(c.rundeck.auth_token_file == (fs::absolute(dir.path) / "token").lexically_normal().string());
  REQUIRE(c.webhooks.size() == 1);
  CHECK(c.webhooks[0].config_json == R"({"rules": []})"); // a JSON string config is kept as text
  CHECK(c.webhooks[0].roles == std::vector<std::string>{"admin", "user"});
  CHECK(c.webhooks[0].key() == "name:ops/PagerDuty");
  CHECK(c.max_event_age_s == 49 * 3600);
  CHECK(c.outbox.postgresql.empty());
}

TEST_CASE("config: durations, the PostgreSQL outbox, dispatch and HTTP limits") {
  TempDir dir;
  const Config c = load_config(dir.write(
      "gw.json", with(with(with(kGood, "\"stateDir\"", "\"maxEventAge\": \"50h\", \"stateDir\""), "\"apiVersion\": 41",
                           "\"apiVersion\": 41, \"maxConcurrentCalls\": 3, \"reconcileDelaySeconds\": 2, "
                           "\"timeoutSeconds\": 20"),
                      "\"pluginDir\"",
                      "\"outbox\": {\"postgresql\": \"host=/run/pg dbname=rdwh\", \"leaseSeconds\": 20}, "
                      "\"http\": {\"maxConnectionsPerIp\": 8, \"headerTimeoutSeconds\": 3}, \"pluginDir\"")));
  CHECK(c.max_event_age_s == 50 * 3600);
  CHECK(c.outbox.postgresql == "host=/run/pg dbname=rdwh");
  CHECK(c.outbox.lease_seconds == 20);
  CHECK(c.rundeck.max_concurrent_calls == 3);
  CHECK(c.rundeck.reconcile_delay_ms == 2000);
  CHECK(c.http.max_connections_per_ip == 8);
  CHECK(c.http.header_timeout_s == 3);
}

TEST_CASE("config: errors name the field") {
  CHECK_THAT(config_error(with(kGood, "\"127.0.0.1:4440\"", "\"localhost:4440\"")),
             Catch::Contains("listen: 'localhost' is not a numeric IP address"));
  CHECK_THAT(config_error(with(kGood, "\"apiVersion\": 41", "\"apiVersion\": \"41\"")),
             Catch::Contains("rundeck.apiVersion: must be an integer"));
  CHECK_THAT(config_error(with(kGood, "\"eventPlugin\": \"pagerduty-V3-run-job\",", "")),
             Catch::Contains("webhooks[0].eventPlugin: required"));
  CHECK_THAT(config_error(with(kGood, "\"enabled\": true", "\"enabled\": true, \"useAuth\": true")),
             Catch::Contains("webhooks[0].useAuth: needs 'authorization'"));
  CHECK_THAT(config_error(with(kGood, "\"enabled\": true", "\"enabled\": true, \"authorization\": \"hunter2\"")),
             Catch::Contains("webhooks[0].authorization: must be a key reference"));
  CHECK_THAT(config_error(with(kGood, "\"enabled\": true", "\"enabled\": true, \"authorizationSha256\": \"xyz\"")),
             Catch::Contains("webhooks[0].authorizationSha256: must be 64 hex digits"));
  CHECK_THAT(config_error(with(kGood, "\"config\": \"{\\\"rules\\\": []}\"", "\"config\": \"[1]\"")),
             Catch::Contains("webhooks[0].config: a string config must hold a JSON object"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"stateDirs\"")), Catch::Contains("stateDirs: unknown key"));
  const std::string two = with(kGood, "\"config\": \"{\\\"rules\\\": []}\"}]",
                               "\"config\": {}}, {\"name\": \"B\", \"project\": \"ops\", \"eventPlugin\": \"x\", "
                               "\"authToken\": \"abc\"}]");
  CHECK_THAT(config_error(two), Catch::Contains("webhooks[1].authToken: same token as an earlier webhook"));
  CHECK_THAT(config_error("{"), Catch::Contains("invalid JSON"));
  // A lease shorter than a run call: another gateway could take the job over during the call.
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"outbox\": {\"leaseSeconds\": 10}, \"stateDir\"")),
             Catch::Contains("outbox.leaseSeconds: must not be below rundeck.timeoutSeconds (30 s)"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"maxEventAge\": \"9x\", \"stateDir\"")),
             Catch::Contains("maxEventAge: must be a duration"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"maxEventAge\": \"200d\", \"stateDir\"")),
             Catch::Contains("maxEventAge: must be below outbox.retainDoneHours"));
}

TEST_CASE("config: rundeck.followUpMaxHours: 24 by default, 0 turns following off, never beyond the outbox's memory") {
  TempDir dir;
  CHECK(load_config(dir.write("gw.json", kGood)).rundeck.follow_up_max_hours == 24);
  CHECK(load_config(dir.write("off.json", with(kGood, "\"apiVersion\": 41", "\"apiVersion\": 41, \"followUpMaxHours\": 0")))
            .rundeck.follow_up_max_hours == 0);
  CHECK_THAT(config_error(with(kGood, "\"apiVersion\": 41", "\"apiVersion\": 41, \"followUpMaxHours\": -1")),
             Catch::Contains("rundeck.followUpMaxHours"));
  // A job is purged from the outbox after retainDoneHours: its execution could no longer be followed.
  CHECK_THAT(config_error(with(kGood, "\"apiVersion\": 41", "\"apiVersion\": 41, \"followUpMaxHours\": 200")),
             Catch::Contains("rundeck.followUpMaxHours: must not be above outbox.retainDoneHours (168 h)"));
}

TEST_CASE("key storage: files as stored, env/NAME, no way out of the directory") {
  TempDir dir;
  dir.write("keys/pd/secret", "line1\nline2\n");
  const KeyStore keys((dir.path / "keys").string(), {"RDWH_GATEWAY_UNIT_SECRET", "RDWH_GATEWAY_UNIT_UNSET"});
  CHECK(keys.get("keys/pd/secret") == std::optional<std::string>("line1\nline2\n")); // bytes as-is
  CHECK(keys.get("/keys/pd/secret") == std::optional<std::string>("line1\nline2\n"));
  CHECK_FALSE(keys.get("keys/pd/none").has_value());
  ::setenv("RDWH_GATEWAY_UNIT_SECRET", "s3", 1);
  CHECK(keys.get("env/RDWH_GATEWAY_UNIT_SECRET") == std::optional<std::string>("s3"));
  CHECK_FALSE(keys.get("env/RDWH_GATEWAY_UNIT_UNSET").has_value());
  CHECK_THROWS_WITH(keys.get("keys/../keys/pd/secret"), Catch::Contains("malformed"));
  CHECK_THROWS_WITH(keys.get("keys/pd//secret"), Catch::Contains("malformed"));
  CHECK_THROWS_WITH(keys.get("files/x"), Catch::Contains("must start with keys/ or env/"));
  CHECK_THROWS(keys.get("env/BAD-NAME"));
}

TEST_CASE("key storage: env/NAME reads only the names keyStorageEnvAllow lists (none by default)") {
  ::setenv("RDWH_GATEWAY_UNIT_SECRET", "s3", 1);
  const KeyStore none("");
  CHECK_FALSE(none.get("env/RDWH_GATEWAY_UNIT_SECRET").has_value()); // as a missing key
  CHECK_FALSE(none.get("env/HOME").has_value());
  CHECK_THAT(none.why_missing("env/HOME"), Catch::Contains("env/HOME is not in keyStorageEnvAllow"));
  CHECK(none.why_missing("keys/x").empty());
  const KeyStore some("", {"RDWH_GATEWAY_UNIT_SECRET"});
  CHECK(some.get("env/RDWH_GATEWAY_UNIT_SECRET") == std::optional<std::string>("s3"));
  CHECK(some.why_missing("env/RDWH_GATEWAY_UNIT_SECRET").empty());
  CHECK_FALSE(some.get("env/HOME").has_value());

  TempDir dir;
  const std::string base = std::string(kGood).substr(0, std::string(kGood).size() - 1);
  CHECK(load_config(dir.write("a.json", base + R"(, "keyStorageEnvAllow": ["A", "_B1"]})")).key_storage_env_allow ==
        std::vector<std::string>{"A", "_B1"});
  CHECK(load_config(dir.write("b.json", kGood)).key_storage_env_allow.empty());
  const std::string bad = config_error(base + R"(, "keyStorageEnvAllow": ["OK", "1X", "A-B", 3]})");
  CHECK_THAT(bad, Catch::Contains("keyStorageEnvAllow[1]: must be an environment variable name"));
  CHECK_THAT(bad, Catch::Contains("keyStorageEnvAllow[2]"));
  CHECK_THAT(bad, Catch::Contains("keyStorageEnvAllow[3]"));
  CHECK_THAT(config_error(base + R"(, "keyStorageEnvAllow": "HOME"})"),
             Catch::Contains("keyStorageEnvAllow: must be a list"));
}

TEST_CASE("config: pagerduty and a webhook's followUp, with their defaults") {
  TempDir dir;
  const std::string pd = "\"pagerduty\": {\"tokenFile\": \"pd-token\", \"from\": \"oncall@example.com\"}, \"stateDir\"";
  const Config plain = load_config(dir.write("plain.json", kGood));
  CHECK_FALSE(plain.pagerduty.enabled);
  CHECK_FALSE(plain.webhooks[0].follow_up.any());
  CHECK(plain.webhooks[0].follow_up.output_lines == 10);

  const Config c = load_config(dir.write(
      "gw.json", with(with(kGood, "\"stateDir\"", pd), "\"enabled\": true",
                      "\"enabled\": true, \"followUp\": {\"note\": true, \"outputLines\": 25}")));
  CHECK(c.pagerduty.enabled);
  CHECK(c.pagerduty.api_url == "https://api.pagerduty.com");
  CHECK(c.pagerduty.token_file == (fs::absolute(dir.path) / "pd-token").lexically_normal().string());
  CHECK(c.pagerduty.from == "oncall@example.com");
  CHECK(c.webhooks[0].follow_up.note);
  CHECK_FALSE(c.webhooks[0].follow_up.resolve_on_success);
  CHECK(c.webhooks[0].follow_up.output_lines == 25);

  const Config eu = load_config(dir.write(
      "eu.json", with(kGood, "\"stateDir\"",
                      "\"pagerduty\": {\"apiUrl\": \"https://api.eu.pagerduty.com/\", \"tokenFile\": \"t\", "
                      "\"from\": \"a@b.c\"}, \"stateDir\"")));
  CHECK(eu.pagerduty.api_url == "https://api.eu.pagerduty.com");
}

TEST_CASE("config: a followUp without a pagerduty section is refused, bad values name their path") {
  const std::string note = with(kGood, "\"enabled\": true", "\"enabled\": true, \"followUp\": {\"note\": true}");
  CHECK_THAT(config_error(note), Catch::Contains("webhooks[0].followUp: note needs the top-level \"pagerduty\" section"));
  CHECK_THAT(config_error(with(kGood, "\"enabled\": true", "\"enabled\": true, \"followUp\": {\"resolveOnSuccess\": true}")),
             Catch::Contains("webhooks[0].followUp: resolveOnSuccess needs the top-level \"pagerduty\" section"));
  // Both off: nothing to write, nothing refused.
  CHECK(config_error(with(kGood, "\"enabled\": true", "\"enabled\": true, \"followUp\": {\"note\": false}")).empty());

  const std::string pd = "\"pagerduty\": {\"tokenFile\": \"t\", \"from\": \"a@b.c\"}, \"stateDir\"";
  auto follow = [&](const std::string &fu) {
    return config_error(with(with(kGood, "\"stateDir\"", pd), "\"enabled\": true", "\"enabled\": true, \"followUp\": " + fu));
  };
  CHECK_THAT(follow("{\"note\": \"yes\"}"), Catch::Contains("webhooks[0].followUp.note: must be true or false"));
  CHECK_THAT(follow("{\"resolveOnSuccess\": 1}"),
             Catch::Contains("webhooks[0].followUp.resolveOnSuccess: must be true or false"));
  CHECK_THAT(follow("{\"outputLines\": 1001}"),
             Catch::Contains("webhooks[0].followUp.outputLines: must be an integer from 0 to 1000"));
  CHECK_THAT(follow("{\"outputLines\": -1}"), Catch::Contains("webhooks[0].followUp.outputLines"));
  CHECK_THAT(follow("{\"notes\": true}"), Catch::Contains("webhooks[0].followUp.notes: unknown key"));
  CHECK_THAT(follow("true"), Catch::Contains("webhooks[0].followUp: must be an object"));

  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"pagerduty\": {\"from\": \"a@b.c\"}, \"stateDir\"")),
             Catch::Contains("pagerduty.tokenFile: required"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"pagerduty\": {\"tokenFile\": \"t\"}, \"stateDir\"")),
             Catch::Contains("pagerduty.from: required"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"", "\"pagerduty\": {\"tokenFile\": \"t\", \"from\": \"oncall\"}, \"stateDir\"")),
             Catch::Contains("pagerduty.from: must be the email address of a PagerDuty user"));
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"",
                               "\"pagerduty\": {\"apiUrl\": \"api.pagerduty.com\", \"tokenFile\": \"t\", \"from\": "
                               "\"a@b.c\"}, \"stateDir\"")),
             Catch::Contains("pagerduty.apiUrl: must start with http:// or https://"));
  // A note's call must end within its lease (30 s by default): at most half of it.
  CHECK(config_error(with(kGood, "\"stateDir\"",
                          "\"pagerduty\": {\"tokenFile\": \"t\", \"from\": \"a@b.c\", \"timeoutSeconds\": 15}, "
                          "\"stateDir\"")).empty());
  CHECK_THAT(config_error(with(kGood, "\"stateDir\"",
                               "\"pagerduty\": {\"tokenFile\": \"t\", \"from\": \"a@b.c\", \"timeoutSeconds\": 16}, "
                               "\"stateDir\"")),
             Catch::Contains("outbox.leaseSeconds: must be at least twice pagerduty.timeoutSeconds (16 s)"));
}

TEST_CASE("config: followUp's one reader, its stored text and its refusal, for API webhooks as for the file's") {
  auto read = [](const char *json, FollowUpSettings &out) {
    rapidjson::Document doc;
    doc.Parse(json);
    return read_follow_up(doc, "followUp", out);
  };
  FollowUpSettings f;
  CHECK(read(R"({"note": true, "outputLines": 3})", f).empty());
  CHECK(f.note);
  CHECK_FALSE(f.resolve_on_success);
  CHECK(f.output_lines == 3);
  // The stored text: "" for the defaults (rows made before followUp read the same), else every key.
  CHECK(follow_up_text(FollowUpSettings{}).empty());
  CHECK(follow_up_text(f) == R"({"note":true,"resolveOnSuccess":false,"outputLines":3})");
  FollowUpSettings again;
  CHECK(read(follow_up_text(f).c_str(), again).empty());
  CHECK(again == f);

  FollowUpSettings bad;
  const std::vector<FieldProblem> problems = read(R"({"note": 1, "outputLines": 5000, "x": 0})", bad);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].field == "followUp.x");
  CHECK(problems[0].message == "unknown key");
  CHECK(problems[1].field == "followUp.note");
  CHECK(problems[2].field == "followUp.outputLines");
  CHECK(problems[2].message == "must be an integer from 0 to 1000");
  CHECK(read("[]", bad).at(0).message == "must be an object");

  PagerDutySettings none, pagerduty;
  pagerduty.enabled = true;
  CHECK_THAT(follow_up_refusal(f, none), Catch::StartsWith("note needs the top-level \"pagerduty\" section"));
  CHECK(follow_up_refusal(f, pagerduty).empty());
  FollowUpSettings lines_only;
  lines_only.output_lines = 50;
  CHECK(follow_up_refusal(lines_only, none).empty());
}
