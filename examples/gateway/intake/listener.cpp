#include "intake/listener.hpp"

#include "base/clock.hpp"
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
    // The delivery store not recording is reported too, and intake goes on.
    if (std::string why = degraded_reason(); !why.empty())
      return {200, "text/plain; charset=utf-8", "degraded: " + why};
    return {200, "text/plain; charset=utf-8", "ok"};
  }
  if (req.path == "/metrics" && get) {
    const OutboxGauges outbox = outbox_.gauges();
    Gauges g;
    g.http_in_flight = in_flight_.load();
    const Degraded why = degraded();
    g.rundeck_auth_failing = g.degraded_rundeck_auth = !why.dispatch.empty();
    g.degraded_delivery_store = !why.store.empty();
    g.degraded_clock_ahead = !why.clock.empty();
    g.webhook_handlers_built = Runtime::handlers_built();
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            metrics_.render(g) + render_outbox_metrics(outbox) + (recorder_ ? recorder_->render_metrics() : "")};
  }
  if (auto token = webhook_token(req.path)) {
    if (req.method != "POST") return json_error(405, "Method not allowed");
    return deliver(req, *token);
  }
  return json_error(404, "Not found");
}

// Everything known about a delivery being answered: logged once when it is answered, and stored
// (when the delivery store is on) unless the commit of its jobs stored it already.
struct Service::Delivery {
  Delivery(const HttpRequest &r, std::shared_ptr<const Runtime> runtime) : req(r), rt(std::move(runtime)) {}
  const HttpRequest &req;
  std::shared_ptr<const Runtime> rt;
  const Webhook *hook = nullptr;
  std::string id;          // X-Webhook-Id, or a random one
  bool keep = false;       // the delivery store is on: a record is kept
  DeliveryRecord record;
  Processed processed;     // what the pipeline made of it (verdict -1: not reached)
  bool recorded = false;   // the record went with its jobs (or nowhere, when their commit failed)
};

HttpResponse Service::deliver(const HttpRequest &req, std::string_view token) {
  Delivery d(req, runtime_.get());
  d.hook = d.rt->find(token);
  const DeliveryStoreSettings &store = d.rt->config().console.deliveries;
  d.keep = recorder_ && d.rt->config().console.enabled && store.enabled && recorder_->accepting();
  if (d.keep && !d.hook && !unknown_token_records_.take(now_ms())) {
    d.keep = false;
    metrics_.delivery_not_recorded();
  }
  const std::optional<std::string_view> webhook_id = req.header("X-Webhook-Id");
  d.id = webhook_id && !webhook_id->empty() ? std::string(*webhook_id) : random_uuid();
  if (d.keep) d.record = record_of(req, d.hook ? &d.hook->config : nullptr, d.id, store.max_body_bytes);
  if (std::optional<HttpResponse> refused = refusal(d)) return answer(d, std::move(*refused));
  return answer(d, process(d));
}

// Why the delivery is refused before the plugin sees it; nullopt: it is not.
std::optional<HttpResponse> Service::refusal(const Delivery &d) const {
  if (!d.hook) return json_error(400, "Webhook not found");
  const WebhookConfig &cfg = d.hook->config;
  if (!cfg.enabled) return json_error(404, "Webhook not enabled");
  if (cfg.use_auth) {
    // As Rundeck: the sha256 hex of the raw Authorization header value equals the stored hash.
    const auto auth = d.req.header("Authorization");
    if (!auth || !constant_time_equal(sha256_hex(*auth), d.hook->authorization_sha256))
      return json_error(400, "Failed webhook authorization");
  }
  if (d.req.body_too_large) return json_error(413, "Request body too large");
  return std::nullopt;
}

HttpResponse Service::process(Delivery &d) {
  const WebhookConfig &cfg = d.hook->config;
  const HttpRequest &req = d.req;
  // With the store on, the plugin explains why each rule fired or not: the store keeps it.
  Intake in{cfg, *d.hook->handler, d.hook->keys.get(),
            plugin_request(cfg, req.headers, req.body, d.id, req.sender, req.received_unix_ms, d.keep),
            {0, d.rt->config().max_event_age_s * 1000, ""}, d.keep ? &d.record : nullptr, Commit::with_jobs};
  d.processed = pipeline_.process(in);
  const Processed &p = d.processed;
  d.recorded = d.keep && !p.jobs.empty();
  if (p.failure == Processed::Failure::plugin) {
    // 500, and PagerDuty retries later.
    log::error("plugin call failed", {{"webhook", cfg.name}, {"delivery", d.id}, {"error", p.error}});
    return json_error(500, "Internal error");
  }
  if (p.failure == Processed::Failure::store) {
    // Not stored, so not acknowledged: 503 makes PagerDuty deliver it again later.
    log::error("outbox commit failed", {{"webhook", cfg.name}, {"delivery", d.id}, {"error", p.error}});
    return json_error(503, "Cannot store the jobs now, retry later");
  }
  if (p.too_old) log::warn("event older than maxEventAge: its jobs are not run (stored as skipped)",
                           {{"webhook", cfg.name}, {"delivery", d.id}, {"jobs", p.too_old}});
  if (p.stored) watch_clock(d);
  return p.answer;
}

// Each event's apparent age on arrival (its jobs share it), for the clock's watch.
void Service::watch_clock(const Delivery &d) {
  const Processed &p = d.processed;
  const int64_t max_age_ms = d.rt->config().max_event_age_s * 1000;
  int64_t last_event = -1;
  for (const NewJob &j : p.jobs) {
    if (j.event_time_ms <= 0 || static_cast<int64_t>(j.event_index) == last_event) continue;
    last_event = j.event_index;
    if (skew_.note(p.judged_at_ms - j.event_time_ms, j.skip, max_age_ms))
      log::error("this gateway's clock looks ahead of PagerDuty's: events are skipped as too old",
                 {{"webhook", d.hook->config.name}, {"delivery", d.id}, {"reason", skew_.degraded_reason()}});
  }
}

Service::Degraded Service::degraded() const {
  return {degraded_(), recorder_ ? recorder_->refusing() : std::string(), skew_.degraded_reason()};
}

std::string Service::degraded_reason() const {
  std::string why;
  const Degraded d = degraded();
  for (const std::string *part : {&d.dispatch, &d.store, &d.clock})
    if (!part->empty()) why += (why.empty() ? "" : "; ") + *part;
  return why;
}

// Counts and logs the answer, and hands a record not stored with jobs to the recorder.
HttpResponse Service::answer(Delivery &d, HttpResponse r) {
  const std::string &name = d.hook ? d.hook->config.name : std::string();
  const Processed &p = d.processed;
  metrics_.delivery(name, r.status);
  const log::Level level = r.status >= 500 ? log::Level::error : r.status >= 400 ? log::Level::warn : log::Level::info;
  if (d.hook)
    log::write(level, "delivery", {{"webhook", name}, {"project", d.hook->config.project}, {"delivery", d.id},
                                   {"sender", d.req.sender}, {"status", r.status}, {"verdict", verdict_name(p.verdict)},
                                   {"jobs", p.job_count}, {"queued", p.enqueued.inserted},
                                   {"duplicates", p.enqueued.duplicates},
                                   {"ms", now_ms() - d.req.received_unix_ms}});
  // Never log the token or the path (which holds it): the webhook's name identifies it.
  else log::warn("delivery for an unknown webhook token", {{"sender", d.req.sender}, {"status", r.status}});
  if (d.keep && !d.recorded) { // no job: written in the background
    d.record.verdict = verdict_name(p.verdict);
    // Refused for its signature: the signature is kept apart (never shown), to verify it again
    // once the operator fixes the secret (PagerDuty does not retry a 4xx).
    if (d.hook && is_signature_refusal(d.record.verdict))
      d.record.signature_headers_json = signature_headers_json(d.req.headers);
    record_answer(d.record, r);
    recorder_->add(std::move(d.record));
  }
  return r;
}

} // namespace rdwh::gateway
