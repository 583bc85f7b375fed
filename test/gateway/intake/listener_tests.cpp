// Unit tests of the webhook listener (intake/listener.cpp), driven in-process: Rundeck's
// POST /api/{v}/webhook/{authToken}, /healthz and /metrics, what each delivery is answered, and
// what it leaves in the outbox (a SQLite one in a temporary directory) and the delivery store.
// The webhook is judged by the real plugin (the build's plugin directory), as in production.
// The same listener behind the HTTP server is tested end to end by gateway_test.sh.
#include <catch2/catch.hpp>

#include "base/crypto.hpp"
#include "base/metrics.hpp"
#include "intake/listener.hpp"
#include "intake/recorder.hpp"
#include "runtime/loader.hpp"
#include "test_support.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <ctime>

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;
using Catch::Contains;

namespace {

const std::string kSecret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const std::string kFixtureEventId = "01BWDWL3NYY7LUFPZCC28QUCMK";
const std::string kFixtureTime = "2021-04-26T17:36:27.458Z";

// PagerDuty's V3 signature header value: "v1=" + hex HMAC-SHA256 of the body.
std::string sign(const std::string &body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char *>(body.data()), body.size(), mac, &len);
  std::string out = "v1=";
  const char *hex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) (out += hex[mac[i] >> 4]) += hex[mac[i] & 15];
  return out;
}

std::string now_iso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string replaced(std::string s, const std::string &from, const std::string &to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// The priority_updated fixture as event `event_id`, happening now (empty: the fixture unchanged,
// years old), of type `type`.
std::string body(const std::string &event_id, const std::string &type = "incident.priority_updated") {
  std::string b = read_file(RDWH_TEST_DATA_DIR "/v3-incident.priority_updated-gopagerduty.json");
  if (event_id.empty()) return b;
  b = replaced(b, kFixtureEventId, event_id);
  b = replaced(b, "\"incident.priority_updated\"", "\"" + type + "\"");
  return replaced(b, kFixtureTime, now_iso());
}

// A PagerDuty V3 webhook as gateway_test.sh's: priority changes run job-priority.
std::string webhook(const std::string &name, const std::string &token, const std::string &extra = "") {
  return R"({"name": ")" + name + R"(", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": ")" +
         token + R"(", "user": "admin", )" + extra + R"(
    "config": {"keyStoragePath": "keys/pd/secret", "rules": [
      {"name": "on priority change", "jobId": "job-priority",
       "jobOptions": [{"name": "pd_incident_id", "value": "$.event.data.id"}],
       "conditions": [{"path": "$.event.event_type", "condition": "equals",
                       "value": "incident.priority_updated"}]}]}})";
}

// The listener with its parts: the runtime loaded from a config file, the outbox beside it.
struct Listener {
  TempDir dir;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<CurrentRuntime> current;
  Metrics metrics;
  int wakeups = 0;
  std::string degraded;
  std::unique_ptr<DeliveryRecorder> recorder;
  std::unique_ptr<Service> service;

  // `console`: with the console (and so the delivery store) on.
  explicit Listener(bool console = false) {
    dir.write("keys/pd/secret", kSecret);
    dir.write("rundeck.token", "rdtoken-0123456789\n");
    dir.write("console.token", "console-token-0123456789\n");
    const std::string config = dir.write(
        "gateway.json",
        R"({"listen": "127.0.0.1:0", "pluginDir": ")" RDWH_TEST_PLUGIN_DIR R"(", "stateDir": "state",
            "keyStorageDir": "keys",
            "rundeck": {"url": "http://127.0.0.1:1", "apiVersion": 41, "authTokenFile": "rundeck.token"},)" +
            std::string(console ? R"("console": {"authTokenFile": "console.token"},)" : "") + R"("webhooks": [)" +
            webhook("PagerDuty", "tok-pd") + "," + webhook("Off", "tok-off", R"("enabled": false,)") + "," +
            webhook("Guarded", "tok-auth",
                    R"("useAuth": true, "authorizationSha256": ")" + sha256_hex("Bearer let-me-in") + R"(",)") +
            "]}");
    outbox = std::make_unique<SqliteOutbox>((dir.path / "outbox.sqlite3").string(), 2000);
    Loader loader(config);
    current = std::make_unique<CurrentRuntime>(loader.load(outbox.get()));
    if (console) recorder = std::make_unique<DeliveryRecorder>(*outbox, metrics);
    service = std::make_unique<Service>(*current, *outbox, metrics, [this] { ++wakeups; },
                                        [this] { return degraded; }, recorder.get());
  }

  HttpResponse send(const std::string &method, const std::string &path, std::string text = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.headers = std::move(headers);
    r.body = std::move(text);
    r.sender = "192.0.2.7";
    r.received_unix_ms = 1714564800000;
    return service->handle(r);
  }
  // A delivery as PagerDuty sends it: signed, with its delivery id.
  HttpResponse deliver(const std::string &token, const std::string &text, const std::string &delivery_id = "d-1",
                       std::vector<std::pair<std::string, std::string>> extra = {}) {
    extra.emplace_back("Content-Type", "application/json");
    extra.emplace_back("X-Webhook-Id", delivery_id);
    extra.emplace_back("X-PagerDuty-Signature", sign(text));
    return send("POST", "/api/41/webhook/" + token, text, std::move(extra));
  }
  std::string metrics_text() { return send("GET", "/metrics").body; }
};

} // namespace

TEST_CASE("listener: /healthz and /metrics answer GET and HEAD; anything but the webhook route is 404", "[listener]") {
  Listener l;
  HttpResponse r = l.send("GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  CHECK(r.content_type == "text/plain; charset=utf-8");
  CHECK(l.send("HEAD", "/healthz").status == 200);
  l.degraded = "Rundeck refuses the token";
  r = l.send("GET", "/healthz");
  CHECK(r.status == 200); // intake still works: jobs queue
  CHECK(r.body == "degraded: Rundeck refuses the token");

  r = l.send("GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK_THAT(r.body, Contains("rdwh_gateway_deliveries_total"));

  for (const auto &[method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/healthz"}, {"PUT", "/metrics"}, {"GET", "/"}, {"POST", "/api/v41/webhook/tok-pd"},
           {"POST", "/api//webhook/tok-pd"}, {"POST", "/api/41/webhooks/tok-pd"}, {"POST", "/webhook/tok-pd"}}) {
    INFO(method << " " << path);
    r = l.send(method, path);
    CHECK(r.status == 404);
    CHECK(r.body == R"({"err":"Not found"})");
    CHECK(r.content_type == "application/json");
  }
  r = l.send("GET", "/api/41/webhook/tok-pd");
  CHECK(r.status == 405);
  CHECK(r.body == R"({"err":"Method not allowed"})");
  CHECK(l.outbox->list("").empty());
}

TEST_CASE("listener: a signed delivery is answered 200 once its job is in the outbox; a redelivery adds none",
          "[listener]") {
  Listener l;
  const std::string text = body("EVT-1");
  HttpResponse r = l.deliver("tok-pd", text, "d-1");
  CHECK(r.status == 200);
  std::vector<OutboxJob> jobs = l.outbox->list("");
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == "queued");
  CHECK(jobs[0].webhook_name == "PagerDuty");
  CHECK(jobs[0].project == "ops");
  CHECK(jobs[0].job_id == "job-priority");
  CHECK(jobs[0].delivery_key == "event:EVT-1"); // the signed event's id, not the delivery id
  CHECK(jobs[0].resource_id == "PGR0VU2");
  CHECK_THAT(jobs[0].request_json, Contains(R"("pd_incident_id":"PGR0VU2")"));
  CHECK(l.wakeups == 1);

  // PagerDuty again, with another delivery id; a "#name" after the token is ignored, as Rundeck does.
  r = l.send("POST", "/api/41/webhook/tok-pd#PagerDuty", text,
             {{"X-Webhook-Id", "d-2"}, {"X-PagerDuty-Signature", sign(text)}});
  CHECK(r.status == 200);
  CHECK(l.outbox->list("").size() == 1);
  CHECK(l.wakeups == 1);
  const std::string m = l.metrics_text();
  CHECK_THAT(m, Contains(R"(rdwh_gateway_deliveries_total{webhook="PagerDuty",code="200"} 2)"));
  CHECK_THAT(m, Contains(R"(rdwh_gateway_jobs_queued_total{webhook="PagerDuty"} 1)"));
  CHECK_THAT(m, Contains(R"(rdwh_gateway_jobs_duplicate_total{webhook="PagerDuty"} 1)"));

  // Another event: a job of its own.
  CHECK(l.deliver("tok-pd", body("EVT-2"), "d-3").status == 200);
  CHECK(l.outbox->list("queued").size() == 2);
  CHECK(l.wakeups == 2);
}

TEST_CASE("listener: refused before the plugin: unknown token, disabled webhook, authorization, body too large",
          "[listener]") {
  Listener l;
  const std::string text = body("EVT-1");
  HttpResponse r = l.deliver("tok-nobody", text);
  CHECK(r.status == 400);
  CHECK(r.body == R"({"err":"Webhook not found"})");
  r = l.deliver("tok-off", text);
  CHECK(r.status == 404);
  CHECK(r.body == R"({"err":"Webhook not enabled"})");
  r = l.deliver("tok-auth", text);
  CHECK(r.status == 400);
  CHECK(r.body == R"({"err":"Failed webhook authorization"})");
  r = l.deliver("tok-auth", text, "d-1", {{"Authorization", "Bearer guess"}});
  CHECK(r.status == 400);
  CHECK(r.body == R"({"err":"Failed webhook authorization"})");

  HttpRequest big;
  big.method = "POST";
  big.path = "/api/41/webhook/tok-pd";
  big.body_too_large = true;
  r = l.service->handle(big);
  CHECK(r.status == 413);
  CHECK(r.body == R"({"err":"Request body too large"})");
  CHECK(l.outbox->list("").empty());
  CHECK(l.wakeups == 0);

  // The right Authorization value: the delivery goes on to the plugin.
  r = l.deliver("tok-auth", text, "d-1", {{"Authorization", "Bearer let-me-in"}});
  CHECK(r.status == 200);
  REQUIRE(l.outbox->list("").size() == 1);
  CHECK(l.outbox->list("")[0].webhook_name == "Guarded");
}

TEST_CASE("listener: what the plugin refuses or runs nothing for is answered as it says; nothing is stored",
          "[listener]") {
  Listener l;
  const std::string text = body("EVT-1");
  HttpResponse r = l.send("POST", "/api/41/webhook/tok-pd", text, {{"X-PagerDuty-Signature", sign(text + " ")}});
  CHECK(r.status == 403); // the plugin's answer for an invalid signature
  r = l.send("POST", "/api/41/webhook/tok-pd", text);
  CHECK(r.status == 400); // ...and for a missing one
  CHECK_THAT(l.metrics_text(), Contains(R"(rdwh_gateway_signature_failures_total{webhook="PagerDuty"} 2)"));

  r = l.deliver("tok-pd", body("EVT-2", "incident.acknowledged")); // no rule fires
  CHECK(r.status == 200);
  CHECK(l.outbox->list("").empty());
  CHECK(l.wakeups == 0);
}

TEST_CASE("listener: an event older than maxEventAge is stored as skipped and wakes no dispatcher", "[listener]") {
  Listener l;
  HttpResponse r = l.deliver("tok-pd", body("")); // the fixture's event, from 2021
  CHECK(r.status == 200);
  const std::vector<OutboxJob> jobs = l.outbox->list("");
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == "skipped");
  CHECK_THAT(jobs[0].reason, Contains("maxEventAge"));
  CHECK(l.wakeups == 0);
  CHECK_THAT(l.metrics_text(), Contains(R"(rdwh_gateway_jobs_skipped_total{webhook="PagerDuty"} 1)"));
}

TEST_CASE("listener: with the delivery store on, a delivery is recorded with its jobs, else in the background",
          "[listener]") {
  Listener l(true);
  const std::string text = body("EVT-1");
  CHECK(l.deliver("tok-pd", text, "d-1").status == 200);
  // Recorded in its jobs' transaction: there before the answer, without waiting for the recorder.
  std::vector<DeliveryRecord> records = l.outbox->deliveries().list_full({});
  REQUIRE(records.size() == 1);
  CHECK(records[0].delivery_id == "d-1");
  CHECK(records[0].webhook_name == "PagerDuty");
  CHECK(records[0].status == 200);
  CHECK(records[0].verdict == "accepted");
  CHECK(records[0].outcome == outcome::queued);
  CHECK(records[0].job_count == 1);
  CHECK_THAT(records[0].jobs_json, Contains(R"("deliveryKey":"event:EVT-1")"));
  CHECK_FALSE(records[0].evaluation.empty()); // the plugin explained its rules for the store
  CHECK(records[0].body == text);

  CHECK(l.deliver("tok-nobody", text, "d-2").status == 400);
  CHECK(l.send("POST", "/api/41/webhook/tok-pd", text, {{"X-Webhook-Id", "d-3"}}).status >= 400);
  CHECK(l.deliver("tok-pd", body("EVT-2", "incident.acknowledged"), "d-4").status == 200);
  l.recorder->flush();
  records = l.outbox->deliveries().list_full({});
  REQUIRE(records.size() == 4); // newest first
  CHECK(records[2].delivery_id == "d-2");
  CHECK(records[2].webhook_id == 0);
  CHECK(records[2].outcome == outcome::refused);
  CHECK(records[2].error == "Webhook not found");
  CHECK(records[2].body.empty()); // an unknown token's body is not kept
  CHECK(records[1].delivery_id == "d-3");
  CHECK(records[1].verdict == "signature_missing");
  CHECK(records[1].outcome == outcome::refused);
  CHECK(records[0].delivery_id == "d-4");
  CHECK(records[0].verdict == "accepted");
  CHECK(records[0].outcome == outcome::nothing);
  CHECK(records[0].job_count == 0);
}
