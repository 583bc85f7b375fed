// Unit tests of the webhook listener (intake/listener.cpp), driven in-process: Rundeck's
// POST /api/{v}/webhook/{authToken}, /healthz and /metrics, what each delivery is answered, and
// what it leaves in the outbox (a SQLite one in a temporary directory) and the delivery store.
// The webhook is judged by the real plugin (the build's plugin directory), as in production.
// The same listener behind the HTTP server is tested end to end by gateway_test.sh.
#include <catch2/catch.hpp>

#include "intake_support.hpp"

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;
using Catch::Contains;

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
