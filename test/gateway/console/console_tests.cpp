// Unit tests of the console's pieces: forms, the delivery record (redaction, bodies), login,
// sessions and CSRF, the console config, the webhooks and deliveries tables (on SQLite, and on
// PostgreSQL with the other [outbox] tests), and the explanation of a stored delivery. The API and
// the pages end to end are in console_api_test.py and console_browser_test.py.
#include <catch2/catch.hpp>

#include "console/auth.hpp"
#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/line_diff.hpp"
#include "intake/recorder.hpp"
#include "console/admin/delivery_view.hpp"
#include "console/api/evaluation.hpp"
#include "intake/pipeline.hpp"
#include "store/schema.hpp"
#include "store/sqlite/connection.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

using Catch::Matchers::Contains;

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;

namespace {

HttpRequest request(std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  HttpRequest r;
  r.method = "POST";
  r.path = "/api/41/webhook/x";
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.sender = "192.0.2.7";
  r.received_unix_ms = 1714564800000;
  return r;
}

WebhookConfig file_webhook(const std::string &name, const std::string &token, const std::string &uuid = "") {
  WebhookConfig w;
  w.name = name;
  w.project = "ops";
  w.event_plugin = "pagerduty-V3-run-job";
  w.auth_token = token;
  w.uuid = uuid;
  w.config_json = R"({"rules":[]})";
  return w;
}

StoredWebhook api_webhook(const std::string &name, const std::string &token) {
  StoredWebhook w;
  w.uuid = random_uuid();
  w.project = "ops";
  w.name = name;
  w.event_plugin = "pagerduty-V3-run-job";
  w.config_json = "{}";
  w.auth_token = token;
  w.user = "admin";
  w.creator = "console";
  return w;
}

NewJob stored_job(const std::string &event, const std::string &rule, uint32_t rule_index) {
  NewJob j;
  j.webhook_key = "uuid:hook-1";
  j.webhook_name = "Hook";
  j.project = "ops";
  j.delivery_key = "event:" + event;
  j.rule_key = rule;
  j.rule = rule;
  j.event_id = event;
  j.job_id = "job-" + rule;
  j.request_json = R"({"options":{"pd_incident_id":"PGR0VU2"}})";
  j.rule_index = rule_index;
  return j;
}

// A JSON string's text ("<not a string>" otherwise): Catch cannot print RapidJSON values.
std::string text(const rapidjson::Value &v) { return v.IsString() ? v.GetString() : "<not a string>"; }

DeliveryRecord record_for(int64_t webhook_id, int64_t received_ms, const std::string &outcome_name) {
  DeliveryRecord d;
  d.received_ms = received_ms;
  d.webhook_id = webhook_id;
  d.webhook_name = "Hook";
  d.project = "ops";
  d.webhook_key = "uuid:hook-1";
  d.delivery_id = "d-" + std::to_string(received_ms);
  d.sender = "192.0.2.7";
  d.status = 200;
  d.verdict = "accepted";
  d.outcome = outcome_name;
  return d;
}

// A database at schema version 4 (the layout before ids were kept from reuse), filled by `fill`.
void make_v4(const OutboxUnderTest &t, const std::function<void(sql::Connection &)> &fill) {
  const sql::Dialect dialect{t.postgresql() ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY", "", nullptr,
                             nullptr, nullptr, nullptr};
  const std::string layout = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);" +
                             schema::schema_v2_sql(dialect) + schema::schema_v3_sql(dialect) +
                             schema::schema_v4_sql();
  if (t.postgresql()) {
    sql::PgConnection c(t.conninfo);
    c.script((layout + "CREATE TABLE rdwh_schema (version INTEGER NOT NULL); INSERT INTO rdwh_schema VALUES (4);")
                 .c_str());
    fill(c);
  } else {
    sql::SqliteConnection c((t.dir.path / "outbox.sqlite3").string(), 1000, true);
    c.script((layout + "PRAGMA user_version = 4;").c_str());
    fill(c);
  }
}

Settlement settled(const OutboxJob &j, const std::string &status, int64_t http_status, int64_t attempts_due = 0) {
  Settlement s;
  s.id = j.id;
  s.owner = j.owner;
  s.status = status;
  s.http_status = http_status;
  s.next_attempt_ms = attempts_due;
  if (status == "done") s.execution_id = "exec-" + std::to_string(j.id);
  if (status != "done") s.reason = "HTTP " + std::to_string(http_status);
  return s;
}

} // namespace

namespace {
std::string diff_text(std::string_view a, std::string_view b) {
  std::string out;
  for (const DiffLine &l : line_diff(a, b)) out += std::string(1, l.op) + l.text + "\n";
  return out;
}
} // namespace

TEST_CASE("console: the history's line diff: removed, added, unchanged runs cut, bounded") {
  CHECK(diff_text("a\nb\nc", "a\nx\nc") == " a\n-b\n+x\n c\n");
  CHECK(diff_text("", "a\nb") == "+a\n+b\n");
  CHECK(diff_text("a\nb", "a\nb") == "~2 unchanged lines\n");
  CHECK(diff_text("1\n2\n3\n4\n5\n6\n7\n8\n9\nX", "1\n2\n3\n4\n5\n6\n7\n8\n9\nY") ==
        "~6 unchanged lines\n 7\n 8\n 9\n-X\n+Y\n");
  CHECK(diff_text("a\nb\nc\nd", "b\nc\nd\ne") == "-a\n b\n c\n d\n+e\n");
  // Beyond the table's bound, the differing middle shows as removed then added.
  std::string big_a = "head\n", big_b = "head\n";
  for (int i = 0; i < 2100; ++i) big_a += "a" + std::to_string(i) + "\n", big_b += "b" + std::to_string(i) + "\n";
  const std::vector<DiffLine> big = line_diff(big_a, big_b);
  REQUIRE(big.size() == 1 + 4200);
  CHECK(big[1].op == '-');
  CHECK(big[2100].op == '-');
  CHECK(big[2101].op == '+');
}

TEST_CASE("console: a form body decodes + and %xx, in order, repeated names kept") {
  const auto f = parse_form("name=PagerDuty+V3&r0.opt.name=a%26b&r0.opt.name=%24.event.id&empty=&flag&x=%E2%9C%94");
  REQUIRE(f.size() == 6);
  CHECK(f[0] == std::pair<std::string, std::string>("name", "PagerDuty V3"));
  CHECK(f[1].second == "a&b");
  CHECK(f[2] == std::pair<std::string, std::string>("r0.opt.name", "$.event.id"));
  CHECK(f[3].second.empty());
  CHECK(f[4] == std::pair<std::string, std::string>("flag", ""));
  CHECK(f[5].second == "\xE2\x9C\x94");
  CHECK(parse_form("").empty());
}

TEST_CASE("console: text for the database is valid UTF-8 without NUL; base64 round-trips") {
  CHECK(utf8_clean("plain ✔ text") == "plain ✔ text");
  CHECK(utf8_clean(std::string("a\0b", 3)) == "a\xEF\xBF\xBD" "b");
  CHECK(utf8_clean("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");   // an overlong '/'
  CHECK(utf8_clean("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  CHECK(utf8_clean("cut \xE2\x9C") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  for (const std::string &s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("hello") == "aGVsbG8=");
  CHECK_THROWS(base64_decode("not*base64"));
}

TEST_CASE("console: the delivery record redacts secrets and keeps the body, cut at the cap") {
  const WebhookConfig hook = file_webhook("Hook", "tok");
  const HttpRequest req = request({{"X-PagerDuty-Signature", "v1=abcdef"},
                                   {"Authorization", "Bearer s3cret"},
                                   {"Cookie", "session=1"},
                                   {"X-Rundeck-Auth-Token", "rdtoken"},
                                   {"X-Hub-Signature-256", "sha256=00"},
                                   {"X-Api-Key", "k"},
                                   {"X-Webhook-Id", "w-1"},
                                   {"Content-Type", "application/json"}},
                                  R"({"event":{"id":"1"}})");
  const DeliveryRecord d = record_of(req, &hook, "w-1", 1024);
  for (const char *secret : {"abcdef", "s3cret", "session=1", "rdtoken", "sha256=00", "\"k\""})
    CHECK(d.headers_json.find(secret) == std::string::npos);
  CHECK(d.headers_json.find(R"(["X-Webhook-Id","w-1"])") != std::string::npos);
  CHECK(d.headers_json.find(R"x(["Authorization","(redacted)"])x") != std::string::npos);
  CHECK(d.body == R"({"event":{"id":"1"}})");
  CHECK_FALSE(d.body_truncated);
  CHECK(d.body_bytes == 20);
  CHECK(d.webhook_key == hook.key());

  const DeliveryRecord cut = record_of(req, &hook, "w-1", 5);
  CHECK(cut.body == R"({"eve)");
  CHECK(cut.body_truncated);
  CHECK(cut.body_bytes == 20);

  const DeliveryRecord binary = record_of(request({}, std::string("\x89PNG\0\x01", 6)), &hook, "w-2", 1024);
  CHECK(binary.body_base64);
  CHECK(stored_body(binary) == std::string("\x89PNG\0\x01", 6));

  // Anyone can post to an unknown token: nothing of the body is kept.
  const DeliveryRecord unknown = record_of(req, nullptr, "w-1", 1024);
  CHECK(unknown.webhook_id == 0);
  CHECK(unknown.body.empty());
  CHECK(unknown.body_truncated);

  DeliveryRecord answered = d;
  record_answer(answered, {403, "application/json", R"({"err":"invalid signature: no v1 entry matched"})"});
  CHECK(answered.outcome == outcome::refused);
  CHECK(answered.error == "invalid signature: no v1 entry matched");
  record_answer(answered, {503, "application/json", R"({"err":"Cannot store the jobs now, retry later"})"});
  CHECK(answered.outcome == outcome::failed);
}

TEST_CASE("console auth: the API wants the token; wrong ones are counted and slowed down, the right one never") {
  ConsoleAuth auth;
  const ConsoleSettings settings;
  const std::string token = "console-token-0123456789";
  const auto denied = auth.check_api(request({}), token, 41, settings);
  REQUIRE(denied);
  CHECK(denied->status == 401);
  CHECK(denied->body.find(R"("errorCode":"api.error.unauthorized")") != std::string::npos);
  CHECK(denied->body.find(R"("apiversion":41)") != std::string::npos);
  CHECK_FALSE(auth.check_api(request({{"X-Rundeck-Auth-Token", token}}), token, 41, settings));
  for (int i = 0; i < 9; ++i) {
    const auto wrong = auth.check_api(request({{"X-Rundeck-Auth-Token", "guess"}}), token, 41, settings);
    REQUIRE(wrong);
    CHECK(wrong->status == 403);
    CHECK(wrong->body.find("guess") == std::string::npos);
  }
  CHECK(auth.check_api(request({{"X-Rundeck-Auth-Token", "guess"}}), token, 41, settings)->status == 403);
  // Ten wrong tokens: the address's wrong tokens wait; the right one still passes.
  const auto waits = auth.check_api(request({{"X-Rundeck-Auth-Token", "guess"}}), token, 41, settings);
  REQUIRE(waits);
  CHECK(waits->status == 429);
  CHECK(waits->body.find(R"("errorCode":"api.error.rate-limited")") != std::string::npos);
  CHECK(std::any_of(waits->headers.begin(), waits->headers.end(),
                    [](const auto &h) { return h.first == "Retry-After" && std::stoi(h.second) >= 1; }));
  CHECK_FALSE(auth.check_api(request({{"X-Rundeck-Auth-Token", token}}), token, 41, settings));
  int64_t retry_after_s = 0;
  CHECK(auth.login(request({}), token, token, settings, retry_after_s));
  CHECK_FALSE(auth.login(request({}), "guess", token, settings, retry_after_s));
  CHECK(retry_after_s >= 1);
}

TEST_CASE("console auth: a login makes a session the cookie names; logout and a new token end it") {
  ConsoleAuth auth;
  ConsoleSettings settings;
  const std::string token = "console-token-0123456789";
  int64_t retry_after_s = 0;
  CHECK_FALSE(auth.login(request({}), "wrong", token, settings, retry_after_s));
  CHECK(retry_after_s == 0);
  const auto s = auth.login(request({}), token, token, settings, retry_after_s);
  REQUIRE(s);
  CHECK(s->id.size() >= 40);
  CHECK(s->csrf != s->id);
  const std::string cookie = ConsoleAuth::cookie(*s, settings);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Secure") == std::string::npos);
  settings.secure_cookies = true;
  CHECK(ConsoleAuth::cookie(*s, settings).find("; Secure") != std::string::npos);

  HttpRequest browser = request({});
  browser.cookies = {{ConsoleAuth::kCookie, s->id}};
  REQUIRE(auth.session(browser, token));
  CHECK(auth.session(browser, token)->csrf == s->csrf);
  CHECK_FALSE(auth.session(browser, "a-new-console-token-0000")); // the token changed: sessions end
  CHECK_FALSE(auth.session(browser, token));
  const auto again = auth.login(request({}), token, token, settings, retry_after_s);
  browser.cookies = {{ConsoleAuth::kCookie, again->id}};
  REQUIRE(auth.session(browser, token));
  auth.logout(browser);
  CHECK_FALSE(auth.session(browser, token));
  browser.cookies = {{ConsoleAuth::kCookie, "made-up"}};
  CHECK_FALSE(auth.session(browser, token));
}

TEST_CASE("console auth: a change needs this host's Origin (else Referer) and the session's CSRF token") {
  const Session s{"id", "csrf-token-1234", 0};
  std::string why;
  const std::vector<std::string> own; // only the Host header
  auto req = [](std::vector<std::pair<std::string, std::string>> h) { return request(std::move(h)); };
  CHECK(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}, {"Origin", "http://127.0.0.1:4441"}}), own, s,
                             "csrf-token-1234", why));
  CHECK(ConsoleAuth::csrf_ok(req({{"Host", "console.example"}, {"Referer", "https://console.example/webhooks/2"}}), own,
                             s, "csrf-token-1234", why));
  CHECK_FALSE(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}, {"Origin", "http://127.0.0.1:4441"}}), own, s,
                                   "other", why));
  CHECK(why.find("CSRF") != std::string::npos);
  CHECK_FALSE(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}, {"Origin", "http://127.0.0.1:4441"}}), own, s, "",
                                   why));
  CHECK_FALSE(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}, {"Origin", "https://evil.example"}}), own, s,
                                   "csrf-token-1234", why));
  CHECK(why.find("evil.example") != std::string::npos);
  CHECK_FALSE(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}, {"Origin", "null"}}), own, s, "csrf-token-1234",
                                   why));
  CHECK_FALSE(ConsoleAuth::csrf_ok(req({{"Host", "127.0.0.1:4441"}}), own, s, "csrf-token-1234", why));
  CHECK(why.find("neither an Origin nor a Referer") != std::string::npos);
}

TEST_CASE("console auth: the console's own names (publicUrl, listen) pass the Origin check whatever the Host") {
  ConsoleSettings settings;
  settings.public_url = "https://RDWH.example.com:443";
  settings.http.listen = {"127.0.0.1", 0, false};
  const std::vector<std::string> own = ConsoleAuth::own_hosts(settings, 4441);
  CHECK(own == std::vector<std::string>{"rdwh.example.com", "127.0.0.1:4441", "localhost:4441"});
  settings.public_url.clear();
  settings.http.listen = {"::1", 4441, true};
  CHECK(ConsoleAuth::own_hosts(settings, 0) == std::vector<std::string>{"[::1]:4441", "localhost:4441"});

  std::string why;
  // A TLS proxy that sends its own Host: the browser's Origin is publicUrl's.
  auto from = [](const char *origin) {
    return request({{"Host", "127.0.0.1:4441"}, {"Origin", origin}});
  };
  CHECK(ConsoleAuth::same_origin(from("https://rdwh.example.com"), own, why));
  CHECK(ConsoleAuth::same_origin(from("http://localhost:4441"), own, why));
  CHECK_FALSE(ConsoleAuth::same_origin(from("https://rdwh.example.com.evil.example"), own, why));
  CHECK_FALSE(ConsoleAuth::same_origin(from("http://localhost:4442"), own, why));
  CHECK_FALSE(ConsoleAuth::same_origin(from("https://evil.example"), own, why));
}

TEST_CASE("config: the console section: defaults, every key, errors named") {
  TempDir dir;
  const std::string base = R"({"listen": "127.0.0.1:4440", "pluginDir": "p", "stateDir": "s",
    "rundeck": {"url": "http://rd", "apiVersion": 41, "authTokenFile": "t"}, "webhooks": [])";
  Config c = load_config(dir.write("a.json", base + "}"));
  CHECK_FALSE(c.console.enabled);
  c = load_config(dir.write("b.json", base + R"(, "console": {"authTokenFile": "console.token"}})"));
  CHECK(c.console.enabled);
  CHECK(c.console.http.listen.host == "127.0.0.1");
  CHECK(c.console.http.listen.port == 4441);
  CHECK(c.console.auth_token_file == (dir.path / "console.token").string());
  CHECK(c.console.deliveries.enabled);
  CHECK(c.console.deliveries.retain_hours == 24);
  CHECK(c.console.deliveries.max_body_bytes == 64 * 1024);
  c = load_config(dir.write("c.json", base + R"(, "console": {"listen": "[::1]:9000", "authTokenFile": "/t",
      "publicUrl": "https://rdwh.example/", "secureCookies": true, "sessionHours": 2,
      "deliveries": {"enabled": false, "retainHours": 72, "maxBodyBytes": 1000}}})"));
  CHECK(c.console.http.listen.ipv6);
  CHECK(c.console.public_url == "https://rdwh.example");
  CHECK(c.console.secure_cookies);
  CHECK(c.console.session_hours == 2);
  CHECK_FALSE(c.console.deliveries.enabled);
  CHECK(c.console.deliveries.retain_hours == 72);
  auto error = [&](const std::string &console) {
    try {
      load_config(dir.write("e.json", base + ", \"console\": " + console + "}"));
    } catch (const ConfigError &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error(R"({})").find("console.authTokenFile: required") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "listen": "localhost:1"})").find("console.listen:") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "listen": "127.0.0.1:4440"})").find("must differ from listen") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "publicUrl": "ftp://x"})").find("console.publicUrl") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "deliveries": {"retainHours": 0}})").find("console.deliveries.retainHours") !=
        std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "colour": 1})").find("console.colour: unknown key") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "trustedProxies": "10.0.0.1"})")
            .find("console.trustedProxies: must be a list") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "trustedProxies": ["10.0.0.0/33"]})")
            .find("console.trustedProxies[0]: '10.0.0.0/33': the prefix length") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "trustedProxies": ["127.0.0.1", "proxy.local"]})")
            .find("console.trustedProxies[1]: 'proxy.local': not a numeric") != std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "trustedProxies": ["10.0.0.1/8"]})").find("bits set past") !=
        std::string::npos);
  CHECK(error(R"({"authTokenFile": "t", "trustedProxies": ["::/0"]})").find("would trust every address") !=
        std::string::npos);
  c = load_config(dir.write("d.json", base + R"(, "console": {"authTokenFile": "t",
      "trustedProxies": ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]}})"));
  CHECK(c.console.trusted_proxies.size() == 3);
}

TEST_CASE("config: rundeck.url must not name the gateway's own console or listener") {
  TempDir dir;
  auto error = [&](const std::string &url, const std::string &console_listen) {
    try {
      load_config(dir.write("g.json", R"({"listen": "0.0.0.0:4440", "pluginDir": "p", "stateDir": "s",
        "rundeck": {"url": ")" + url + R"(", "apiVersion": 41, "authTokenFile": "t"},
        "console": {"listen": ")" + console_listen + R"(", "authTokenFile": "c"}, "webhooks": []})"));
    } catch (const ConfigError &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error("http://127.0.0.1:4441", "127.0.0.1:4441").find("rundeck.url: names this gateway's own console") !=
        std::string::npos);
  CHECK(error("http://localhost:4441/", "127.0.0.1:4441").find("own console") != std::string::npos);
  CHECK(error("https://[::1]:4441", "[::]:4441").find("own console") != std::string::npos);
  CHECK(error("http://127.0.0.1:4440", "127.0.0.1:4441").find("own webhook listener") != std::string::npos);
  CHECK(error("http://rundeck.example:4441", "127.0.0.1:4441").empty());
  CHECK(error("http://127.0.0.1:4442", "127.0.0.1:4441").empty());
  CHECK(error("http://192.0.2.10:4441", "127.0.0.1:4441").empty());
}

TEST_CASE("webhook store: file webhooks get stable ids and uuids; the file wins; rows of removed ones go", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  const int64_t v0 = store.version();
  std::vector<WebhookConfig> file = {file_webhook("A", "ta"), file_webhook("B", "tb", "uuid-b")};
  CHECK(store.sync_file(file, 1000).empty());
  CHECK(file[0].id > 0);
  CHECK(file[1].id > file[0].id);
  CHECK(file[0].assigned_uuid.size() == 36); // generated, kept
  CHECK(file[1].assigned_uuid == "uuid-b");
  const int64_t v1 = store.version();
  CHECK(v1 > v0);

  // The same file again: same ids and uuids, nothing changes (the version neither).
  std::vector<WebhookConfig> again = {file_webhook("A", "ta"), file_webhook("B", "tb", "uuid-b")};
  store.sync_file(again, 2000);
  CHECK(again[0].id == file[0].id);
  CHECK(again[0].assigned_uuid == file[0].assigned_uuid);
  CHECK(store.version() == v1);

  // An API webhook, then a file webhook of the same name: the file's takes its row.
  StoredWebhook api = api_webhook("C", "tc");
  store.create(api, 3000);
  CHECK(api.id > 0);
  CHECK(store.list("").size() == 3);
  std::vector<WebhookConfig> with_c = {file_webhook("A", "ta"), file_webhook("B", "tb", "uuid-b"),
                                       file_webhook("C", "tc-from-file")};
  const auto warnings = store.sync_file(with_c, 4000);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("created through the console is replaced") != std::string::npos);
  CHECK(with_c[2].id == api.id);
  const auto c = store.find("ops", std::to_string(api.id));
  REQUIRE(c);
  CHECK(c->from_file);
  CHECK(c->auth_token == "tc-from-file");

  // B renamed in the file (same uuid): same row. A gone from the file: its row goes.
  std::vector<WebhookConfig> renamed = {file_webhook("B2", "tb", "uuid-b")};
  store.sync_file(renamed, 5000);
  CHECK(renamed[0].id == file[1].id);
  const auto rows = store.list("");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "B2");
  CHECK(store.find("", "uuid-b"));
  CHECK_FALSE(store.find("", std::to_string(file[0].id)));

  // A file token an API webhook already uses: a conflict that names no token.
  StoredWebhook d = api_webhook("D", "td");
  store.create(d, 6000);
  std::vector<WebhookConfig> clash = {file_webhook("B2", "tb", "uuid-b"), file_webhook("E", "td")};
  try {
    store.sync_file(clash, 7000);
    FAIL("a conflict was expected");
  } catch (const WebhookConflict &e) {
    CHECK(std::string(e.what()).find("td") == std::string::npos);
  }
  CHECK(store.list("").size() == 2); // nothing of the failed sync stayed
}

TEST_CASE("webhook store: API webhooks are created, updated, deleted; names and tokens stay unique", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  StoredWebhook a = api_webhook("A", "ta");
  store.create(a, 1000);
  StoredWebhook b = api_webhook("B", "tb");
  b.project = "other";
  store.create(b, 1000);
  CHECK(store.list("ops").size() == 1);
  CHECK(store.list("").size() == 2);
  CHECK(store.find("ops", a.uuid)->id == a.id);
  CHECK_FALSE(store.find("other", std::to_string(a.id))); // {id} is looked up in the path's project

  StoredWebhook dup = api_webhook("A", "tz");
  CHECK_THROWS_AS(store.create(dup, 2000), WebhookConflict);
  StoredWebhook same_token = api_webhook("Z", "ta");
  CHECK_THROWS_AS(store.create(same_token, 2000), WebhookConflict);

  const int64_t v = store.version();
  a.config_json = R"({"rules":[{"name":"r"}]})";
  a.enabled = false;
  store.update(a, 3000);
  CHECK(store.version() > v);
  const auto updated = store.find("", std::to_string(a.id));
  REQUIRE(updated);
  CHECK_FALSE(updated->enabled);
  CHECK(updated->config_json == a.config_json);
  CHECK(updated->created_ms == 1000);
  CHECK(updated->updated_ms == 3000);

  // Deleting takes the webhook's stored deliveries with it.
  DeliveryRecord d = record_for(a.id, 3500, outcome::nothing);
  o->enqueue({}, 3500, &d);
  CHECK(store.remove(a.id));
  CHECK_FALSE(store.remove(a.id));
  CHECK_FALSE(o->deliveries().get(d.id));
  CHECK(store.list("").size() == 1);
}

TEST_CASE("webhook store: ids are never used twice, after a delete of the newest and a restart", "[outbox]") {
  OutboxUnderTest t;
  int64_t gone_hook = 0, gone_delivery = 0, kept_hook = 0;
  {
    auto o = t.open();
    WebhookStore &store = o->webhooks();
    StoredWebhook a = api_webhook("A", "ta"), b = api_webhook("B", "tb");
    store.create(a, 1000);
    store.create(b, 1000);
    kept_hook = a.id;
    CHECK(store.remove(b.id)); // the newest webhook
    StoredWebhook c = api_webhook("C", "tc");
    store.create(c, 2000);
    CHECK(c.id > b.id);

    DeliveryRecord d1 = record_for(a.id, 3000, outcome::nothing), d2 = record_for(c.id, 3100, outcome::nothing);
    o->enqueue({}, 3000, &d1);
    o->enqueue({}, 3100, &d2);
    CHECK(store.remove(c.id)); // the newest webhook again, and with it the newest delivery
    CHECK_FALSE(o->deliveries().get(d2.id));
    DeliveryRecord d3 = record_for(a.id, 3200, outcome::nothing);
    o->enqueue({}, 3200, &d3);
    CHECK(d3.id > d2.id);

    StoredWebhook e = api_webhook("E", "te");
    store.create(e, 4000);
    DeliveryRecord d4 = record_for(e.id, 4100, outcome::nothing);
    o->enqueue({}, 4100, &d4);
    CHECK(store.remove(e.id));
    gone_hook = e.id;
    gone_delivery = d4.id;
  }
  auto o = t.open(); // a restart
  StoredWebhook f = api_webhook("F", "tf");
  o->webhooks().create(f, 5000);
  CHECK(f.id > gone_hook);
  DeliveryRecord d5 = record_for(kept_hook, 5100, outcome::nothing);
  o->enqueue({}, 5100, &d5);
  CHECK(d5.id > gone_delivery);
}

TEST_CASE("webhook store: a file webhook keeps its id and deliveries when its project changes and back", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  std::vector<WebhookConfig> file = {file_webhook("A", "ta")}; // no uuid: known by project and name
  store.sync_file(file, 1000);
  const int64_t id = file[0].id;
  DeliveryRecord d = record_for(id, 1500, outcome::nothing);
  o->enqueue({}, 1500, &d);

  std::vector<WebhookConfig> moved = {file_webhook("A", "ta")};
  moved[0].project = "other";
  store.sync_file(moved, 2000);
  CHECK(moved[0].id == id);
  std::vector<WebhookConfig> back = {file_webhook("A", "ta")};
  store.sync_file(back, 3000);
  CHECK(back[0].id == id);
  REQUIRE(store.list("").size() == 1);

  DeliveryFilter mine;
  mine.webhook_id = id;
  const auto history = o->deliveries().list(mine);
  REQUIRE(history.size() == 1);
  CHECK(history[0].id == d.id);
}

TEST_CASE("webhook store: each change writes a version with it, who and what; none holds the token", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  StoredWebhook a = api_webhook("A", "secret-token-a");
  a.use_auth = true;
  a.auth_sha256 = sha256_hex("secret-authorization");
  store.create(a, 1000, {"console session 0123abcd from 127.0.0.1", ""});
  a.enabled = false;
  store.update(a, 2000, {"api from 10.0.0.1", ""});
  a.config_json = R"({"rules":[{"name":"r"}]})";
  store.update(a, 3000, {"api from 10.0.0.1", ""});
  store.update(a, 3500, {"api from 10.0.0.1", ""}); // nothing changed: no version
  store.update(a, 4000, {"console session 0123abcd from 127.0.0.1", "restore"});

  std::vector<WebhookVersion> h = store.history(a.id);
  REQUIRE(h.size() == 4);
  CHECK(h[3].version == 1);
  CHECK(h[3].action == "create");
  CHECK(h[3].who == "console session 0123abcd from 127.0.0.1");
  CHECK(h[3].at_ms == 1000);
  CHECK(h[2].action == "disable");
  CHECK(h[1].action == "update");
  CHECK(h[1].who == "api from 10.0.0.1");
  CHECK(h[1].webhook_json.find(R"("config":{"rules":[{"name":"r"}]})") != std::string::npos);
  CHECK(h[0].version == 4);
  CHECK(h[0].action == "restore");
  for (const WebhookVersion &v : h) {
    CHECK(v.webhook_json.find("secret-token-a") == std::string::npos);
    CHECK(v.webhook_json.find(a.auth_sha256) == std::string::npos);
    CHECK(v.webhook_json.find("\"useAuth\":true") != std::string::npos);
  }

  // A write refused leaves no version: the version is written in the change's transaction.
  StoredWebhook b = api_webhook("B", "secret-token-b");
  store.create(b, 5000);
  b.name = "A"; // taken
  CHECK_THROWS_AS(store.update(b, 6000), WebhookConflict);
  REQUIRE(store.history(b.id).size() == 1);
  CHECK(store.history(b.id)[0].who == "gateway");
  StoredWebhook c = api_webhook("C", "secret-token-a"); // token taken
  CHECK_THROWS_AS(store.create(c, 6000), WebhookConflict);

  // A delete is the last version; the history stays.
  CHECK(store.remove(b.id, {"api from 10.0.0.1", ""}));
  h = store.history(b.id);
  REQUIRE(h.size() == 2);
  CHECK(h[0].action == "delete");
  CHECK(h[0].who == "api from 10.0.0.1");
}

TEST_CASE("webhook store: a webhook keeps its last 100 versions", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  StoredWebhook a = api_webhook("A", "ta");
  store.create(a, 1000);
  for (int i = 1; i <= 104; ++i) {
    a.config_json = R"({"rules":[{"name":"r)" + std::to_string(i) + R"("}]})";
    store.update(a, 1000 + i);
  }
  const std::vector<WebhookVersion> h = store.history(a.id);
  REQUIRE(h.size() == static_cast<size_t>(kHistoryVersions));
  CHECK(h.front().version == 105);
  CHECK(h.back().version == 6);
  CHECK(h.front().webhook_json.find(R"("name":"r104")") != std::string::npos);
}

TEST_CASE("webhook store: a file reload writes versions by \"file\"", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  std::vector<WebhookConfig> file = {file_webhook("A", "ta")};
  store.sync_file(file, 1000);
  std::vector<WebhookConfig> same = {file_webhook("A", "ta")};
  store.sync_file(same, 2000); // unchanged: no version
  std::vector<WebhookConfig> changed = {file_webhook("A", "ta")};
  changed[0].enabled = false;
  store.sync_file(changed, 3000);
  std::vector<WebhookConfig> none;
  store.sync_file(none, 4000);
  const std::vector<WebhookVersion> h = store.history(file[0].id);
  REQUIRE(h.size() == 3);
  CHECK(h[2].action == "create");
  CHECK(h[1].action == "disable");
  CHECK(h[0].action == "delete");
  for (const WebhookVersion &v : h) {
    CHECK(v.who == "file");
    CHECK(v.webhook_json.find("\"ta\"") == std::string::npos);
  }
}

TEST_CASE("outbox: the migration from schema version 4 keeps every id and uses none again", "[outbox]") {
  OutboxUnderTest t;
  int64_t hook_kept = 0, hook_gone = 0, delivery_kept = 0, delivery_gone = 0, job_kept = 0, job_gone = 0;
  make_v4(t, [&](sql::Connection &c) {
    const char *hook = "INSERT INTO webhooks (uuid, project, name, source, event_plugin, config_json, auth_token, "
                       "created_ms, updated_ms) VALUES ($1, 'ops', $1, 'api', 'advanced-run-job', '{}', $1, 1, 1) "
                       "RETURNING id";
    c.exec(hook, {std::string_view("h1")}, [&](const sql::Row &r) { hook_kept = r.i64(0); });
    c.exec(hook, {std::string_view("h2")}, [&](const sql::Row &r) { hook_gone = r.i64(0); });
    const char *delivery = "INSERT INTO deliveries (received_ms, webhook_id, webhook_key, status, outcome, jobs_json) "
                           "VALUES (1, $1, 'uuid:h1', 200, 'queued', $2) RETURNING id";
    const std::string linked = R"([{"eventIndex":0,"ruleIndex":0,"rule":"r","ruleKey":"r","deliveryKey":"event:e1",)"
                               R"("jobId":"job-1","request":{}}])";
    c.exec(delivery, {hook_kept, linked}, [&](const sql::Row &r) { delivery_kept = r.i64(0); });
    c.exec(delivery, {hook_gone, std::string_view("[]")}, [&](const sql::Row &r) { delivery_gone = r.i64(0); });
    const char *job = "INSERT INTO jobs (webhook_key, webhook_name, project, delivery_key, rule_key, rule, event_id, "
                      "job_id, request_json, status, next_attempt_ms, created_ms, updated_ms, http_status, reason) "
                      "VALUES ('uuid:h1', 'h1', 'ops', $1, 'r', 'r', 'e1', 'job-1', '{}', $2, 1, 1, 1, 404, "
                      "'Job ID does not exist') RETURNING id";
    c.exec(job, {std::string_view("event:e1"), std::string_view("refused")},
           [&](const sql::Row &r) { job_kept = r.i64(0); });
    c.exec(job, {std::string_view("event:e2"), std::string_view("done")},
           [&](const sql::Row &r) { job_gone = r.i64(0); });
  });
  auto o = t.open(); // migrates
  const auto hooks = o->webhooks().list("");
  REQUIRE(hooks.size() == 2);
  CHECK(hooks[0].id == hook_kept);
  CHECK(hooks[1].id == hook_gone);
  // Each webhook stored before the history has its version 1.
  const auto before = o->webhooks().history(hook_kept);
  REQUIRE(before.size() == 1);
  CHECK(before[0].version == 1);
  CHECK(before[0].who == "before history");
  CHECK(before[0].action == "create");
  CHECK(before[0].webhook_json.find("\"h1\"") != std::string::npos);
  const auto kept = o->deliveries().get(delivery_kept);
  REQUIRE(kept);
  CHECK(kept->state == outcome::jobs_refused); // the delivery's jobs are known from its jobs_json
  REQUIRE(o->find(job_kept));
  REQUIRE(o->find(job_gone));
  // The newest webhook (and its delivery, the newest) and the newest job go.
  CHECK(o->webhooks().remove(hook_gone));
  CHECK_FALSE(o->deliveries().get(delivery_gone));
  CHECK(o->purge_done(2) == 1);

  StoredWebhook h = api_webhook("new", "tnew");
  o->webhooks().create(h, 2000);
  CHECK(h.id > hook_gone);
  DeliveryRecord d = record_for(hook_kept, 2000, outcome::nothing);
  o->enqueue({}, 2000, &d);
  CHECK(d.id > delivery_gone);
  const EnqueueResult r = o->enqueue({stored_job("e3", "r", 0)}, 2000);
  CHECK(r.inserted == 1);
  CHECK(o->list("queued").at(0).id > job_gone);
}

TEST_CASE("delivery store: a delivery names its event and incident, is found by their ids and by time; "
          "stored rows are filled by the migration", "[outbox]") {
  const std::string v3 = R"({"event":{"id":"01EV3","event_type":"incident.triggered","resource_type":"incident",)"
                         R"("data":{"id":"PINC1","type":"incident","number":42,"title":"Disk full"}}})";
  const std::string v2 = R"({"messages":[{"id":"msg-2","event":"incident.trigger",)"
                         R"("incident":{"id":"PINC2","incident_number":7,"title":"CPU"}}]})";
  const std::string note = R"({"event":{"id":"01EV4","event_type":"incident.annotated",)"
                           R"("data":{"type":"incident_note","incident":{"id":"PINC1","summary":"Disk full"}}}})";
  DeliveryRecord e;
  describe_event(e, v2);
  CHECK(e.event_type == "incident.trigger");
  CHECK(e.event_id == "msg-2");
  CHECK(e.incident_id == "PINC2");
  CHECK(e.incident_number == 7);
  CHECK(e.incident_title == "CPU");
  describe_event(e, R"({"event":{"id":"x","data":{"type":"service","id":"PSVC"}}})");
  CHECK(e.event_id == "x");
  CHECK(e.incident_id.empty()); // a service's event names no incident
  describe_event(e, "not json");
  CHECK(e.event_id.empty());

  OutboxUnderTest t;
  int64_t stored_before = 0;
  make_v4(t, [&](sql::Connection &c) {
    c.exec("INSERT INTO deliveries (received_ms, webhook_id, webhook_key, status, outcome, body) "
           "VALUES (1000, 1, 'uuid:h1', 200, 'nothing', $1) RETURNING id",
           {v3}, [&](const sql::Row &r) { stored_before = r.i64(0); });
  });
  auto o = t.open(); // migrates: the stored row is described from its body
  const auto before = o->deliveries().get(stored_before);
  REQUIRE(before);
  CHECK(before->event_type == "incident.triggered");
  CHECK(before->event_id == "01EV3");
  CHECK(before->incident_id == "PINC1");
  CHECK(before->incident_number == 42);
  CHECK(before->incident_title == "Disk full");

  std::vector<int64_t> ids;
  for (const auto &[ms, body] : std::vector<std::pair<int64_t, std::string>>{{2000, v2}, {3000, note}}) {
    DeliveryRecord d = record_for(7, ms, outcome::nothing);
    describe_event(d, body);
    o->enqueue({}, ms, &d);
    ids.push_back(d.id);
  }
  const auto found = [&](DeliveryFilter f) {
    std::vector<int64_t> out;
    for (const DeliveryRecord &r : o->deliveries().list(f)) out.push_back(r.id);
    return out;
  };
  DeliveryFilter f;
  f.search = "PINC1";
  CHECK(found(f) == std::vector<int64_t>{ids[1], stored_before}); // the triggered incident and its note
  f.search = "msg-2";
  CHECK(found(f) == std::vector<int64_t>{ids[0]});
  f.search = "d-3000"; // the delivery id (X-Webhook-Id)
  CHECK(found(f) == std::vector<int64_t>{ids[1]});
  f.search = "PINC"; // exact, not a prefix
  CHECK(found(f).empty());
  f.search = "PINC1";
  f.until_ms = 3000; // received before
  CHECK(found(f) == std::vector<int64_t>{stored_before});
  f.search.clear();
  f.since_ms = 1500;
  CHECK(found(f) == std::vector<int64_t>{ids[0]});
  const auto listed = o->deliveries().list(f);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].incident_title == "CPU"); // the list's columns carry it
}

TEST_CASE("outbox: --check's open migrates nothing: an older schema is refused and left as it was", "[outbox]") {
  OutboxUnderTest t;
  make_v4(t, [](sql::Connection &) {});
  REQUIRE_THROWS_WITH(t.open(false), Catch::Contains("version 4") && Catch::Contains("migrates it when it starts"));
  REQUIRE_THROWS_WITH(t.open(false), Catch::Contains("version 4")); // still version 4
  auto migrated = t.open();
  migrated.reset();
  CHECK(t.open(false)); // the current version opens
}

TEST_CASE("sqlite outbox: the migration to version 5 keeps ids a delivery still names from being used again",
          "[sqlite]") {
  OutboxUnderTest t;
  make_v4(t, [&](sql::Connection &c) {
    c.exec("INSERT INTO deliveries (received_ms, webhook_id, status, outcome, replay_of) VALUES (1, 41, 200, "
           "'nothing', 57)");
  });
  auto o = t.open();
  StoredWebhook h = api_webhook("new", "tnew");
  o->webhooks().create(h, 2000); // webhook 41 went, and its deliveries still name it
  CHECK(h.id > 41);
  DeliveryRecord d = record_for(h.id, 2000, outcome::nothing);
  o->enqueue({}, 2000, &d);
  CHECK(d.id > 57);
}

TEST_CASE("delivery store: a delivery with jobs shows, and is found by, what became of them", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  auto deliver = [&](const std::vector<NewJob> &jobs, int64_t at) {
    DeliveryRecord d = record_for(7, at, "");
    d.jobs_json = jobs_json(jobs);
    d.job_count = static_cast<int64_t>(jobs.size());
    o->enqueue(jobs, at, &d);
    return d.id;
  };
  const std::vector<NewJob> not_found = {stored_job("e1", "A", 0)}, bad_options = {stored_job("e2", "B", 0)},
                            ran = {stored_job("e3", "C", 0)},
                            mixed = {stored_job("e4", "D", 0), stored_job("e4", "E", 1)},
                            waiting = {stored_job("e5", "F", 0)};
  const int64_t d404 = deliver(not_found, 1000), d400 = deliver(bad_options, 1001), d_ran = deliver(ran, 1002),
                d_mixed = deliver(mixed, 1003), again404 = deliver(not_found, 1004);
  DeliveryRecord nothing = record_for(7, 1005, outcome::nothing);
  o->enqueue({}, 1005, &nothing);

  // Rundeck: 404 (unknown job), 400 (bad options), a run, a 503 (retried later) and a job not sent.
  ClaimResult claimed = o->settle_and_claim("me", {}, 10, 2000, 30000);
  REQUIRE(claimed.jobs.size() == 5);
  std::map<std::string, OutboxJob> by_rule;
  for (const OutboxJob &j : claimed.jobs) by_rule[j.rule_key] = j;
  o->settle_and_claim("me",
                      {settled(by_rule["A"], "refused", 404), settled(by_rule["B"], "refused", 400),
                       settled(by_rule["C"], "done", 200), settled(by_rule["D"], "queued", 503, 99000),
                       settled(by_rule["E"], "refused", 0)},
                      0, 3000, 30000);
  const int64_t d_waiting = deliver(waiting, 4000);

  DeliveryStore &store = o->deliveries();
  std::map<int64_t, std::string> state;
  for (const DeliveryRecord &d : store.list(DeliveryFilter{})) state[d.id] = d.state;
  CHECK(state[d404] == outcome::jobs_refused);
  CHECK(state[d400] == outcome::jobs_refused);
  CHECK(state[again404] == outcome::jobs_refused); // a redelivery: the jobs it asked for
  CHECK(state[d_ran] == outcome::jobs_done);
  CHECK(state[d_mixed] == outcome::jobs_failed); // one not sent, one waiting for its retry
  CHECK(state[d_waiting] == outcome::jobs_waiting);
  CHECK(state[nothing.id] == outcome::nothing);
  const auto one = store.get(d404);
  REQUIRE(one);
  CHECK(one->state == outcome::jobs_refused);
  CHECK(one->job_states.refused == 1);
  CHECK(store.list_full(DeliveryFilter{}).at(0).state == outcome::jobs_waiting);

  auto ids = [&](DeliveryFilter f) {
    std::vector<int64_t> out;
    for (const DeliveryRecord &d : store.list(f)) out.push_back(d.id);
    return out;
  };
  DeliveryFilter f;
  f.outcome = outcome::jobs_refused;
  CHECK(ids(f) == std::vector<int64_t>{again404, d400, d404});
  f.outcome = outcome::jobs_retrying;
  CHECK(ids(f) == std::vector<int64_t>{d_mixed});
  f.outcome = outcome::jobs_failed;
  CHECK(ids(f) == std::vector<int64_t>{d_mixed});
  f.outcome = outcome::jobs_done;
  CHECK(ids(f) == std::vector<int64_t>{d_ran});
  f.outcome = outcome::jobs_waiting;
  CHECK(ids(f) == std::vector<int64_t>{d_waiting});
  f.outcome = outcome::queued; // what the intake did: still found
  CHECK(ids(f).size() == 5);
  DeliveryFilter ran_nothing;
  ran_nothing.ran_nothing = true;
  CHECK(ids(ran_nothing) == std::vector<int64_t>{nothing.id, again404, d400, d404});

  CHECK(store.purge(1003, 1000) == 3); // their links go with them
  CHECK(ids(DeliveryFilter{}).size() == 4);
}

TEST_CASE("delivery store: a delivery is stored with its jobs in one commit; filters; purge", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  DeliveryRecord first = record_for(7, 1000, "");
  std::vector<NewJob> jobs = {stored_job("e1", "rule A", 0)};
  first.jobs_json = jobs_json(jobs);
  CHECK(o->enqueue(jobs, 1000, &first).inserted == 1);
  CHECK(first.id > 0);
  CHECK(first.outcome == outcome::queued);

  DeliveryRecord redelivery = record_for(7, 2000, "");
  CHECK(o->enqueue(jobs, 2000, &redelivery).duplicates == 1);
  CHECK(redelivery.outcome == outcome::duplicate);

  DeliveryRecord nothing = record_for(7, 3000, outcome::nothing);
  DeliveryRecord refused = record_for(0, 4000, outcome::refused);
  refused.status = 400;
  refused.error = "Webhook not found";
  DeliveryRecord other = record_for(8, 5000, outcome::nothing);
  other.project = "other";
  for (DeliveryRecord *d : {&nothing, &refused, &other}) CHECK(o->enqueue({}, d->received_ms, d).inserted == 0);
  CHECK(o->list("").size() == 1); // only the one job

  DeliveryStore &store = o->deliveries();
  auto ids = [&](const DeliveryFilter &f) {
    std::vector<int64_t> out;
    for (const DeliveryRecord &d : store.list(f)) out.push_back(d.id);
    return out;
  };
  DeliveryFilter all;
  CHECK(ids(all) == std::vector<int64_t>{other.id, refused.id, nothing.id, redelivery.id, first.id}); // newest first
  DeliveryFilter hook7;
  hook7.webhook_id = 7;
  CHECK(ids(hook7) == std::vector<int64_t>{nothing.id, redelivery.id, first.id});
  DeliveryFilter unknown;
  unknown.webhook_id = 0;
  CHECK(ids(unknown) == std::vector<int64_t>{refused.id});
  DeliveryFilter ran_nothing;
  ran_nothing.ran_nothing = true;
  ran_nothing.project = "ops";
  CHECK(ids(ran_nothing) == std::vector<int64_t>{refused.id, nothing.id});
  DeliveryFilter queued;
  queued.outcome = outcome::queued;
  CHECK(ids(queued) == std::vector<int64_t>{first.id});
  DeliveryFilter page;
  page.limit = 2;
  CHECK(ids(page) == std::vector<int64_t>{other.id, refused.id});
  page.before_id = refused.id;
  CHECK(ids(page) == std::vector<int64_t>{nothing.id, redelivery.id});

  const auto got = store.get(first.id);
  REQUIRE(got);
  CHECK(got->jobs_json == first.jobs_json);
  CHECK(got->delivery_id == "d-1000");
  CHECK(store.list(all)[0].jobs_json.empty()); // the list leaves the details out
  CHECK(store.list_full(all)[4].jobs_json == first.jobs_json);

  CHECK(store.purge(3000, 1000) == 2);
  CHECK(ids(all).size() == 3);
  CHECK(o->list("").size() == 1); // jobs have their own retention
}

TEST_CASE("delivery store: a delivery refused for its signature keeps it apart, never in a view", "[outbox]") {
  const WebhookConfig hook = file_webhook("Hook", "tok");
  const std::string body(5000, 'x'); // a refused record is cut to 4 KiB in all; one refused for its signature to 16
  const HttpRequest req = request({{"X-PagerDuty-Signature", "v1=5ec2e7"}, {"X-Webhook-Id", "w-9"}}, body);
  DeliveryRecord refused = record_of(req, &hook, "w-9", 64 * 1024);
  refused.webhook_id = 7;
  refused.received_ms = 1000;
  refused.verdict = "signature_invalid";
  refused.signature_headers_json = signature_headers_json(req.headers);
  CHECK(refused.signature_headers_json == R"([["X-PagerDuty-Signature","v1=5ec2e7"]])");
  record_answer(refused, {403, "application/json", std::string(R"({"err":"invalid signature)") + std::string(900, '!') + "\"}"});
  CHECK(refused.body == body);
  CHECK_FALSE(refused.body_truncated);
  CHECK(refused.error.size() <= 512);
  CHECK(refused.headers_json.find("5ec2e7") == std::string::npos);

  // Without a kept signature, the same refusal is cut as before.
  DeliveryRecord plain = record_of(req, &hook, "w-9", 64 * 1024);
  plain.verdict = "malformed";
  record_answer(plain, {400, "application/json", R"({"err":"bad"})"});
  CHECK(plain.body_truncated);
  // Kept whole up to 16 KiB in all: a bigger body is cut all the same.
  DeliveryRecord big = record_of(request(req.headers, std::string(60000, 'y')), &hook, "w-9", 64 * 1024);
  big.signature_headers_json = refused.signature_headers_json;
  record_answer(big, {403, "application/json", R"({"err":"invalid signature"})"});
  CHECK(big.body_truncated);
  CHECK(stored_bytes(big) <= 16384);
  CHECK(stored_bytes(big) > 16000);
  CHECK(signature_headers_json({{"X-Webhook-Id", "w"}}).empty());
  CHECK(signature_headers_json({{"X-PagerDuty-Signature", std::string(5000, 'a')}}).empty()); // never cut

  OutboxUnderTest t;
  auto o = t.open();
  CHECK(o->enqueue({}, 1000, &refused).inserted == 0);
  DeliveryRecord other = record_for(7, 2000, outcome::refused);
  other.verdict = "signature_missing";
  DeliveryRecord elsewhere = record_for(8, 3000, outcome::refused);
  elsewhere.verdict = "signature_invalid";
  elsewhere.webhook_name = "Other";
  DeliveryRecord accepted = record_for(7, 4000, outcome::nothing);
  for (DeliveryRecord *d : {&other, &elsewhere, &accepted}) CHECK(o->enqueue({}, d->received_ms, d).inserted == 0);

  DeliveryStore &store = o->deliveries();
  CHECK(store.kept_signature(refused.id) == R"([["X-PagerDuty-Signature","v1=5ec2e7"]])");
  CHECK(store.kept_signature(accepted.id).empty());
  // No view reads it: the record, the lists.
  const auto got = store.get(refused.id);
  REQUIRE(got);
  CHECK(got->signature_headers_json.empty());
  CHECK(got->body == body);
  DeliveryFilter all;
  for (const DeliveryRecord &d : store.list_full(all)) {
    CHECK(d.signature_headers_json.empty());
    CHECK(d.headers_json.find("5ec2e7") == std::string::npos);
  }

  CHECK(store.refused_for_signature("", 0) == std::vector<int64_t>{refused.id, other.id, elsewhere.id});
  CHECK(store.refused_for_signature("Hook", 0) == std::vector<int64_t>{refused.id, other.id});
  CHECK(store.refused_for_signature("Hook", 1500) == std::vector<int64_t>{other.id});

  // Verified again: a new delivery pointing at it; a still-refused attempt does not count.
  CHECK(store.verified_again(refused.id) == 0);
  DeliveryRecord again = record_for(7, 5000, outcome::nothing);
  again.replay_of = refused.id;
  CHECK(o->enqueue({}, 5000, &again).inserted == 0);
  CHECK(store.verified_again(refused.id) == again.id);
  CHECK(store.verified_again(other.id) == 0);
  // Verifications are not themselves candidates.
  CHECK(store.refused_for_signature("Hook", 0) == std::vector<int64_t>{refused.id, other.id});
}

TEST_CASE("delivery view: why each rule fired or not, and each job's state from the outbox", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  const std::vector<NewJob> jobs = {stored_job("e1", "fires", 0)};
  DeliveryRecord d = record_for(7, 1714564800123, "");
  d.body = R"({"event":{"id":"e1","event_type":"incident.triggered"}})";
  d.headers_json = R"x([["X-Webhook-Id","w-1"],["X-PagerDuty-Signature","(redacted)"]])x";
  d.jobs_json = jobs_json(jobs);
  d.evaluation = R"([{"event":0,"eventId":"e1","rules":[
    {"rule":"fires","index":0,"enabled":true,"satisfied":true,"policy":"all","conditions":[
      {"path":"$.event.event_type","condition":"equals","value":"incident.triggered","satisfied":true,"found":true,"received":"incident.triggered"}]},
    {"rule":"never","index":1,"enabled":true,"satisfied":false,"policy":"any","conditions":[
      {"policy":"all","negate":true,"satisfied":false,"conditions":[
        {"path":"$.event.data.urgency","condition":"equals","value":"low","satisfied":false,"found":false,"received":null}]}]}]}])";
  o->enqueue(jobs, d.received_ms, &d);

  DeliveryView v = explain_delivery(*o->deliveries().get(d.id), *o);
  CHECK(v.headers.size() == 2);
  REQUIRE(v.events.size() == 1);
  REQUIRE(v.events[0].rules.size() == 2);
  const RuleView &fires = v.events[0].rules[0], &never = v.events[0].rules[1];
  CHECK(fires.satisfied);
  CHECK(fires.job == 0);
  CHECK(fires.conditions[0].received == "\"incident.triggered\"");
  CHECK_FALSE(never.satisfied);
  CHECK(never.job == -1);
  REQUIRE(never.conditions.size() == 1);
  CHECK(never.conditions[0].group);
  CHECK(never.conditions[0].negate);
  CHECK_FALSE(never.conditions[0].children[0].found);
  REQUIRE(v.jobs.size() == 1);
  REQUIRE(v.jobs[0].state);
  CHECK(v.jobs[0].state->status == "queued");
  CHECK(std::string(v.jobs[0].run_status()) == "NOT_STARTED");
  CHECK(v.jobs[0].options == std::vector<std::pair<std::string, std::string>>{{"pd_incident_id", "PGR0VU2"}});

  // Done on Rundeck: STARTED with the execution id, in Rundeck's WebhookEvaluation shape.
  ClaimResult claim = o->settle_and_claim("me", {}, 1, d.received_ms, 30000);
  REQUIRE(claim.jobs.size() == 1);
  Settlement s;
  s.id = claim.jobs[0].id;
  s.owner = "me";
  s.status = "done";
  s.execution_id = "1003";
  s.http_status = 200;
  o->settle_and_claim("me", {s}, 0, d.received_ms + 1, 30000);
  v = explain_delivery(*o->deliveries().get(d.id), *o);
  CHECK(std::string(v.jobs[0].run_status()) == "STARTED");
  CHECK(v.jobs[0].state_text() == "done: execution 1003");

  rapidjson::Document config;
  config.Parse(R"({"rules":[{"name":"fires","jobId":"job-fires"},{"name":"never","jobId":"job-never"}]})");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_webhook_evaluation(w, v, config, "pagerduty-V3-run-job");
  rapidjson::Document e;
  e.Parse(buf.GetString());
  REQUIRE_FALSE(e.HasParseError());
  CHECK(text(e["time"]) == "2024-05-01T12:00:00.123Z");
  CHECK(text(e["event"]["event"]["id"]) == "e1");
  CHECK(e["batchKey"].IsNull());
  CHECK(e["error"].IsNull());
  const auto &routing = e["routingResults"][0];
  CHECK(text(routing["event"]["meta"]["id"]) == "e1");
  CHECK(text(routing["event"]["event"]["event"]["event_type"]) == "incident.triggered");
  const auto &fired = routing["ruleRoutingResults"][0];
  CHECK(fired["ruleEvaluation"]["satisfied"].IsTrue());
  CHECK(text(fired["ruleEvaluation"]["rule"]["jobId"]) == "job-fires");
  CHECK(text(fired["ruleEvaluation"]["conditionEvaluations"][0]["value"]) == "incident.triggered");
  CHECK(text(fired["ruleEvaluation"]["conditionEvaluations"][0]["condition"]["path"]) == "$.event.event_type");
  CHECK(text(fired["jobRunStatus"]) == "STARTED");
  CHECK(text(fired["executionId"]) == "1003");
  CHECK(text(fired["renderedOptions"]["pd_incident_id"]) == "PGR0VU2");
  const auto &not_fired = routing["ruleRoutingResults"][1];
  CHECK(not_fired["jobRunStatus"].IsNull());
  CHECK(text(not_fired["jobId"]) == "job-never");
  CHECK(text(not_fired["ruleEvaluation"]["conditionEvaluations"][0]["condition"]["policy"]) == "all");
  CHECK(not_fired["renderedOptions"].ObjectEmpty());
}

TEST_CASE("delivery view: a rule that held but has no job is said to have matched, not that none held") {
  DeliveryView v;
  v.record.outcome = outcome::nothing;
  v.record.status = 200;
  EventView e;
  RuleView jobless;
  jobless.name = "Diagnose";
  jobless.satisfied = true;
  jobless.error = "the rule has no job (jobId is empty)";
  RuleView other;
  other.name = "Page";
  e.rules = {jobless, other};
  v.events = {e, e}; // a batch: the same rule held on both events, named once

  const std::string why = why_summary(v);
  CHECK(why == "No job ran: 4 rule evaluation(s) on 2 event(s). "
               "'Diagnose' matched but did not run: the rule has no job (jobId is empty).");
  CHECK(why.find("none held") == std::string::npos);

  v.events[0].rules[0].satisfied = false;
  v.events[1].rules[0].satisfied = false;
  CHECK(why_summary(v) ==
        "No rule fired: 4 rule evaluation(s) on 2 event(s), none held. The failing conditions are marked below.");

  v.events[0].rules[1].satisfied = true; // 'Page' fired on the first event; the jobless one held on the second
  v.events[1].rules[0].satisfied = true;
  CHECK(why_summary(v) == "1 of 4 rule evaluation(s) on 2 event(s) fired. "
                          "'Diagnose' matched but did not run: the rule has no job (jobId is empty).");
}

TEST_CASE("delivery recorder: records of deliveries without jobs are written in the background", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  Metrics metrics;
  {
    DeliveryRecorder recorder(*o, metrics);
    for (int i = 0; i < 50; ++i) recorder.add(record_for(7, 1000 + i, outcome::nothing));
    recorder.flush();
    DeliveryFilter all;
    all.limit = 100;
    CHECK(o->deliveries().list(all).size() == 50);
    recorder.add(record_for(7, 2000, outcome::refused));
  } // the destructor writes what is pending
  DeliveryFilter refused;
  refused.outcome = outcome::refused;
  CHECK(o->deliveries().list(refused).size() == 1);
  CHECK(metrics.render({}).find("rdwh_gateway_deliveries_not_recorded_total 0\n") != std::string::npos);
}

TEST_CASE("delivery recorder: the keeper purges old records and evicts the oldest beyond maxBytes", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  Metrics metrics;
  const int64_t now = now_ms();
  // Written before the recorder starts: its first keep sees them.
  std::vector<DeliveryRecord> old{record_for(7, now - 30LL * 3600 * 1000, outcome::nothing)};
  std::vector<DeliveryRecord> big;
  for (int i = 0; i < 30; ++i) {
    big.push_back(record_for(7, now - 1000 + i, outcome::nothing));
    big.back().body = std::string(64 * 1024, 'b');
  }
  o->record(old);
  o->record(big);
  REQUIRE(o->deliveries().total_bytes() > (1 << 20));
  DeliveryStoreSettings s;
  s.retain_hours = 24;
  s.max_bytes = 1 << 20;
  s.min_free_bytes = 0;
  {
    DeliveryRecorder recorder(*o, metrics, [s] { return s; });
    recorder.add(record_for(7, now, outcome::refused)); // the thread keeps after writing it
    recorder.flush();
  }
  DeliveryFilter all;
  all.limit = 100;
  const std::vector<DeliveryRecord> kept = o->deliveries().list(all);
  CHECK(o->deliveries().total_bytes() <= s.max_bytes);
  REQUIRE(kept.size() > 1);
  CHECK(kept.size() < 31);
  CHECK(kept.front().outcome == outcome::refused);                 // the newest stays
  CHECK(kept.back().received_ms > now - 30LL * 3600 * 1000);       // the old one was purged
  CHECK(kept.back().id > big.front().id);                          // the oldest were evicted
}

TEST_CASE("delivery recorder: records stop while the disk is short of minFreeBytes", "[sqlite]") {
  TempDir dir;
  SqliteOutbox o((dir.path / "outbox.sqlite3").string(), 1000);
  Metrics metrics;
  DeliveryStoreSettings s;
  s.min_free_bytes = int64_t{1} << 40; // more than this machine has
  DeliveryRecorder recorder(o, metrics, [s] { return s; });
  // The first keep runs when the thread starts or after this first write: either way before flush returns.
  recorder.add(record_for(7, now_ms(), outcome::nothing));
  recorder.flush();
  REQUIRE_FALSE(recorder.accepting());
  CHECK_THAT(recorder.refusing(), Contains("minFreeBytes"));
  DeliveryFilter all;
  const size_t before = o.deliveries().list(all).size();
  recorder.add(record_for(7, now_ms(), outcome::nothing));
  recorder.flush();
  CHECK(o.deliveries().list(all).size() == before);
  CHECK(metrics.render({}).find("rdwh_gateway_deliveries_not_recorded_total " + std::to_string(2 - before) + "\n") !=
        std::string::npos);
}

TEST_CASE("delivery recorder: a failed write drops the records and counts them", "[sqlite]") {
  TempDir dir;
  const std::string db = (dir.path / "outbox.sqlite3").string();
  SqliteOutbox o(db, 1000);
  Metrics metrics;
  DeliveryRecorder recorder(o, metrics);
  fs::remove(db); // the outbox refuses every write to a deleted file
  recorder.add(record_for(7, 1000, outcome::nothing));
  recorder.add(record_for(7, 1001, outcome::nothing));
  recorder.flush();
  CHECK(metrics.render({}).find("rdwh_gateway_deliveries_not_recorded_total 2\n") != std::string::npos);
}

TEST_CASE("webhook store: followUp is stored, read back as the runtime's, and each change of it is a version",
          "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  WebhookStore &store = o->webhooks();
  StoredWebhook a = api_webhook("followed", "tf");
  store.create(a, 1000);
  CHECK(store.find("", a.uuid)->follow_up == FollowUpSettings{}); // the defaults, stored as ""

  a.follow_up.note = true;
  a.follow_up.output_lines = 3;
  store.update(a, 2000);
  const auto stored = store.find("", a.uuid);
  REQUIRE(stored);
  CHECK(stored->follow_up == a.follow_up);
  CHECK(stored->to_config().follow_up == a.follow_up); // what the runtime builds the webhook from
  const std::vector<WebhookVersion> versions = store.history(a.id);
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].action == "update");
  CHECK_THAT(versions[0].webhook_json,
             Catch::Contains(R"("followUp":{"note":true,"resolveOnSuccess":false,"outputLines":3})"));
  CHECK_THAT(versions[1].webhook_json,
             Catch::Contains(R"("followUp":{"note":false,"resolveOnSuccess":false,"outputLines":10})"));

  store.update(a, 3000); // nothing changed: no version
  CHECK(store.history(a.id).size() == 2);
}
