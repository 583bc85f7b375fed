#include "service.hpp"

#include "crypto.hpp"
#include "log.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <optional>

namespace rdwh::gateway {

namespace {

constexpr const char *kJson = "application/json";

HttpResponse json_error(int status, const char *message) {
  return {status, kJson, std::string(R"({"err":")") + message + "\"}"};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// "/api/{version}/webhook/{token}" -> token (any "#name" suffix removed, as Rundeck does).
std::optional<std::string_view> webhook_token(std::string_view path) {
  constexpr std::string_view api = "/api/";
  if (path.rfind(api, 0) != 0) return std::nullopt;
  path.remove_prefix(api.size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos || !is_digits(path.substr(0, slash))) return std::nullopt;
  path.remove_prefix(slash);
  constexpr std::string_view hook = "/webhook/";
  if (path.rfind(hook, 0) != 0) return std::nullopt;
  path.remove_prefix(hook.size());
  return path.substr(0, path.find('#'));
}

// The body of Rundeck's job run call: {"options":{...},"filter":"...","asUser":"..."}, empty
// members left out.
std::string run_request_json(const rdwh_job_t &job) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](rdwh_str_t s) { w.String(s.data ? s.data : "", static_cast<rapidjson::SizeType>(s.size)); };
  w.StartObject();
  if (job.option_count > 0) {
    w.Key("options");
    w.StartObject();
    for (size_t i = 0; i < job.option_count; ++i) {
      str(job.options[i].name);
      str(job.options[i].value);
    }
    w.EndObject();
  }
  if (job.filter.size) {
    w.Key("filter");
    str(job.filter);
  }
  if (job.as_user.size) {
    w.Key("asUser");
    str(job.as_user);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// For logs: "" when the plugin was not reached.
const char *verdict_name(int64_t v) {
  switch (v) {
  case -1: return "";
  case RDWH_VERDICT_ACCEPTED: return "accepted";
  case RDWH_VERDICT_MALFORMED: return "malformed";
  case RDWH_VERDICT_SIGNATURE_MISSING: return "signature_missing";
  case RDWH_VERDICT_SIGNATURE_INVALID: return "signature_invalid";
  case RDWH_VERDICT_TOO_LARGE: return "too_large";
  case RDWH_VERDICT_LIMIT_EXCEEDED: return "limit_exceeded";
  case RDWH_VERDICT_UNPROCESSABLE: return "unprocessable";
  default: return "unknown";
  }
}

bool is_signature_failure(rdwh_verdict v) {
  return v == RDWH_VERDICT_SIGNATURE_MISSING || v == RDWH_VERDICT_SIGNATURE_INVALID;
}

} // namespace

HttpResponse Service::handle(const HttpRequest &req) {
  ++in_flight_;
  struct Leave {
    std::atomic<int64_t> &n;
    ~Leave() { --n; }
  } leave{in_flight_};
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (req.path == "/healthz" && get) {
    // 503 only when deliveries cannot be acknowledged (a load balancer then sends them elsewhere);
    // a Rundeck problem leaves intake working (jobs queue), so it is reported but stays 200.
    const Health h = outbox_.health(now_ms());
    if (!h.ok) {
      log::error("health check failed: the outbox is not writable", {{"error", h.reason}});
      return {503, "text/plain; charset=utf-8", "outbox not writable: " + h.reason};
    }
    if (std::string why = degraded_(); !why.empty()) return {200, "text/plain; charset=utf-8", "degraded: " + why};
    return {200, "text/plain; charset=utf-8", "ok"};
  }
  if (req.path == "/metrics" && get) {
    Gauges g;
    g.outbox = outbox_.gauges();
    g.http_in_flight = in_flight_.load();
    g.rundeck_auth_failing = !degraded_().empty();
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(g)};
  }
  if (auto token = webhook_token(req.path)) {
    if (req.method != "POST") return json_error(405, "Method not allowed");
    return deliver(req, *token);
  }
  return json_error(404, "Not found");
}

HttpResponse Service::deliver(const HttpRequest &req, std::string_view token) {
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  const Webhook *hook = rt->find(token);
  // Never log the token or the path (which holds it): the webhook's name identifies it.
  if (!hook) {
    metrics_.delivery("", 400);
    log::warn("delivery for an unknown webhook token", {{"sender", req.sender}, {"status", 400}});
    return json_error(400, "Webhook not found");
  }
  const WebhookConfig &cfg = hook->config;
  const std::optional<std::string_view> webhook_id = req.header("X-Webhook-Id");
  const bool has_webhook_id = webhook_id && !webhook_id->empty();
  const std::string delivery_id = has_webhook_id ? std::string(*webhook_id) : random_uuid();

  // Everything known about the delivery, logged once when it is answered.
  struct Outcome {
    int64_t verdict = -1;
    size_t jobs = 0;
    EnqueueResult stored;
  } outcome;
  auto answer = [&](HttpResponse r) {
    metrics_.delivery(cfg.name, r.status);
    const log::Level level = r.status >= 500 ? log::Level::error : r.status >= 400 ? log::Level::warn : log::Level::info;
    log::write(level, "delivery", {{"webhook", cfg.name}, {"project", cfg.project}, {"delivery", delivery_id},
                                   {"sender", req.sender}, {"status", r.status}, {"verdict", verdict_name(outcome.verdict)},
                                   {"jobs", outcome.jobs}, {"queued", outcome.stored.inserted},
                                   {"duplicates", outcome.stored.duplicates},
                                   {"ms", now_ms() - req.received_unix_ms}});
    return r;
  };

  if (!cfg.enabled) return answer(json_error(404, "Webhook not enabled"));
  if (cfg.use_auth) {
    // As Rundeck: the sha256 hex of the raw Authorization header value equals the stored hash.
    const auto auth = req.header("Authorization");
    if (!auth || !constant_time_equal(sha256_hex(*auth), hook->authorization_sha256))
      return answer(json_error(400, "Failed webhook authorization"));
  }
  if (req.body_too_large) return answer(json_error(413, "Request body too large"));

  host::Handler::Request in;
  for (const auto &h : req.headers)
    if (!header_name_equals(h.first, "Authorization")) // checked above; not the plugin's business
      in.headers.push_back(h);
  in.body = req.body;
  in.delivery_id = delivery_id;
  in.webhook_name = cfg.name;
  in.project = cfg.project;
  in.sender = req.sender;
  in.received_unix_ms = req.received_unix_ms;

  std::optional<host::Result> result;
  try {
    result.emplace(hook->handler->handle(in));
  } catch (const host::HostError &e) {
    // The call itself failed (out of memory, a plugin bug): 500, and PagerDuty retries later.
    log::error("plugin call failed", {{"webhook", cfg.name}, {"delivery", delivery_id}, {"error", e.what()}});
    return answer(json_error(500, "Internal error"));
  }
  const rdwh_result_t &r = **result;
  outcome.verdict = r.verdict;
  outcome.jobs = r.job_count;
  if (is_signature_failure(r.verdict)) metrics_.signature_failure(cfg.name);

  if (r.verdict == RDWH_VERDICT_ACCEPTED && r.job_count > 0) {
    const int64_t now = now_ms();
    const int64_t max_age_ms = rt->config().max_event_age_s * 1000;
    std::vector<NewJob> jobs;
    jobs.reserve(r.job_count);
    uint64_t too_old = 0;
    for (size_t i = 0; i < r.job_count; ++i) {
      const rdwh_job_t &j = *r.jobs[i];
      NewJob n;
      n.webhook_key = cfg.key();
      n.webhook_name = cfg.name;
      n.project = cfg.project;
      n.rule = host::view(j.rule);
      n.event_id = host::view(j.event_id);
      n.job_id = host::view(j.job_id);
      n.request_json = run_request_json(j);
      std::string_view event_key;
      if (RDWH_HAS_FIELD(&j, rdwh_job_t, event_time_unix_ms)) { // ABI 1.1
        event_key = host::view(j.event_key);
        n.rule_key = host::view(j.rule_key);
        n.resource_id = host::view(j.resource_id);
        n.event_time_ms = j.event_time_unix_ms;
      }
      if (n.rule_key.empty()) n.rule_key = "index:" + std::to_string(j.rule_index); // a plugin before ABI 1.1
      n.delivery_key = event_key.empty() ? "delivery:" + delivery_id + "#" + std::to_string(j.event_index)
                                         : "event:" + std::string(event_key);
      if (n.event_time_ms > 0 && now - n.event_time_ms > max_age_ms) {
        n.skip = true;
        n.reason = "the event happened " + std::to_string((now - n.event_time_ms) / 60000) +
                   " minutes ago, more than maxEventAge (" + std::to_string(max_age_ms / 60000) +
                   " minutes): a replay or a very late redelivery; not run";
        ++too_old;
      }
      jobs.push_back(std::move(n));
    }
    try {
      outcome.stored = outbox_.enqueue(jobs, now);
    } catch (const OutboxError &e) {
      // Not stored, so not acknowledged: 503 makes PagerDuty deliver it again later.
      log::error("outbox commit failed", {{"webhook", cfg.name}, {"delivery", delivery_id}, {"error", e.what()}});
      return answer(json_error(503, "Cannot store the jobs now, retry later"));
    }
    if (too_old) log::warn("event older than maxEventAge: its jobs are not run (stored as skipped)",
                           {{"webhook", cfg.name}, {"delivery", delivery_id}, {"jobs", too_old}});
    if (outcome.stored.skipped) metrics_.jobs_skipped(cfg.name, outcome.stored.skipped);
    if (const uint64_t queued = outcome.stored.inserted - outcome.stored.skipped) {
      metrics_.jobs_queued(cfg.name, queued);
      jobs_added_();
    }
    if (outcome.stored.duplicates) metrics_.jobs_duplicate(cfg.name, outcome.stored.duplicates);
  }

  HttpResponse out;
  out.status = r.http_status;
  out.content_type = r.content_type.size ? std::string(host::view(r.content_type)) : std::string(kJson);
  out.body = std::string(host::view(r.body));
  return answer(std::move(out));
}

} // namespace rdwh::gateway
