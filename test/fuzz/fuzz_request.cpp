// A whole delivery through the plugin's real C entry table (abi_entry.cpp linked in statically):
// headers and body as a hostile sender controls them, against handlers of every provider.
//
// Input layout:
//   byte 0   handler: index into kHandlers (mod its size)
//   byte 1   flags: 1 explain, 2 sign the body correctly (signed handlers), 4 fill the request's
//            metadata (delivery id, name, project, sender, time), 8 an old (short) rdwh_request_t
//   then     header lines "Name: value\n", an empty line, then the raw body ("\n" + body: no
//            headers; no empty line at all: everything is the body)
// Invariants checked on every result: the call succeeds, statuses and verdicts are consistent,
// the response body is JSON, a refused delivery runs no job, and no key-storage value is ever in
// an output or a log line (unless the input itself holds its text).
#include "fuzz_common.hpp"

#include "pipeline/verify.hpp"
#include "json/rapidjson.hpp"

#include <rdwh/rdwh.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

extern "C" const rdwh_plugin_entry_t *rdwh_plugin_get_entry(uint32_t host_abi_major);

namespace {

constexpr std::string_view kSecret = "fuzz-Secret-7f3a9c1e5b"; // distinctive: grep for it in outputs
constexpr std::string_view kToken = "tok en [with] ${odd} 'chars'"; // another key-storage value

std::string_view text(rdwh_str_t s) { return s.size ? std::string_view(s.data, s.size) : std::string_view(); }

std::string logged; // this input's log lines (the fuzzer runs one input at a time)

void RDWH_CALL host_log(const rdwh_host_t *, rdwh_log_level, rdwh_str_t msg) {
  logged.append(text(msg));
  logged += '\n';
}

rdwh_status RDWH_CALL host_secret(const rdwh_host_t *, rdwh_str_t path, uint8_t *out, size_t cap, size_t *len) {
  std::string value;
  if (text(path) == "keys/pd") value = std::string("old-secret\n") + std::string(kSecret) + "\n";
  else if (text(path) == "keys/token") value = kToken;
  else return RDWH_STATUS_NOT_FOUND;
  *len = value.size();
  if (cap < value.size()) return RDWH_STATUS_BUFFER_TOO_SMALL;
  std::memcpy(out, value.data(), value.size());
  return RDWH_STATUS_OK;
}

int64_t RDWH_CALL host_now(const rdwh_host_t *) { return 1714564800000; } // 2024-05-01T12:00:00Z

struct HandlerSpec {
  const char *provider;
  const char *config;
  bool signed_;
};

// The configs touch every condition type, nested groups, negation, filters, deep scans, slices,
// templates of every kind, batch keys, event id keys, processing info and small limits.
const HandlerSpec kHandlers[] = {
    {"pagerduty-V3-run-job", R"({"keyStoragePath":"keys/pd","eventIdKey":"$.event.id","returnProcessingInfo":true,
      "rules":[
       {"name":"triggered high","jobId":"job-1","policy":"all",
        "jobOptions":[{"name":"id","value":"$.event.data.id"},{"name":"title","value":"Incident ${data.event.data.title}"},
                      {"name":"teams","value":"$.event.data.teams[*].summary"},{"name":"sig","value":"${webhook['X-PagerDuty-Signature']}"},
                      {"name":"all","value":"$"},{"name":"raw","value":"${raw}"}],
        "nodeFilter":"tags: ${data.event.data.service.summary}","user":"by $data.event.agent.summary",
        "conditions":[{"path":"$.event.event_type","condition":"equals","value":"incident.triggered"},
                      {"path":"event.data.urgency","condition":"matches","value":"high"}]},
       {"name":"any","jobId":"${data.event.data.priority.id}","policy":"any","debug":true,
        "conditions":[{"path":"$.event.data.priority.summary","condition":"equals","value":"P1"},
                      {"path":"$.event.data.title","condition":"contains","value":"Database"},
                      {"policy":"all","negate":true,"conditions":[{"path":"$.event.data.tags","condition":"contains","value":"db"},
                                                                   {"path":"$.event.occurred_at","condition":"dateTimeAfter","value":"now-1d"}]}]},
       {"name":"types","jobId":"job-3","conditions":[{"path":"$.event.data.number","condition":"isA","value":"number"},
                      {"path":"$.event.data.assignees","condition":"isA","value":"list"},
                      {"path":"$.event.data.resolve_reason","condition":"exists","value":"."},
                      {"path":"$.event.occurred_at","condition":"dateTimeBefore","value":"2030-01-01T00:00:00Z"}]}]})",
     true},
    {"pagerduty-V3-run-job", R"({"rules":[
       {"name":"filters","jobId":"job-f","jobOptions":[
          {"name":"hi","value":"$..[?(@.urgency == 'high' && @.status != 'resolved')].id"},
          {"name":"re","value":"$.event.data.teams[?(@.summary =~ /eng.*/i)].id"},
          {"name":"in","value":"$.event.data.assignees[?(@.id in ['PTUXL6G','X'])].summary"},
          {"name":"nin","value":"$.event.data.tags[?(@ nin ['db'])]"},
          {"name":"cmp","value":"$..[?(@.number >= 2 || @.conference_number < 10)].id"},
          {"name":"slice","value":"$.event.data.teams[-2:]"},{"name":"idx","value":"$.event.data.teams[0,1].id"},
          {"name":"deep","value":"$..summary"},{"name":"star","value":"$.event.*"},
          {"name":"names","value":"$.event['id','event_type']"},
          {"name":"neg","value":"${data.event.data.teams[-1]['summary']}"},
          {"name":"eq","value":"$..[?(@.service == $.event.data.service)].id"}],
        "conditions":[{"path":"$..id","condition":"contains","value":"P"}]}]})",
     false},
    {"pagerduty-run-job", R"({"rules":[
       {"name":"trigger","jobId":"job-v2","jobOptions":[{"name":"id","value":"$.data.incident.id"},
          {"name":"type","value":"$.event"},{"name":"who","value":"${webhook.sender}/${webhook.id}/${webhook.name}/${webhook.project}/${webhook.timestamp}"}],
        "conditions":[{"path":"$.event","condition":"equals","value":"incident.trigger"}]},
       {"name":"every","jobId":"job-all","conditions":[]}]})",
     false},
    {"advanced-run-job", R"({"batchKey":"$..items","eventIdKey":"$.id",
      "limits":{"maxBatchItems":20,"maxValueBytes":512,"maxDepth":24},
      "rules":[{"name":"item","jobId":"job-${data.kind}","jobOptions":{"v":"$.value","w":"${path('$.w[*]')}","all":"$"},
                "conditions":[{"path":"$.kind","condition":"isA","value":"string"},{"path":"","condition":"exists","value":"."}]},
               {"name":"tok","jobId":"job-tok","conditions":[{"path":"$.token","condition":"equals","value":"${KS:keys/token}"}]}]})",
     false},
    {"advanced-run-job", "{}", false},
};

struct State {
  const rdwh_plugin_entry_t *entry = nullptr;
  rdwh_host_t host{};
  std::vector<rdwh_handler_t *> handlers;
};

State &state() {
  static State *s = [] {
    auto *st = new State;
    st->entry = rdwh_plugin_get_entry(RDWH_ABI_VERSION_MAJOR);
    FUZZ_CHECK(st->entry != nullptr);
    st->host.struct_size = sizeof st->host;
    st->host.abi_version = RDWH_ABI_VERSION_INIT;
    st->host.log = host_log;
    st->host.get_secret = host_secret;
    st->host.now_unix_ms = host_now;
    for (const HandlerSpec &spec : kHandlers) {
      rdwh_handler_t *h = nullptr;
      rdwh_error_t err{};
      err.struct_size = sizeof err;
      rdwh_str_t config{spec.config, std::strlen(spec.config)};
      if (st->entry->create(spec.provider, config, &st->host, &h, &err) != RDWH_STATUS_OK) {
        std::fprintf(stderr, "fuzz_request: create(%s) failed: %s\n", spec.provider, err.message);
        std::abort();
      }
      st->handlers.push_back(h);
    }
    return st;
  }();
  return *s;
}

bool is_json(std::string_view s) {
  rapidjson::Document doc;
  doc.Parse(s.data(), s.size());
  return !doc.HasParseError();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  state();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  State &st = state();
  const std::size_t which = data[0] % st.handlers.size();
  const uint8_t flags = data[1];
  std::string_view rest = rdwh::fuzz::as_view(data + 2, size - 2);

  // Headers up to the first empty line; the body is everything after it.
  std::vector<std::pair<std::string_view, std::string_view>> parsed;
  std::string_view head, body = rest;
  if (!rest.empty() && rest.front() == '\n') {
    body = rest.substr(1); // no headers
  } else if (std::size_t end = rest.find("\n\n"); end != std::string_view::npos) {
    head = rest.substr(0, end);
    body = rest.substr(end + 2);
  }
  while (!head.empty()) {
    auto [line, next] = rdwh::fuzz::split_line(head);
    std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    parsed.emplace_back(name, value);
    head = next;
  }
  std::string signature;
  if ((flags & 2) && kHandlers[which].signed_) {
    signature = "v1=" + rdwh::pipeline::to_hex(rdwh::pipeline::HmacKey(kSecret).sign(body));
    parsed.emplace_back("X-PagerDuty-Signature", signature);
  }
  // Each string in its own heap block of exactly its size, so ASan catches any over-read.
  std::vector<std::string> storage;
  storage.reserve(parsed.size() * 2 + 1);
  std::vector<rdwh_header_t> headers;
  auto keep = [&](std::string_view s) -> rdwh_str_t {
    storage.emplace_back(s);
    return storage.back().empty() ? rdwh_str_t{nullptr, 0} : rdwh_str_t{storage.back().data(), storage.back().size()};
  };
  for (const auto &[n, v] : parsed) headers.push_back({keep(n), keep(v)});
  std::vector<char> body_copy(body.begin(), body.end());

  rdwh_request_t request{};
  request.struct_size = (flags & 8) ? offsetof(rdwh_request_t, delivery_id) : sizeof request;
  request.flags = (flags & 1) ? RDWH_REQUEST_EXPLAIN : 0;
  request.headers = headers.empty() ? nullptr : headers.data();
  request.header_count = headers.size();
  request.body = rdwh_str_t{body_copy.empty() ? nullptr : body_copy.data(), body_copy.size()};
  if (flags & 4) {
    request.delivery_id = {"d-1", 3};
    request.webhook_name = {"hook", 4};
    request.project = {"ops", 3};
    request.sender = {"203.0.113.9", 11};
    request.received_unix_ms = 1714564800123;
  }

  logged.clear();
  const rdwh_result_t *result = nullptr;
  rdwh_error_t err{};
  err.struct_size = sizeof err;
  rdwh_status status = st.entry->handle(st.handlers[which], &request, &result, &err);
  if (status != RDWH_STATUS_OK) {
    std::fprintf(stderr, "fuzz_request: handle failed with status %d: %s\n", status, err.message);
    std::abort(); // every delivery must be answered with a result, never a failed call
  }
  FUZZ_CHECK(result != nullptr);
  FUZZ_CHECK(result->struct_size == sizeof(rdwh_result_t));
  const int http = result->http_status;
  switch (result->verdict) {
  case RDWH_VERDICT_ACCEPTED: FUZZ_CHECK(http == 200); break;
  case RDWH_VERDICT_MALFORMED: FUZZ_CHECK(http == 400); break;
  case RDWH_VERDICT_SIGNATURE_MISSING: FUZZ_CHECK(http == 400); break;
  case RDWH_VERDICT_SIGNATURE_INVALID: FUZZ_CHECK(http == 403); break;
  case RDWH_VERDICT_TOO_LARGE: FUZZ_CHECK(http == 413); break;
  case RDWH_VERDICT_LIMIT_EXCEEDED: FUZZ_CHECK(http == 400 || http == 431); break;
  default: FUZZ_CHECK(false); // an unknown verdict
  }
  if (result->verdict != RDWH_VERDICT_ACCEPTED) FUZZ_CHECK(result->job_count == 0);
  if (kHandlers[which].signed_ && result->verdict == RDWH_VERDICT_ACCEPTED)
    FUZZ_CHECK(!body.empty()); // a signed handler never accepts what no valid signature covers
  FUZZ_CHECK(text(result->content_type) == "application/json");
  FUZZ_CHECK(is_json(text(result->body)));
  FUZZ_CHECK(result->evaluation.size == 0 || is_json(text(result->evaluation)));
  std::string outputs(text(result->body));
  outputs += logged;
  outputs += text(result->evaluation);
  for (size_t i = 0; i < result->job_count; ++i) {
    const rdwh_job_t *job = result->jobs[i];
    FUZZ_CHECK(job && job->struct_size == sizeof(rdwh_job_t));
    FUZZ_CHECK(job->job_id.size > 0);
    outputs += text(job->rule);
    outputs += text(job->event_id);
    outputs += text(job->job_id);
    outputs += text(job->filter);
    outputs += text(job->as_user);
    for (size_t k = 0; k < job->option_count; ++k) {
      outputs += text(job->options[k].name);
      outputs += text(job->options[k].value);
    }
  }
  // The body may hold the secret text itself (a hostile sender can type anything); only an
  // output the body does not explain is a leak.
  for (std::string_view secret : {kSecret, kToken})
    if (rest.find(secret) == std::string_view::npos) FUZZ_CHECK(outputs.find(secret) == std::string::npos);
  st.entry->release_result(st.handlers[which], result);
  return 0;
}
