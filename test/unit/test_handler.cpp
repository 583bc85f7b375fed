// The whole delivery path of a handler, without the C ABI: statuses, verdicts and bodies.
#include "base/error.hpp"
#include "pipeline/handler.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using namespace rdwh;
using pipeline::Handler;
using pipeline::Outcome;
using test::delivery;
using test::spec;
using Catch::Contains;

namespace {

const std::string secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const std::string good = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";

std::string read(const std::string &name) {
  std::ifstream in(RDWH_SOURCE_DIR "/examples/deliveries/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}



const std::string v3_config = R"({"keyStoragePath":"keys/pd","rules":[{"name":"p1","jobId":"job-1",
  "jobOptions":[{"name":"id","value":"$.event.data.id"}],
  "conditions":[{"path":"$.event.data.priority.summary","condition":"equals","value":"P1"}]}]})";

} // namespace

TEST_CASE("V3: a signed delivery runs its job; bad signatures run nothing", "[handler]") {
  test::FakeServices services;
  services.keys["keys/pd"] = "rotated-old-secret\n" + secret + "\n";
  Handler handler(spec("pagerduty-V3-run-job"), v3_config, services);
  const std::string body = read("v3-incident.priority_updated-gopagerduty.json");

  Outcome ok = handler.handle(delivery(body, {{"x-pagerduty-signature", good}}), false);
  CHECK(ok.http_status == 200);
  CHECK(ok.verdict == Verdict::accepted);
  CHECK(ok.body == R"({"msg":"ok"})");
  REQUIRE(ok.jobs().size() == 1);
  CHECK(test::jobs_of(ok.rendered)[0].options[0].second == "PGR0VU2");
  CHECK(ok.explanation.empty());

  Outcome tampered = handler.handle(delivery(body + " ", {{"X-PagerDuty-Signature", good}}), false);
  CHECK(tampered.http_status == 403);
  CHECK(tampered.verdict == Verdict::signature_invalid);
  CHECK(tampered.jobs().empty());
  CHECK_THAT(tampered.body, Contains("\"err\":\"invalid signature"));

  Outcome missing = handler.handle(delivery(body), false);
  CHECK(missing.http_status == 400);
  CHECK(missing.verdict == Verdict::signature_missing);
  CHECK_THAT(missing.body, Contains("missing X-PagerDuty-Signature"));

  Outcome malformed = handler.handle(delivery(body, {{"X-PagerDuty-Signature", "garbage"}}), false);
  CHECK(malformed.http_status == 400);
  CHECK(malformed.verdict == Verdict::signature_missing);

  Outcome empty = handler.handle(delivery("", {{"X-PagerDuty-Signature", good}}), false);
  CHECK(empty.http_status == 400);
  CHECK(empty.verdict == Verdict::malformed);

  for (const auto &outcome : {ok, tampered, missing, malformed, empty}) CHECK_THAT(outcome.body, !Contains(secret));
  CHECK_THAT(services.all_lines(), !Contains(secret));
}

TEST_CASE("V3 without a shared secret accepts unsigned deliveries and says so once", "[handler]") {
  test::FakeServices services;
  Handler handler(spec("pagerduty-V3-run-job"), R"({"rules":[]})", services);
  CHECK_THAT(services.all_lines(), Contains("not authenticated"));
  CHECK(handler.handle(delivery(read("v3-incident.escalated-zulip.json")), false).http_status == 200);
}

TEST_CASE("bodies that are not what the provider expects get 400 with a reason", "[handler]") {
  test::FakeServices services;
  Handler v3(spec("pagerduty-V3-run-job"), "{}", services);
  Handler v2(spec("pagerduty-run-job"), "{}", services);
  Handler any(spec("advanced-run-job"), R"({"rules":[{"name":"r","jobId":"j"}]})", services);

  auto not_json = v3.handle(delivery("hello"), false);
  CHECK(not_json.http_status == 400);
  CHECK(not_json.verdict == Verdict::malformed);
  CHECK_THAT(not_json.body, Contains("Unable to parse posted JSON data"));
  CHECK_THAT(not_json.body, !Contains("hello"));

  CHECK_THAT(v3.handle(delivery(R"({"messages":[]})"), false).body, Contains("no \\\"event\\\" member"));
  CHECK_THAT(v3.handle(delivery(R"({"event":[]})"), false).body, Contains("\\\"event\\\" is not a map"));
  CHECK_THAT(v3.handle(delivery("[]"), false).body, Contains("the body is a list, not a map"));
  CHECK(v3.handle(delivery(""), false).http_status == 400);
  CHECK_THAT(v2.handle(delivery(R"({"event":{}})"), false).body, Contains("no \\\"messages\\\" member"));
  CHECK_THAT(v2.handle(delivery(R"({"messages":{}})"), false).body, Contains("\\\"messages\\\" is not a list"));

  auto empty = any.handle(delivery(" "), false); // Rundeck reads an empty body as {}
  CHECK(empty.http_status == 200);
  CHECK(empty.jobs().size() == 1);
  // B2: Rundeck reads the body into a map, so anything else is "Unable to parse" there.
  for (const char *body : {"42", R"([{"a":1}])", R"("str")", "null"}) {
    INFO(body);
    const auto refused = any.handle(delivery(body), false);
    CHECK(refused.http_status == 400);
    CHECK(refused.jobs().empty());
    CHECK_THAT(refused.body, Contains("Unable to parse posted JSON data: the body is a"));
  }
}

TEST_CASE("pings and unknown event types are acknowledged", "[handler]") {
  test::FakeServices services;
  Handler handler(spec("pagerduty-V3-run-job"), R"({"rules":[{"name":"t","jobId":"j","conditions":[
      {"path":"$.event.event_type","condition":"equals","value":"incident.triggered"}]}]})", services);
  auto ping = handler.handle(delivery(R"({"event":{"id":"01","event_type":"pagey.ping","resource_type":"pagey",)"
                                      R"("occurred_at":"2021-12-08T22:12:02.143Z","agent":null,"client":null,)"
                                      R"("data":{"message":"Hello from your friend Pagey!","type":"ping"}}})"),
                             false);
  CHECK(ping.http_status == 200);
  CHECK(ping.body == R"({"msg":"ok"})");
  CHECK(ping.jobs().empty());
  auto future = handler.handle(delivery(R"({"event":{"event_type":"incident.something_new","data":{}}})"), false);
  CHECK(future.http_status == 200);
}

TEST_CASE("limits answer with precise statuses", "[handler][limits]") {
  test::FakeServices services;
  Handler handler(spec("advanced-run-job"),
                  R"({"limits":{"maxBodyBytes":64,"maxDepth":3,"maxBatchItems":2},"batchKey":"$.items","rules":[]})", services);
  auto big = handler.handle(delivery(std::string(65, ' ')), false);
  CHECK(big.http_status == 413);
  CHECK(big.verdict == Verdict::too_large);
  CHECK_THAT(big.body, Contains("65 bytes exceeds the limit of 64"));
  auto deep = handler.handle(delivery(R"({"a":[[{"b":1}]]})"), false);
  CHECK(deep.http_status == 400);
  CHECK(deep.verdict == Verdict::limit_exceeded);
  auto batch = handler.handle(delivery(R"({"items":[1,2,3]})"), false);
  CHECK(batch.http_status == 400);
  CHECK(batch.verdict == Verdict::limit_exceeded);
}

TEST_CASE("returnProcessingInfo answers with the jobs and the evaluation", "[handler]") {
  test::FakeServices services;
  Handler handler(spec("pagerduty-run-job"), R"({"returnProcessingInfo":true,"rules":[{"name":"ack","jobId":"j",
      "jobOptions":[{"name":"id","value":"$.incident.id"}],
      "conditions":[{"path":"$.event","condition":"equals","value":"incident.acknowledge"}]}]})", services);
  auto out = handler.handle(delivery(read("v2-incident.acknowledge-pddocs.json")), false);
  REQUIRE(out.http_status == 200);
  auto body = test::parse_json(out.body);
  CHECK(std::string(body["msg"].GetString()) == "ok");
  CHECK(std::string(body["jobs"][0]["options"]["id"].GetString()) == "PRORDTY");
  CHECK(std::string(body["jobs"][0]["eventId"].GetString()) == "82a33960-a2cd-11e7-8f69-22000affca53");
  CHECK(body["evaluations"][0]["rules"][0]["satisfied"].GetBool());
  CHECK_FALSE(out.explanation.empty());
}

TEST_CASE("config problems surface at construction", "[handler]") {
  test::FakeServices services;
  CHECK_THROWS_WITH(Handler(spec("pagerduty-V3-run-job"), R"({"keyStoragePath":"keys/none"})", services),
                    Contains("keyStoragePath: key storage has no key 'keys/none'"));
  services.keys["keys/blank"] = "\n  \n";
  CHECK_THROWS_WITH(Handler(spec("pagerduty-V3-run-job"), R"({"keyStoragePath":"keys/blank"})", services),
                    Contains("is empty"));
  services.keys["keys/x"] = "x";
  Handler v2(spec("pagerduty-run-job"), R"({"keyStoragePath":"keys/x"})", services);
  CHECK_THAT(services.all_lines(), Contains("keyStoragePath is ignored"));
}
