#include "intake/listener.hpp"

#include "base/crypto.hpp"
#include "intake/outbox_metrics.hpp"
#include "intake/pipeline.hpp"
#include "base/log.hpp"

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
    const OutboxGauges outbox = outbox_.gauges();
    Gauges g;
    g.http_in_flight = in_flight_.load();
    g.rundeck_auth_failing = !degraded_().empty();
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(g) + render_outbox_metrics(outbox)};
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
  const DeliveryStoreSettings &store = rt->config().console.deliveries;
  const bool keep = recorder_ && rt->config().console.enabled && store.enabled;
  const std::optional<std::string_view> webhook_id = req.header("X-Webhook-Id");
  const bool has_webhook_id = webhook_id && !webhook_id->empty();
  const std::string delivery_id = has_webhook_id ? std::string(*webhook_id) : random_uuid();

  // Everything known about the delivery, logged once when it is answered, and stored (when the
  // delivery store is on) unless the enqueue of its jobs stored it already.
  struct Outcome {
    int64_t verdict = -1;
    size_t jobs = 0;
    EnqueueResult stored;
    bool recorded = false;
  } outcome;
  DeliveryRecord record;
  if (keep) record = record_of(req, hook ? &hook->config : nullptr, delivery_id, store.max_body_bytes);
  auto answer = [&](HttpResponse r) {
    const std::string &name = hook ? hook->config.name : std::string();
    metrics_.delivery(name, r.status);
    const log::Level level = r.status >= 500 ? log::Level::error : r.status >= 400 ? log::Level::warn : log::Level::info;
    if (hook)
      log::write(level, "delivery", {{"webhook", name}, {"project", hook->config.project}, {"delivery", delivery_id},
                                     {"sender", req.sender}, {"status", r.status}, {"verdict", verdict_name(outcome.verdict)},
                                     {"jobs", outcome.jobs}, {"queued", outcome.stored.inserted},
                                     {"duplicates", outcome.stored.duplicates},
                                     {"ms", now_ms() - req.received_unix_ms}});
    // Never log the token or the path (which holds it): the webhook's name identifies it.
    else log::warn("delivery for an unknown webhook token", {{"sender", req.sender}, {"status", r.status}});
    if (keep && !outcome.recorded) { // no job: written in the background
      record.verdict = verdict_name(outcome.verdict);
      record_answer(record, r);
      recorder_->add(std::move(record));
    }
    return r;
  };

  if (!hook) return answer(json_error(400, "Webhook not found"));
  const WebhookConfig &cfg = hook->config;
  if (!cfg.enabled) return answer(json_error(404, "Webhook not enabled"));
  if (cfg.use_auth) {
    // As Rundeck: the sha256 hex of the raw Authorization header value equals the stored hash.
    const auto auth = req.header("Authorization");
    if (!auth || !constant_time_equal(sha256_hex(*auth), hook->authorization_sha256))
      return answer(json_error(400, "Failed webhook authorization"));
  }
  if (req.body_too_large) return answer(json_error(413, "Request body too large"));

  // With the store on, the plugin explains why each rule fired or not: the store keeps it.
  const host::Handler::Request in =
      plugin_request(cfg, req.headers, req.body, delivery_id, req.sender, req.received_unix_ms, keep);

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

  HttpResponse out;
  out.status = r.http_status;
  out.content_type = r.content_type.size ? std::string(host::view(r.content_type)) : std::string(kJson);
  out.body = std::string(host::view(r.body));
  if (keep) record.evaluation = utf8_clean(host::view(r.evaluation));

  if (r.verdict == RDWH_VERDICT_ACCEPTED && r.job_count > 0) {
    const int64_t now = now_ms();
    uint64_t too_old = 0;
    const std::vector<NewJob> jobs =
        jobs_of(r, cfg, delivery_id, {now, rt->config().max_event_age_s * 1000, ""}, too_old);
    if (keep) {
      record.verdict = verdict_name(r.verdict);
      record.status = out.status;
      record.job_count = static_cast<int64_t>(jobs.size());
      record.jobs_json = utf8_clean(jobs_json(jobs));
    }
    outcome.recorded = keep; // with the jobs, or not at all when their commit fails
    try {
      outcome.stored = outbox_.enqueue(jobs, now, keep ? &record : nullptr);
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
  return answer(std::move(out));
}

} // namespace rdwh::gateway
