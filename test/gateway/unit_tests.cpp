// Unit tests of the gateway's pieces (the end-to-end behaviour is in gateway_test.sh).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "config.hpp"
#include "dispatcher.hpp"
#include "keystore.hpp"
#include "metrics.hpp"
#include "outbox.hpp"
#include "rundeck_client.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

using namespace rdwh::gateway;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("rdwh-gateway-unit-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string &name, const std::string &text) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

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

NewJob job(const std::string &delivery, uint32_t rule) {
  NewJob j;
  j.webhook_key = "hook";
  j.webhook_name = "Hook";
  j.project = "ops";
  j.delivery_key = delivery;
  j.rule_index = rule;
  j.rule = "r";
  j.event_id = "e";
  j.job_id = "job-1";
  j.request_json = R"({"options":{"a":"b"}})";
  return j;
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
  CHECK(c.webhooks[0].key() == "PagerDuty");
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
}

TEST_CASE("key storage: files as stored, env/NAME, no way out of the directory") {
  TempDir dir;
  dir.write("keys/pd/secret", "line1\nline2\n");
  const KeyStore keys((dir.path / "keys").string());
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

TEST_CASE("Rundeck answers: what is retried, what is refused") {
  using K = RunOutcome::Kind;
  CHECK(classify_status(200) == K::started);
  for (long s : {400L, 403L, 404L, 422L}) CHECK(classify_status(s) == K::refused);
  for (long s : {401L, 408L, 409L, 429L, 500L, 502L, 503L, 504L, 302L}) CHECK(classify_status(s) == K::retry);
}

TEST_CASE("retry delays grow exponentially, with jitter, up to the cap") {
  std::mt19937_64 rng(42);
  const RetrySettings r{1000, 300000};
  for (int i = 0; i < 100; ++i) {
    const int64_t first = retry_delay_ms(1, r, rng);
    CHECK((first >= 500 && first <= 1000));
    const int64_t fourth = retry_delay_ms(4, r, rng);
    CHECK((fourth >= 4000 && fourth <= 8000));
    const int64_t late = retry_delay_ms(60, r, rng);
    CHECK((late >= 150000 && late <= 300000));
  }
}

TEST_CASE("outbox: a redelivered job is stored once, also after reopening") {
  TempDir dir;
  const std::string db = (dir.path / "outbox.sqlite3").string();
  {
    Outbox o(db);
    const EnqueueResult first = o.enqueue({job("id:w1", 0), job("id:w1", 1)}, 1000);
    CHECK(first.inserted == 2);
    CHECK(first.duplicates == 0);
    const EnqueueResult again = o.enqueue({job("id:w1", 0), job("id:w1", 1)}, 2000);
    CHECK(again.inserted == 0);
    CHECK(again.duplicates == 2);
  }
  Outbox o(db); // a restart
  CHECK(o.enqueue({job("id:w1", 1), job("id:w2", 1)}, 3000).inserted == 1);
  CHECK(o.gauges().queued == 3);
}

TEST_CASE("outbox: concurrent deliveries share commits, each stored exactly once") {
  TempDir dir;
  Outbox o((dir.path / "outbox.sqlite3").string());
  // 8 threads deliver 50 deliveries each; every delivery is sent twice (a redelivery racing the
  // first), so half of all inserts must come back as duplicates, whichever batch they land in.
  std::atomic<uint64_t> inserted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "id:" + std::to_string((t / 2) * 50 + i); // threads 2k and 2k+1 collide
        const EnqueueResult r = o.enqueue({job(key, 0), job(key, 1)}, 1000);
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
    });
  for (auto &th : threads) th.join();
  CHECK(inserted == 400);
  CHECK(duplicates == 400);
  CHECK(o.gauges().queued == 400);
}

TEST_CASE("outbox: queued -> running -> done/refused, retries wait, crashes requeue") {
  TempDir dir;
  const std::string db = (dir.path / "outbox.sqlite3").string();
  int64_t next_due = 0;
  {
    Outbox o(db);
    o.enqueue({job("id:a", 0), job("id:b", 0), job("id:c", 0)}, 1000);
    auto a = o.claim_next(1000, next_due);
    REQUIRE(a);
    CHECK(a->delivery_key == "id:a");
    CHECK(a->attempts == 1);
    o.mark_retry(a->id, 5000, 503, "busy", 1000);
    auto b = o.claim_next(1000, next_due);
    REQUIRE(b);
    CHECK(b->delivery_key == "id:b");
    o.mark_refused(b->id, 404, "Job ID does not exist: job-1", 1000);
    auto c = o.claim_next(1000, next_due);
    REQUIRE(c);
    o.mark_done(c->id, "77", 200, 1000);
    CHECK_FALSE(o.claim_next(1000, next_due)); // a is not due before 5000
    CHECK(next_due == 5000);
    auto a2 = o.claim_next(5000, next_due);
    REQUIRE(a2);
    CHECK(a2->attempts == 2); // left "running": the process "dies" here
  }
  Outbox o(db);
  CHECK(o.requeue_running(6000) == 1);
  const auto refused = o.list("refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].reason == "Job ID does not exist: job-1");
  CHECK(refused[0].http_status == 404);
  const auto done = o.list("done");
  REQUIRE(done.size() == 1);
  CHECK(done[0].execution_id == "77");
  CHECK(o.purge_done(2000) == 1); // done rows age out; refused ones stay
  CHECK(o.list("refused").size() == 1);
  CHECK(o.writable(7000));
}

TEST_CASE("metrics: Prometheus text with escaped labels") {
  Metrics m;
  m.delivery("Pager\"Duty", 200);
  m.delivery("", 400);
  m.job_run("Pager\"Duty", 0.02);
  Gauges g;
  g.outbox.ok = true;
  g.outbox.queued = 2;
  g.outbox.running = 1;
  const std::string text = m.render(g);
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_deliveries_total{webhook=\"Pager\\\"Duty\",code=\"200\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_deliveries_total{webhook=\"\",code=\"400\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_dispatch_duration_seconds_bucket{le=\"0.025\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_dispatch_duration_seconds_count 1\n"));
  CHECK_THAT(text, Catch::Contains("rdwh_gateway_outbox_depth 3\n"));
}
