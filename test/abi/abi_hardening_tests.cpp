// The ABI under misuse and hostile deliveries, through dlopen and the raw entry table: what
// abi_tests.cpp does not already cover. docs/hardening.md lists these tests by name.
#include "abi_support.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace rdwh_test;

namespace {

// handle() that must succeed; returns (status, verdict, body) and releases the result.
struct Answer {
  int status = 0;
  rdwh_verdict verdict = -1;
  std::string body, evaluation;
  size_t jobs = 0;
};
Answer answer(const Module &m, const rdwh_handler_t *h, Delivery &d) {
  const rdwh_result_t *r = nullptr;
  rdwh_error_t err = new_error();
  rdwh_status st = m.entry->handle(h, &d.request, &r, &err);
  INFO(err.message);
  REQUIRE(st == RDWH_STATUS_OK);
  REQUIRE(r);
  Answer a{r->http_status, r->verdict, text(r->body), text(r->evaluation), r->job_count};
  m.entry->release_result(h, r);
  return a;
}

} // namespace

TEST_CASE("hardening abi: error structs too small for anything are left alone", "[abi][misuse][hardening]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = nullptr;
  for (uint32_t size : {0u, 1u, 4u, 7u}) {
    struct {
      rdwh_error_t e;
      char guard[8];
    } small;
    std::memset(&small, 'G', sizeof small);
    small.e.struct_size = size;
    CHECK(m.entry->create(nullptr, str("{}"), &host.host, &h, &small.e) == RDWH_STATUS_INVALID_ARGUMENT);
    const auto *bytes = reinterpret_cast<const unsigned char *>(&small);
    for (size_t i = sizeof(uint32_t); i < sizeof small; ++i) {
      if (i < size) continue;
      INFO("byte " << i << " of an error struct of size " << size);
      REQUIRE(bytes[i] == 'G');
    }
  }
}

TEST_CASE("hardening abi: newer hosts and requests (larger struct_size, higher minor) are served", "[abi][misuse][hardening]") {
  Module m;
  struct Bigger {
    TestHost t;
    char future_fields[64] = {};
  } big;
  big.t.host.struct_size = sizeof(rdwh_host_t) + 64; // a host built against ABI 1.9, say
  big.t.host.abi_version.minor = RDWH_ABI_VERSION_MINOR + 7;
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", R"({"rules":[{"name":"r","jobId":"j"}]})", &big.t.host);
  struct {
    rdwh_request_t request;
    char future_fields[32];
  } newer{};
  std::string body = "{}";
  newer.request.struct_size = sizeof newer;
  newer.request.body = str(body);
  const rdwh_result_t *r = nullptr;
  REQUIRE(m.entry->handle(h, &newer.request, &r, nullptr) == RDWH_STATUS_OK);
  CHECK(r->job_count == 1);
  m.entry->release_result(h, r);
  m.entry->destroy(h);
}

TEST_CASE("hardening abi: configs with NUL bytes, bad UTF-8 or deep nesting fail as INVALID_CONFIG", "[abi][misuse][hardening]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = nullptr;
  const std::string configs[] = {std::string("{\"rules\":[]}\0garbage", 20), std::string("{\"rules\":\"\xff\"}"),
                                 std::string(1000, '[') + std::string(1000, ']'), "not json", "[]"};
  for (const std::string &config : configs) {
    rdwh_error_t err = new_error();
    CHECK(m.entry->create("advanced-run-job", str(config), &host.host, &h, &err) == RDWH_STATUS_INVALID_CONFIG);
    CHECK(h == nullptr);
    CHECK(std::strlen(err.message) > 0);
  }
}

TEST_CASE("hardening abi: a misbehaving key storage is a HOST_FAILURE, never an overrun", "[abi][misuse][hardening]") {
  Module m;
  TestHost host;
  const std::string config = R"({"keyStoragePath":"keys/pd","rules":[]})";
  for (int mode : {1, 2}) {
    host.secret_mode = mode;
    rdwh_handler_t *h = nullptr;
    rdwh_error_t err = new_error();
    CHECK(m.entry->create("pagerduty-V3-run-job", str(config), &host.host, &h, &err) == RDWH_STATUS_HOST_FAILURE);
    CHECK(h == nullptr);
    CHECK_THAT(err.message, Catch::Contains("keys/pd"));
  }
}

TEST_CASE("hardening abi: hostile deliveries are answered, never failed calls", "[abi][hardening][limits]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", R"({"limits":{"maxBodyBytes":300000},
      "rules":[{"name":"all","jobId":"j","jobOptions":[{"name":"all","value":"$..*"}]},
               {"name":"bomb","jobId":"k","conditions":[{"path":"$..*..*..*..*[?(@.nope)]","condition":"exists","value":"."}]}]})",
                               &host.host);
  std::string chain;
  for (int i = 0; i < 120; ++i) chain += "{\"a\":";
  chain += "1" + std::string(120, '}');
  std::string many = "[" ;
  for (int i = 0; i < 40000; ++i) many += i ? ",0" : "0";
  many += "]";
  struct Case {
    const char *what;
    Delivery delivery;
    int status;
    rdwh_verdict verdict;
  } cases[] = {
      {"a deep-scan bomb", Delivery(chain), 400, RDWH_VERDICT_LIMIT_EXCEEDED},
      {"too many values", Delivery("{\"m\":[" + many + "," + many + "," + many + "]}"), 400,
       RDWH_VERDICT_LIMIT_EXCEEDED},
      {"too large", Delivery(std::string(300001, ' ')), 413, RDWH_VERDICT_TOO_LARGE},
      {"too deep", Delivery(std::string(200, '[') + std::string(200, ']')), 400, RDWH_VERDICT_LIMIT_EXCEEDED},
      {"too many headers", Delivery("{}", std::vector<std::pair<std::string, std::string>>(101, {"X-A", "b"})), 431,
       RDWH_VERDICT_LIMIT_EXCEEDED},
      {"headers too large", Delivery("{}", {{"X-Big", std::string(70000, 'b')}}), 431, RDWH_VERDICT_LIMIT_EXCEEDED},
      {"invalid UTF-8", Delivery("{\"a\":\"\xff\"}"), 400, RDWH_VERDICT_MALFORMED},
      {"NUL bytes", Delivery(std::string("{\0}", 3)), 400, RDWH_VERDICT_MALFORMED},
  };
  for (auto &c : cases) {
    INFO(c.what);
    Answer a = answer(m, h, c.delivery);
    CHECK(a.status == c.status);
    CHECK(a.verdict == c.verdict);
    CHECK(a.jobs == 0);
  }
  m.entry->destroy(h);
}

TEST_CASE("hardening abi: key-storage values stay out of errors, explanations and logs", "[abi][secrets][hardening]") {
  Module m;
  TestHost host;
  std::string outputs;
  // A condition compares the payload with a stored token; explanations and debug logs are on.
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", R"({"returnProcessingInfo":true,"rules":[{"name":"r","jobId":"j",
      "debug":true,"conditions":[{"path":"$.token","condition":"equals","value":"${KS:keys/token}"}]}]})", &host.host);
  for (const char *body : {R"({"token":"guess"})", R"({"token":"T0KEN-s3cr3t"})"}) {
    Delivery d(body);
    d.request.flags = RDWH_REQUEST_EXPLAIN;
    Answer a = answer(m, h, d);
    outputs += a.body + a.evaluation;
  }
  m.entry->destroy(h);
  // Stored values in places where a syntax error would quote them.
  host.keys["keys/odd"] = "odd [secret] ${x} " + secret;
  for (const char *config : {R"({"batchKey":"${KS:keys/odd}"})", R"({"rules":[{"jobId":"${KS:keys/odd}"}]})",
                             R"({"rules":[{"conditions":[{"path":"$.a","condition":"isA","value":"${KS:keys/odd}"}]}]})"}) {
    rdwh_handler_t *bad = nullptr;
    rdwh_error_t err = new_error();
    CHECK(m.entry->create("advanced-run-job", str(config), &host.host, &bad, &err) == RDWH_STATUS_INVALID_CONFIG);
    outputs += err.message;
  }
  outputs += host.logs();
  CHECK_THAT(outputs, Catch::Contains("(a value from key storage)"));
  CHECK_THAT(outputs, !Catch::Contains("T0KEN"));
  CHECK_THAT(outputs, !Catch::Contains("odd [secret]"));
  CHECK_THAT(outputs, !Catch::Contains(secret.substr(0, 12)));
}

TEST_CASE("hardening abi: many threads, every kind of outcome, one handler", "[abi][threads][hardening]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", R"({"batchKey":"$.items","returnProcessingInfo":true,
      "limits":{"maxBatchItems":5,"maxBodyBytes":4096,"maxPathWork":20000},
      "rules":[{"name":"r","jobId":"j-${data.n}","debug":true,"jobOptions":[{"name":"n","value":"$.n"},
               {"name":"h","value":"${webhook['X-Id']}"}],
                "conditions":[{"path":"$.n","condition":"isA","value":"number"}]},
               {"name":"deep","jobId":"d","conditions":[{"path":"$..*..*..*[?(@.q)]","condition":"contains","value":"x"}]}]})",
                               &host.host);
  std::string chain = "{\"items\":[";
  for (int i = 0; i < 60; ++i) chain += "{\"a\":";
  chain += "1" + std::string(60, '}') + "]}";
  const std::string bodies[] = {R"({"items":[{"n":1},{"n":2}]})", R"({"items":[1,2,3,4,5,6]})", "{\"items\":[\"\xff\"]}",
                                std::string(5000, ' '), chain, R"({"items":{"n":3}})"};
  const int expected[] = {200, 400, 400, 413, 400, 200};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const int k = (i + t) % 6;
        Delivery d(bodies[k], {{"X-Id", std::to_string(t)}});
        d.request.flags = i % 2 ? RDWH_REQUEST_EXPLAIN : 0;
        const rdwh_result_t *r = nullptr;
        if (m.entry->handle(h, &d.request, &r, nullptr) != RDWH_STATUS_OK || r->http_status != expected[k]) ++wrong;
        if (r && k == 0 && (r->job_count != 2 || text(r->jobs[1]->options[1].value) != std::to_string(t))) ++wrong;
        m.entry->release_result(h, r);
      }
    });
  for (auto &t : threads) t.join();
  CHECK(wrong == 0);
  m.entry->destroy(h);
}
