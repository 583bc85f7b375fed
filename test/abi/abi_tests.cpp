// The plugin through its real C ABI: dlopen the built module and call the entry table as a host
// would, including the ways a host can get it wrong.
#include "abi_support.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace rdwh_test;

namespace {

const std::string good_signature = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";

std::string read(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string &signed_body() {
  static const std::string body = read(RDWH_SOURCE_DIR "/examples/deliveries/v3-incident.priority_updated-gopagerduty.json");
  return body;
}

const char *const v3_config = R"({"keyStoragePath":"keys/pd","rules":[{"name":"p1","jobId":"job-1",
  "jobOptions":[{"name":"id","value":"$.event.data.id"},{"name":"sig","value":"${webhook['X-PagerDuty-Signature']}"}],
  "conditions":[{"path":"$.event.data.priority.summary","condition":"equals","value":"P1"}]}]})";

} // namespace

TEST_CASE("version negotiation: only the plugin's major is served", "[abi]") {
  Module m;
  CHECK(m.get_entry(RDWH_ABI_VERSION_MAJOR + 1) == nullptr);
  CHECK(m.get_entry(0) == nullptr);
  CHECK(m.get_entry(RDWH_ABI_VERSION_MAJOR) == m.entry); // idempotent, static
  CHECK(m.entry->struct_size == sizeof(rdwh_plugin_entry_t));
  CHECK(m.entry->abi_version.major == RDWH_ABI_VERSION_MAJOR);
  CHECK(m.entry->abi_version.minor == RDWH_ABI_VERSION_MINOR);
  CHECK(std::string(m.entry->plugin_name) == "rdwh-pagerduty");
}

TEST_CASE("providers carry Rundeck's names and property descriptions", "[abi]") {
  Module m;
  REQUIRE(m.entry->provider_count() == 4);
  std::vector<std::string> names;
  for (size_t i = 0; i < 3; ++i) {
    const rdwh_provider_info_t *info = m.entry->provider_info(i);
    REQUIRE(info);
    CHECK(info->struct_size == sizeof(rdwh_provider_info_t));
    names.emplace_back(info->name);
    REQUIRE(info->property_count == 5);
    CHECK(std::string(info->properties[0]->name) == "rules");
    CHECK(std::string(info->properties[3]->type) == "Boolean");
  }
  // Rundeck's open-source Run Job, with the properties its plugin declares.
  const rdwh_provider_info_t *run_job = m.entry->provider_info(3);
  REQUIRE(run_job);
  names.emplace_back(run_job->name);
  CHECK(std::string(run_job->title) == "Run Job");
  CHECK(std::string(run_job->description) == "Run a job on webhook event. This plugin expects the incoming payload to be JSON");
  REQUIRE(run_job->property_count == 4);
  const rdwh_property_t &job = *run_job->properties[0];
  CHECK(std::string(job.name) == "jobId");
  CHECK(std::string(job.title) == "Job");
  CHECK(std::string(job.description) == "Job to run.");
  CHECK(job.required != 0);
  CHECK(std::string(job.rendering_options[0]) == "selectionAccessor");
  CHECK(std::string(job.rendering_options[1]) == "RUNDECK_JOB");
  CHECK(std::string(run_job->properties[1]->title) == "Options");
  CHECK(std::string(run_job->properties[2]->title) == "Node Filter");
  CHECK(std::string(run_job->properties[3]->title) == "As User");
  CHECK(names == std::vector<std::string>{"pagerduty-V3-run-job", "pagerduty-run-job", "advanced-run-job", "webhook-run-job"});
  CHECK(std::string(m.entry->provider_info(0)->title) == "PagerDuty: Generic V3 Webhook");
  CHECK(m.entry->provider_info(4) == nullptr);
  CHECK(m.entry->provider_info(SIZE_MAX) == nullptr);
}

TEST_CASE("a signed delivery through the ABI gives its job; results release cleanly", "[abi]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", v3_config, &host.host);
  Delivery d(signed_body(), &good_signature);
  d.request.flags = RDWH_REQUEST_EXPLAIN;
  const rdwh_result_t *r = nullptr;
  rdwh_error_t err = new_error();
  REQUIRE(m.entry->handle(h, &d.request, &r, &err) == RDWH_STATUS_OK);
  REQUIRE(r);
  CHECK(r->struct_size == sizeof(rdwh_result_t));
  CHECK(r->verdict == RDWH_VERDICT_ACCEPTED);
  CHECK(r->http_status == 200);
  CHECK(text(r->body) == R"({"msg":"ok"})");
  CHECK(text(r->content_type) == "application/json");
  REQUIRE(r->job_count == 1);
  const rdwh_job_t &job = *r->jobs[0];
  CHECK(job.struct_size == sizeof(rdwh_job_t));
  CHECK(text(job.job_id) == "job-1");
  CHECK(text(job.rule) == "p1");
  CHECK(text(job.event_id) == "01BWDWL3NYY7LUFPZCC28QUCMK");
  REQUIRE(job.option_count == 2);
  CHECK(text(job.options[0].name) == "id");
  CHECK(text(job.options[0].value) == "PGR0VU2");
  CHECK(r->evaluation.size > 0);
  m.entry->release_result(h, r);
  m.entry->release_result(h, nullptr); // no-op
  m.entry->destroy(h);
  m.entry->destroy(nullptr); // no-op
}

TEST_CASE("ABI 1.1 job identities: signed event key, stable rule key, resource and time", "[abi]") {
  Module m;
  TestHost host;
  const std::string config = R"({"keyStoragePath":"keys/pd","eventIdKey":"$.event.data.number","rules":[
    {"name":"same","jobId":"j1"},{"name":"same","jobId":"j2"},{"uuid":"72fbadce-1","name":"u","jobId":"j3"}]})";
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", config, &host.host);
  // An unsigned header never outranks the id inside the signed body.
  Delivery d(signed_body(), {{"X-PagerDuty-Signature", good_signature}, {"X-Webhook-Id", "replayed-id"}});
  const rdwh_result_t *r = nullptr;
  rdwh_error_t err = new_error();
  REQUIRE(m.entry->handle(h, &d.request, &r, &err) == RDWH_STATUS_OK);
  REQUIRE(r->job_count == 3);
  std::vector<std::string> rule_keys;
  for (size_t i = 0; i < 3; ++i) {
    const rdwh_job_t &job = *r->jobs[i];
    REQUIRE(RDWH_HAS_FIELD(&job, rdwh_job_t, event_time_unix_ms));
    CHECK((job.flags & RDWH_JOB_SIGNED) != 0);
    CHECK(text(job.event_id) == "2"); // eventIdKey names the event for Rundeck
    CHECK(text(job.event_key) == "01BWDWL3NYY7LUFPZCC28QUCMK");
    CHECK(text(job.resource_id) == "PGR0VU2");
    CHECK(job.event_time_unix_ms == 1619458587458); // 2021-04-26T17:36:27.458Z
    rule_keys.push_back(text(job.rule_key));
  }
  CHECK(rule_keys == std::vector<std::string>{"same", "same#2", "72fbadce-1"});
  m.entry->release_result(h, r);
  m.entry->destroy(h);

  // V2: each message is its own event, keyed by its id, about its incident; unsigned.
  rdwh_handler_t *v2 = create_ok(m, "pagerduty-run-job", R"({"rules":[{"name":"all","jobId":"j"}]})", &host.host);
  Delivery batch(R"({"messages":[{"id":"m1","created_on":"2024-05-01T12:00:00Z","incident":{"id":"PI1"}},)"
                 R"({"id":"m2","incident":{"id":"PI2"}}]})",
                 {{"X-Webhook-Id", "hdr"}});
  REQUIRE(m.entry->handle(v2, &batch.request, &r, &err) == RDWH_STATUS_OK);
  REQUIRE(r->job_count == 2);
  CHECK((r->jobs[0]->flags & RDWH_JOB_SIGNED) == 0);
  CHECK(text(r->jobs[0]->event_key) == "m1");
  CHECK(text(r->jobs[1]->event_key) == "m2");
  CHECK(text(r->jobs[0]->resource_id) == "PI1");
  CHECK(r->jobs[0]->event_time_unix_ms == 1714564800000);
  CHECK(r->jobs[1]->event_time_unix_ms == 0);
  m.entry->release_result(v2, r);
  m.entry->destroy(v2);

  // Nothing in the body identifies the event: the header, else nothing (the host decides).
  rdwh_handler_t *adv = create_ok(m, "advanced-run-job", R"({"rules":[{"name":"all","jobId":"j"}]})", &host.host);
  Delivery with_header("{}", {{"X-Webhook-Id", "hdr-1"}});
  REQUIRE(m.entry->handle(adv, &with_header.request, &r, &err) == RDWH_STATUS_OK);
  CHECK(text(r->jobs[0]->event_key) == "hdr-1");
  CHECK(r->jobs[0]->resource_id.size == 0);
  m.entry->release_result(adv, r);
  Delivery bare("{}");
  REQUIRE(m.entry->handle(adv, &bare.request, &r, &err) == RDWH_STATUS_OK);
  CHECK(r->jobs[0]->event_key.size == 0);
  m.entry->release_result(adv, r);
  m.entry->destroy(adv);
}

TEST_CASE("rejected deliveries are results, not failed calls", "[abi]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", v3_config, &host.host);
  const std::string bad = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";
  struct Case {
    Delivery delivery;
    int status;
    rdwh_verdict verdict;
  } cases[] = {{Delivery(signed_body(), &bad), 403, RDWH_VERDICT_SIGNATURE_INVALID},
               {Delivery(signed_body()), 400, RDWH_VERDICT_SIGNATURE_MISSING},
               {Delivery(signed_body() + "x", &good_signature), 403, RDWH_VERDICT_SIGNATURE_INVALID}};
  for (auto &c : cases) {
    const rdwh_result_t *r = nullptr;
    REQUIRE(m.entry->handle(h, &c.delivery.request, &r, nullptr) == RDWH_STATUS_OK);
    CHECK(r->http_status == c.status);
    CHECK(r->verdict == c.verdict);
    CHECK(r->job_count == 0);
    CHECK(text(r->body).find(secret) == std::string::npos);
    m.entry->release_result(h, r);
  }
  m.entry->destroy(h);
}

TEST_CASE("create refuses bad arguments with a status and a message", "[abi][misuse]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = reinterpret_cast<rdwh_handler_t *>(0x1);
  rdwh_error_t err = new_error();
  const std::string cfg = "{}";

  CHECK(m.entry->create(nullptr, str(cfg), &host.host, &h, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(h == nullptr);
  CHECK(err.code == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("must not be NULL") != std::string::npos);
  CHECK(m.entry->create("advanced-run-job", str(cfg), nullptr, &h, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(m.entry->create("advanced-run-job", str(cfg), &host.host, nullptr, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(m.entry->create("advanced-run-job", rdwh_str_t{nullptr, 5}, &host.host, &h, &err) == RDWH_STATUS_INVALID_ARGUMENT);

  CHECK(m.entry->create("no-such-provider", str(cfg), &host.host, &h, &err) == RDWH_STATUS_NOT_FOUND);
  CHECK(std::string(err.message).find("no-such-provider") != std::string::npos);

  rdwh_host_t wrong_major = host.host;
  wrong_major.abi_version.major = RDWH_ABI_VERSION_MAJOR + 1;
  CHECK(m.entry->create("advanced-run-job", str(cfg), &wrong_major, &h, &err) == RDWH_STATUS_VERSION_MISMATCH);

  rdwh_host_t tiny = host.host;
  tiny.struct_size = 8;
  CHECK(m.entry->create("advanced-run-job", str(cfg), &tiny, &h, &err) == RDWH_STATUS_INVALID_ARGUMENT);

  const std::string bad = R"({"rules":[{"conditions":[{"path":"$.a","condition":"nope"}]}]})";
  CHECK(m.entry->create("advanced-run-job", str(bad), &host.host, &h, &err) == RDWH_STATUS_INVALID_CONFIG);
  CHECK(std::string(err.message).find("rules[0].conditions[0].condition") != std::string::npos);

  // No error struct at all, and one too small to hold the message: both are fine.
  CHECK(m.entry->create("advanced-run-job", str(bad), &host.host, &h, nullptr) == RDWH_STATUS_INVALID_CONFIG);
  struct {
    rdwh_error_t e;
    char guard[8];
  } small{};
  small.e.struct_size = offsetof(rdwh_error_t, message) + 10;
  std::memset(small.e.message + 10, 'G', sizeof small.e.message - 10);
  CHECK(m.entry->create("advanced-run-job", str(bad), &host.host, &h, &small.e) == RDWH_STATUS_INVALID_CONFIG);
  CHECK(small.e.code == RDWH_STATUS_INVALID_CONFIG);
  CHECK(std::strlen(small.e.message) == 9);
  CHECK(small.e.message[10] == 'G'); // nothing written past struct_size
}

TEST_CASE("an older host: smaller struct_size, missing services", "[abi][misuse]") {
  Module m;
  TestHost host;
  rdwh_host_t old = host.host;
  old.struct_size = offsetof(rdwh_host_t, log); // knows nothing past host_data
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", R"({"rules":[{"name":"r","jobId":"j"}]})", &old);
  Delivery d(R"({"a":1})");
  d.request.struct_size = offsetof(rdwh_request_t, delivery_id); // an old request, too
  const rdwh_result_t *r = nullptr;
  REQUIRE(m.entry->handle(h, &d.request, &r, nullptr) == RDWH_STATUS_OK);
  CHECK(r->job_count == 1);
  m.entry->release_result(h, r);
  m.entry->destroy(h);

  rdwh_error_t err = new_error();
  rdwh_handler_t *h2 = nullptr;
  CHECK(m.entry->create("pagerduty-V3-run-job", str(std::string(v3_config)), &old, &h2, &err) == RDWH_STATUS_HOST_FAILURE);
  CHECK(std::string(err.message).find("no key storage") != std::string::npos);

  rdwh_host_t nulls = host.host;
  nulls.log = nullptr;
  nulls.now_unix_ms = nullptr;
  rdwh_handler_t *h3 = create_ok(m, "pagerduty-V3-run-job", v3_config, &nulls);
  m.entry->destroy(h3);
}

TEST_CASE("a 1.0 host (its table ends before get_extension) uses the 1.1 plugin", "[abi][compat]") {
  Module m;
  TestHost host;
  rdwh_host_t v10 = host.host;
  v10.struct_size = offsetof(rdwh_host_t, get_extension); // 48 on LP64: what a 1.0 host compiled
  v10.abi_version = rdwh_version_t{1, 0, 0};
  v10.get_extension = [](const rdwh_host_t *, const char *) -> const void * {
    FAIL("the plugin read the host table past its struct_size");
    return nullptr;
  };
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", v3_config, &v10);
  Delivery d(signed_body(), &good_signature);
  const rdwh_result_t *r = nullptr;
  REQUIRE(m.entry->handle(h, &d.request, &r, nullptr) == RDWH_STATUS_OK);
  REQUIRE(r->job_count == 1);
  // A 1.0 host reads the job's 1.0 prefix; the 1.1 fields are there for a newer one.
  CHECK(text(r->jobs[0]->job_id) == "job-1");
  CHECK(RDWH_HAS_FIELD(r->jobs[0], rdwh_job_t, event_time_unix_ms));
  m.entry->release_result(h, r);
  m.entry->destroy(h);
  // And it would never look at get_extension in the entry table either: its copy of the
  // struct stops at release_result, which the 1.1 table still has at the same offset.
  CHECK(offsetof(rdwh_plugin_entry_t, release_result) == 72);
  CHECK(m.entry->struct_size > offsetof(rdwh_plugin_entry_t, release_result));
}

TEST_CASE("rdwh.plugin-info/1: the plugin file's metadata", "[abi][ext]") {
  Module m;
  const auto *info = static_cast<const rdwh_plugin_info_ext_t *>(m.entry->get_extension(RDWH_EXT_PLUGIN_INFO));
  REQUIRE(info);
  CHECK(info == m.entry->get_extension(RDWH_EXT_PLUGIN_INFO)); // static
  CHECK(m.entry->get_extension("rdwh.plugin-info/2") == nullptr);
  CHECK(info->struct_size == sizeof(rdwh_plugin_info_ext_t));
  REQUIRE(info->author);
  REQUIRE(info->third_party_dependencies);
  CHECK_THAT(info->third_party_dependencies, Catch::Contains("OpenSSL"));
  CHECK(std::string(info->rundeck_compatibility_version) == "3.4+");
  CHECK(std::string(info->target_host_compatibility) == "all");
  CHECK(info->license == nullptr); // not stated: never claimed
}

TEST_CASE("rdwh.provider-ui/1: sample actions and field suggestions per provider", "[abi][ext]") {
  Module m;
  REQUIRE(RDWH_HAS_FIELD(m.entry, rdwh_plugin_entry_t, get_extension));
  REQUIRE(m.entry->get_extension);
  CHECK(m.entry->get_extension(nullptr) == nullptr);
  CHECK(m.entry->get_extension("rdwh.provider-ui/2") == nullptr); // another revision is another interface
  CHECK(m.entry->get_extension("rdwh.no-such-thing/1") == nullptr);
  const auto *ui = static_cast<const rdwh_plugin_provider_ui_t *>(m.entry->get_extension(RDWH_EXT_PROVIDER_UI));
  REQUIRE(ui);
  CHECK(ui == m.entry->get_extension(RDWH_EXT_PROVIDER_UI)); // static
  CHECK(ui->struct_size == sizeof(rdwh_plugin_provider_ui_t));
  CHECK(ui->get(nullptr) == nullptr);
  CHECK(ui->get("no-such-provider") == nullptr);

  TestHost host;
  for (const char *provider : {"pagerduty-V3-run-job", "pagerduty-run-job"}) {
    INFO(provider);
    const rdwh_provider_ui_t *data = ui->get(provider);
    REQUIRE(data);
    CHECK(data->struct_size == sizeof(rdwh_provider_ui_t));
    CHECK(std::string(data->provider) == provider);
    REQUIRE(data->sample_action);
    // The sample is a rule the plugin itself accepts.
    rdwh_handler_t *h = create_ok(m, provider, std::string(R"({"rules":[)") + data->sample_action + "]}", &host.host);
    m.entry->destroy(h);
    REQUIRE(data->field_count >= 10);
    for (size_t i = 0; i < data->field_count; ++i) {
      CHECK(data->fields[i].path[0] == '$');
      CHECK(std::string(data->fields[i].title).size() > 0);
      CHECK(std::string(data->fields[i].example).size() > 0);
    }
  }
  const std::string v3_sample = ui->get("pagerduty-V3-run-job")->sample_action;
  CHECK(v3_sample.find(R"("path":"$.event.event_type","condition":"equals","value":"incident.triggered")") != std::string::npos);
  CHECK(v3_sample.find(R"({"name":"pd_incident_id","value":"$.event.data.id"})") != std::string::npos);
  const std::string v2_sample = ui->get("pagerduty-run-job")->sample_action;
  CHECK(v2_sample.find(R"("path":"$.event","condition":"equals","value":"incident.trigger")") != std::string::npos);
  CHECK(v2_sample.find(R"({"name":"pd_incident_id","value":"$.incident.id"})") != std::string::npos);
  CHECK(std::string(ui->get("pagerduty-run-job")->fields[0].path) == "$.event");
  // Advanced Run Job has no sample and no PagerDuty fields.
  const rdwh_provider_ui_t *advanced = ui->get("advanced-run-job");
  REQUIRE(advanced);
  CHECK(advanced->sample_action == nullptr);
  CHECK(advanced->field_count == 0);
  CHECK(advanced->fields == nullptr);
}

TEST_CASE("key storage: large secrets, failures, rotation", "[abi]") {
  Module m;
  TestHost host;
  host.keys["keys/pd"] = std::string(1000, 'k') + "\n" + secret; // over the first 256-byte buffer
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", v3_config, &host.host);
  Delivery d(signed_body(), &good_signature);
  const rdwh_result_t *r = nullptr;
  REQUIRE(m.entry->handle(h, &d.request, &r, nullptr) == RDWH_STATUS_OK);
  CHECK(r->http_status == 200);
  m.entry->release_result(h, r);
  m.entry->destroy(h);

  host.secret_status = RDWH_STATUS_HOST_FAILURE;
  rdwh_handler_t *h2 = nullptr;
  rdwh_error_t err = new_error();
  CHECK(m.entry->create("pagerduty-V3-run-job", str(std::string(v3_config)), &host.host, &h2, &err) == RDWH_STATUS_HOST_FAILURE);
  CHECK(h2 == nullptr);
}

TEST_CASE("handle refuses bad arguments and leaves *out NULL", "[abi][misuse]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "advanced-run-job", "{}", &host.host);
  Delivery d("{}");
  const rdwh_result_t *r = reinterpret_cast<const rdwh_result_t *>(0x1);
  rdwh_error_t err = new_error();
  CHECK(m.entry->handle(nullptr, &d.request, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(r == nullptr);
  CHECK(m.entry->handle(h, nullptr, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(m.entry->handle(h, &d.request, nullptr, &err) == RDWH_STATUS_INVALID_ARGUMENT);

  rdwh_request_t small = d.request;
  small.struct_size = 8;
  CHECK(m.entry->handle(h, &small, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("struct_size") != std::string::npos);

  rdwh_request_t no_headers = d.request;
  no_headers.header_count = 3;
  no_headers.headers = nullptr;
  CHECK(m.entry->handle(h, &no_headers, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);

  rdwh_request_t no_body = d.request;
  no_body.body = rdwh_str_t{nullptr, 10};
  CHECK(m.entry->handle(h, &no_body, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);

  rdwh_header_t broken{rdwh_str_t{nullptr, 4}, rdwh_str_t{"v", 1}};
  rdwh_request_t bad_header = d.request;
  bad_header.headers = &broken;
  bad_header.header_count = 1;
  CHECK(m.entry->handle(h, &bad_header, &r, &err) == RDWH_STATUS_INVALID_ARGUMENT);
  CHECK(r == nullptr);

  rdwh_request_t empty_body = d.request;
  empty_body.body = rdwh_str_t{nullptr, 0}; // empty is fine with a NULL pointer
  REQUIRE(m.entry->handle(h, &empty_body, &r, &err) == RDWH_STATUS_OK);
  CHECK(r->http_status == 200);
  m.entry->release_result(h, r);
  m.entry->destroy(h);
}

TEST_CASE("many threads share one handler", "[abi][threads]") {
  Module m;
  TestHost host;
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", v3_config, &host.host);
  const std::string bad = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const bool valid = (i + t) % 3 != 0;
        Delivery d(signed_body(), valid ? &good_signature : &bad);
        if (i % 7 == 0) d.request.flags = RDWH_REQUEST_EXPLAIN;
        const rdwh_result_t *r = nullptr;
        if (m.entry->handle(h, &d.request, &r, nullptr) != RDWH_STATUS_OK) {
          ++wrong;
          continue;
        }
        if (r->http_status != (valid ? 200 : 403) || r->job_count != (valid ? 1u : 0u) ||
            (valid && text(r->jobs[0]->options[0].value) != "PGR0VU2"))
          ++wrong;
        m.entry->release_result(h, r);
      }
    });
  for (auto &t : threads) t.join();
  CHECK(wrong == 0);
  m.entry->destroy(h);
}

TEST_CASE("the secret appears in no log line, error or result", "[abi][secrets]") {
  Module m;
  TestHost host;
  const std::string config = R"({"keyStoragePath":"keys/pd","rules":[{"name":"r","jobId":"j","debug":true,
     "jobOptions":[{"name":"a","value":"$.event.id"}],"conditions":[]}],"unknownKey":1})";
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", config, &host.host);
  std::string outputs;
  const std::string bad = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";
  for (const std::string *sig : {&good_signature, &bad, static_cast<const std::string *>(nullptr)}) {
    Delivery d(signed_body(), sig);
    d.request.flags = RDWH_REQUEST_EXPLAIN;
    const rdwh_result_t *r = nullptr;
    REQUIRE(m.entry->handle(h, &d.request, &r, nullptr) == RDWH_STATUS_OK);
    outputs += text(r->body) + text(r->evaluation);
    for (size_t i = 0; i < r->job_count; ++i)
      for (size_t k = 0; k < r->jobs[i]->option_count; ++k) outputs += text(r->jobs[i]->options[k].value);
    m.entry->release_result(h, r);
  }
  m.entry->destroy(h);
  rdwh_error_t err = new_error();
  rdwh_handler_t *h2 = nullptr;
  const std::string ks_policy = R"({"rules":[{"policy":"${KS:keys/pd}"}]})";
  CHECK(m.entry->create("advanced-run-job", str(ks_policy), &host.host, &h2, &err) == RDWH_STATUS_INVALID_CONFIG);
  outputs += err.message;
  outputs += host.logs();
  CHECK_FALSE(host.log_lines.empty()); // the debug rule and the unknown key were logged
  // The forged delivery's log line names the key to check, never its value.
  CHECK_THAT(host.logs(), Catch::Contains("matches none of the 1 secret(s) in keyStoragePath 'keys/pd'"));
  CHECK(outputs.find(secret) == std::string::npos);
  CHECK(outputs.find(secret.substr(0, 12)) == std::string::npos);
}

TEST_CASE("load, use and unload repeatedly", "[abi]") {
  for (int i = 0; i < 20; ++i) {
    Module m;
    TestHost host;
    // A regex too: RE2 keeps a few objects for the life of the process, which must not be lost
    // (leaked) with each unload.
    rdwh_handler_t *h = create_ok(
        m, "pagerduty-run-job",
        R"({"rules":[{"name":"r","jobId":"j","conditions":[{"path":"$[?(@.event =~ /incident\\..*/)]",)"
        R"("condition":"exists"}]}]})",
        &host.host);
    Delivery d(R"({"messages":[{"id":"1","event":"incident.trigger"},{"id":"2","event":"incident.resolve"}]})");
    const rdwh_result_t *r = nullptr;
    REQUIRE(m.entry->handle(h, &d.request, &r, nullptr) == RDWH_STATUS_OK);
    CHECK(r->job_count == 2);
    m.entry->release_result(h, r);
    m.entry->destroy(h);
  }
}

namespace {

// A host that takes config diagnostics as data (rdwh.host.diagnostics/1, ABI 1.2).
struct DiagnosticsHost : TestHost {
  rdwh_host_diagnostics_t table{sizeof(rdwh_host_diagnostics_t), 0, nullptr};
  std::vector<std::tuple<rdwh_diagnostic_kind, std::string, std::string, std::string, std::string>> got;
  explicit DiagnosticsHost(uint32_t flags) {
    table.flags = flags;
    table.report = [](const rdwh_host_t *h, const rdwh_diagnostic_t *d) {
      auto *self = static_cast<DiagnosticsHost *>(static_cast<TestHost *>(h->host_data));
      REQUIRE(d->struct_size == sizeof(rdwh_diagnostic_t));
      self->got.emplace_back(d->kind, text(d->field), text(d->rule), text(d->message), text(d->suggestion));
    };
    host.get_extension = [](const rdwh_host_t *h, const char *id) -> const void * {
      auto *self = static_cast<DiagnosticsHost *>(static_cast<TestHost *>(h->host_data));
      return std::strcmp(id, RDWH_EXT_HOST_DIAGNOSTICS) == 0 ? &self->table : nullptr;
    };
  }
};

constexpr const char *diagnosed_config =
    R"({"keyStoragePath":"keys/pd","rules":[{"name":"typo","jobid":"x"},
        {"name":"r","jobId":"j","conditions":[{"path":"$.event.data.urgncy","condition":"equals","value":"high"}]}]})";

} // namespace

TEST_CASE("config diagnostics reach a host that takes them as data, instead of its log", "[abi][diagnostics]") {
  Module m;
  DiagnosticsHost host(0);
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", diagnosed_config, &host.host);
  REQUIRE(host.got.size() == 2);
  CHECK(host.got[0] == std::make_tuple(RDWH_DIAGNOSTIC_UNKNOWN_KEY, std::string("rules[0].jobid"), std::string("typo"),
                                       std::string("rules[0]: unknown key 'jobid' ignored (did you mean 'jobId'?)"),
                                       std::string("jobId")));
  CHECK(std::get<0>(host.got[1]) == RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB);
  CHECK(host.log_lines.empty()); // reported, not logged
  m.entry->destroy(h);

  // Asked to lint, the plugin adds what it finds against the provider's payloads.
  DiagnosticsHost linting(RDWH_DIAGNOSTICS_LINT);
  h = create_ok(m, "pagerduty-V3-run-job", diagnosed_config, &linting.host);
  REQUIRE(linting.got.size() == 4);
  CHECK(std::get<0>(linting.got[2]) == RDWH_DIAGNOSTIC_UNKNOWN_FIELD);
  CHECK(std::get<4>(linting.got[2]) == "$.event.data.urgency");
  CHECK(std::get<0>(linting.got[3]) == RDWH_DIAGNOSTIC_NEVER_MATCHES);
  m.entry->destroy(h);
}

TEST_CASE("a host without the diagnostics extension gets them as log lines (ABI 1.1 and 1.0 hosts too)", "[abi][diagnostics]") {
  Module m;
  TestHost current; // offers no extension
  rdwh_handler_t *h = create_ok(m, "pagerduty-V3-run-job", diagnosed_config, &current.host);
  CHECK_THAT(current.logs(), Catch::Contains("rules[0]: unknown key 'jobid' ignored (did you mean 'jobId'?)") &&
                                 Catch::Contains("rule 'typo' is enabled but has no jobId"));
  m.entry->destroy(h);
  TestHost old; // a 1.0 host: its table ends before get_extension
  old.host.struct_size = offsetof(rdwh_host_t, get_extension);
  h = create_ok(m, "pagerduty-V3-run-job", diagnosed_config, &old.host);
  CHECK_THAT(old.logs(), Catch::Contains("did you mean 'jobId'?"));
  m.entry->destroy(h);
}
