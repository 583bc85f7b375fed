// What the intake tests share: a listener with its parts (the real plugin, a SQLite outbox in a
// temporary directory, the runtime loaded from a config file), and signed PagerDuty deliveries.
#pragma once

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

namespace rdwh::gateway::test {

inline const std::string kSecret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
inline const std::string kFixtureEventId = "01BWDWL3NYY7LUFPZCC28QUCMK";
inline const std::string kFixtureTime = "2021-04-26T17:36:27.458Z";

// PagerDuty's V3 signature header value: "v1=" + hex HMAC-SHA256 of the body.
inline std::string sign(const std::string &body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char *>(body.data()), body.size(), mac, &len);
  std::string out = "v1=";
  const char *hex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) (out += hex[mac[i] >> 4]) += hex[mac[i] & 15];
  return out;
}

inline std::string now_iso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

inline std::string replaced(std::string s, const std::string &from, const std::string &to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// The priority_updated fixture as event `event_id`, happening now (empty: the fixture unchanged,
// years old), of type `type`.
inline std::string body(const std::string &event_id, const std::string &type = "incident.priority_updated") {
  std::string b = read_file(RDWH_TEST_DATA_DIR "/v3-incident.priority_updated-gopagerduty.json");
  if (event_id.empty()) return b;
  b = replaced(b, kFixtureEventId, event_id);
  b = replaced(b, "\"incident.priority_updated\"", "\"" + type + "\"");
  return replaced(b, kFixtureTime, now_iso());
}

// A PagerDuty V3 webhook as gateway_test.sh's: priority changes run job-priority.
inline std::string webhook(const std::string &name, const std::string &token, const std::string &extra = "") {
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

} // namespace rdwh::gateway::test
