#include "console/admin/deliveries.hpp"

#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/json.hpp"
#include "intake/pipeline.hpp"
#include "base/log.hpp"

#include <chrono>

namespace rdwh::gateway {

namespace {

// The config without its signature secret: replays run on stored bodies whose signature header
// was not kept (and was verified when they arrived).
std::optional<std::string> without_signature(std::string_view config_json) {
  rapidjson::Document doc;
  doc.Parse(config_json.data(), config_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  doc.RemoveMember("keyStoragePath");
  return to_json(doc);
}

// [[name, value], ...] (headers_json, signature_headers_json), the redacted ones left out.
void add_headers(std::string_view json, std::vector<std::pair<std::string, std::string>> &out, bool secrets) {
  rapidjson::Document headers;
  headers.Parse(json.data(), json.size());
  if (!headers.HasParseError() && headers.IsArray())
    for (const auto &h : headers.GetArray())
      if (h.IsArray() && h.Size() == 2 && h[0].IsString() && h[1].IsString() &&
          secrets == is_secret_header(h[0].GetString()))
        out.emplace_back(h[0].GetString(), h[1].GetString());
}

// The stored delivery as the plugin sees it again: its headers without the redacted ones (plus,
// to verify it again, the signature headers kept apart), its body.
host::Handler::Request replay_request(const DeliveryRecord &original, const WebhookConfig &cfg, int64_t received_ms,
                                      std::string_view signature_json = {}) {
  std::vector<std::pair<std::string, std::string>> kept;
  add_headers(original.headers_json, kept, false);
  add_headers(signature_json, kept, true);
  return plugin_request(cfg, kept, stored_body(original), original.delivery_id, original.sender, received_ms, true);
}

} // namespace

Outcome<Replay> DeliveryAdmin::replay(const DeliveryRecord &original, bool dry_run, bool run_again) {
  return run(original, std::nullopt, !dry_run, run_again);
}

Outcome<Replay> DeliveryAdmin::try_config(const DeliveryRecord &original, std::string_view config_json) {
  return run(original, config_json, false, false);
}

Outcome<Replay> DeliveryAdmin::run(const DeliveryRecord &original, std::optional<std::string_view> config_json,
                                   bool store, bool run_again) {
  if (original.verdict.empty() || is_signature_refusal(original.verdict))
    return refuse(Refusal::conflict,
                  "only deliveries the plugin accepted or judged can be replayed: this one was refused before "
                  "(" + (original.error.empty() ? original.verdict : original.error) + ")");
  if (original.body_truncated)
    return refuse(Refusal::conflict, "the body was not stored whole (" + std::to_string(original.body_bytes) +
                                         " bytes, over console.deliveries.maxBodyBytes): it cannot be replayed");
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  const Webhook *hook = rt->find_id(original.webhook_id);
  if (!hook)
    return refuse(Refusal::not_found, "the delivery's webhook is not served now (deleted, or its config is broken)");
  const WebhookConfig &cfg = hook->config;
  const std::optional<std::string> config = without_signature(config_json.value_or(cfg.config_json));
  if (!config) return refuse(Refusal::invalid, "config must be a JSON object", "config");
  MadeHandler handler;
  try {
    handler = rt->make_handler(cfg, *config);
  } catch (const PluginConfigError &e) {
    return refuse(Refusal::invalid, "Invalid plugin configuration: " + e.detail(), "config");
  } catch (const ConfigError &e) {
    return refuse(Refusal::invalid, e.what(), "config");
  }

  const int64_t now = now_ms();
  const JobOptions options{now, run_again ? 0 : rt->config().max_event_age_s * 1000,
                           run_again ? "replay:" + random_uuid() + ":" : ""};
  Outcome<Replay> out = record(original, cfg, handler, replay_request(original, cfg, now), options,
                               store ? Commit::always : Commit::none);
  if (out && out.value().stored) {
    const Replay &r = out.value();
    log::info("console: delivery replayed", {{"webhook", cfg.name}, {"replayOf", original.id}, {"delivery", r.record.id},
                                             {"queued", r.enqueued.inserted - r.enqueued.skipped},
                                             {"duplicates", r.enqueued.duplicates}, {"runAgain", run_again}});
  }
  return out;
}

namespace {

// Why `d` cannot be verified again, whatever the secret now; nullopt: it can be tried.
std::optional<Refused> not_reverifiable(const DeliveryRecord &d) {
  if (!is_signature_refusal(d.verdict) || d.replay_of)
    return refuse(Refusal::conflict, "only deliveries refused for their signature can be verified again: this one " +
                                         (d.replay_of ? std::string("is a replay")
                                                      : "was " + (d.verdict.empty() ? "not judged by the plugin"
                                                                                    : d.verdict)));
  if (d.body_truncated)
    return refuse(Refusal::conflict, "the body was not stored whole (" + std::to_string(d.body_bytes) +
                                         " bytes received): it cannot be verified again");
  return std::nullopt;
}

} // namespace

Outcome<Reverify> DeliveryAdmin::reverify(const DeliveryRecord &original) {
  if (std::optional<Refused> why = not_reverifiable(original)) return *why;
  Reverify out;
  std::string signature;
  try {
    out.earlier = outbox_.deliveries().verified_again(original.id);
    if (out.earlier) {
      out.verified = true;
      return out;
    }
    signature = outbox_.deliveries().kept_signature(original.id);
  } catch (const OutboxError &e) {
    return refuse(Refusal::unavailable, e.what());
  }
  const std::shared_ptr<const Runtime> rt = runtime_.get();
  const Webhook *hook = rt->find_id(original.webhook_id);
  if (!hook)
    return refuse(Refusal::not_found, "the delivery's webhook is not served now (deleted, or its config is broken)");
  const WebhookConfig &cfg = hook->config;
  // A handler made now: it reads the secret key storage holds now, even before a reload.
  MadeHandler handler;
  try {
    handler = rt->make_handler(cfg, cfg.config_json);
  } catch (const ConfigError &e) {
    return refuse(Refusal::invalid, e.what(), "config");
  }
  const int64_t now = now_ms();
  Outcome<Replay> r = record(original, cfg, handler, replay_request(original, cfg, original.received_ms, signature),
                             {now, rt->config().max_event_age_s * 1000, ""}, Commit::verified);
  if (!r) return r.refused();
  const DeliveryRecord &d = r.value().record;
  if (is_signature_refusal(d.verdict)) {
    out.refused = d.verdict + ": " + answer_error(r.value().answer) +
                  (signature.empty() ? " (no signature header was kept for this delivery)" : "");
    log::warn("console: delivery verified again, still refused",
              {{"webhook", cfg.name}, {"delivery", original.id}, {"verdict", d.verdict}});
    return out;
  }
  out.verified = true;
  out.replay = r.value();
  log::info("console: delivery verified again", {{"webhook", cfg.name}, {"verifiedOf", original.id},
                                                 {"delivery", d.id}, {"verdict", d.verdict},
                                                 {"queued", out.replay.enqueued.inserted - out.replay.enqueued.skipped},
                                                 {"duplicates", out.replay.enqueued.duplicates}});
  return out;
}

Outcome<Replay> DeliveryAdmin::record(const DeliveryRecord &original, const WebhookConfig &cfg,
                                      const MadeHandler &handler, host::Handler::Request request,
                                      const JobOptions &options, Commit commit) {
  Replay out;
  DeliveryRecord &d = out.record;
  d = original;
  d.id = 0;
  d.received_ms = options.now_ms;
  d.replay_of = original.id;
  d.signature_headers_json.clear();
  const Processed p = IntakePipeline(outbox_, jobs_added_)
                          .process({cfg, *handler.handler, handler.keys.get(), std::move(request), options, &d, commit});
  if (p.failure == Processed::Failure::plugin) return refuse(Refusal::failed, "the plugin failed: " + p.error);
  if (p.failure == Processed::Failure::store)
    return refuse(Refusal::unavailable, "cannot store the delivery: " + p.error);
  out.answer = p.answer;
  out.stored = p.stored;
  out.enqueued = p.enqueued;
  return out;
}

Outcome<OutboxJob> DeliveryAdmin::requeue(int64_t id, bool again) {
  const std::optional<OutboxJob> job = outbox_.find(id);
  if (!job) return refuse(Refusal::not_found, "Job " + std::to_string(id) + " not found in the outbox");
  if (job->status == "running" || (job->status == "done" && !again))
    return refuse(Refusal::conflict,
                  "Job " + std::to_string(id) + " is " + job->status +
                      (job->status == "done" ? ": it ran (execution " + job->execution_id +
                                                   "); requeue it with again=true to run it once more"
                                             : ": its gateway holds it"));
  // Its status as read: a job whose state changed meanwhile (say, it ran) is not taken.
  RequeueFilter f;
  f.ids = {id};
  f.status = job->status;
  std::vector<OutboxJob> done;
  try {
    done = outbox_.requeue(f, outbox_.clock_ms());
  } catch (const OutboxError &e) {
    return refuse(Refusal::unavailable, e.what());
  }
  if (done.empty()) return refuse(Refusal::conflict, "Job " + std::to_string(id) + " changed meanwhile; look again");
  log::info("console: job requeued", {{"job", id}, {"webhook", done[0].webhook_name}});
  if (jobs_added_) jobs_added_();
  return done[0];
}

namespace {

std::optional<Refused> bulk_size(size_t n, const char *what) {
  if (n == 0) return refuse(Refusal::invalid, std::string("no ") + what + " given");
  if (n > kBulkMax)
    return refuse(Refusal::invalid, std::string("at most ") + std::to_string(kBulkMax) + " " + what +
                                        " at once (" + std::to_string(n) + " given)");
  return std::nullopt;
}

} // namespace

Outcome<std::vector<DeliveryRecord>> DeliveryAdmin::select(DeliveryFilter filter) {
  filter.before_id = 0;
  filter.limit = kBulkMax + 1;
  std::vector<DeliveryRecord> list;
  try {
    list = outbox_.deliveries().list(filter);
  } catch (const OutboxError &e) {
    return refuse(Refusal::unavailable, e.what());
  }
  if (list.size() > kBulkMax)
    return refuse(Refusal::invalid, "More than " + std::to_string(kBulkMax) +
                                        " deliveries match: a bulk action takes at most " + std::to_string(kBulkMax) +
                                        ". Narrow the filter (webhook, outcome, from/to).");
  return list;
}

Outcome<std::vector<OutboxJob>> DeliveryAdmin::requeue_preview(const std::vector<int64_t> &delivery_ids, bool skipped) {
  try {
    std::vector<int64_t> ids;
    for (const OutboxJob &j : outbox_.delivery_jobs(delivery_ids)) ids.push_back(j.id);
    if (ids.empty()) return std::vector<OutboxJob>{};
    RequeueFilter f;
    f.ids = std::move(ids);
    f.skipped = skipped;
    f.dry_run = true;
    return outbox_.requeue(f, 0);
  } catch (const OutboxError &e) {
    return refuse(Refusal::unavailable, e.what());
  }
}

Outcome<std::vector<OutboxJob>> DeliveryAdmin::requeue_jobs(const std::vector<int64_t> &ids, bool skipped) {
  if (const std::optional<Refused> r = bulk_size(ids.size(), "jobs")) return *r;
  RequeueFilter f;
  f.ids = ids;
  f.skipped = skipped;
  std::vector<OutboxJob> done;
  try {
    done = outbox_.requeue(f, outbox_.clock_ms());
  } catch (const OutboxError &e) {
    return refuse(Refusal::unavailable, e.what());
  }
  log::info("console: jobs requeued", {{"asked", static_cast<int64_t>(ids.size())},
                                       {"requeued", static_cast<int64_t>(done.size())}});
  if (!done.empty() && jobs_added_) jobs_added_();
  return done;
}

Outcome<std::vector<BulkReplay>> DeliveryAdmin::replay_all(const std::vector<int64_t> &ids, bool dry_run,
                                                           bool run_again) {
  if (const std::optional<Refused> r = bulk_size(ids.size(), "deliveries")) return *r;
  std::vector<BulkReplay> out;
  out.reserve(ids.size());
  for (const int64_t id : ids) {
    std::optional<DeliveryRecord> original;
    try {
      original = outbox_.deliveries().get(id);
    } catch (const OutboxError &e) {
      out.push_back({id, std::nullopt, refuse(Refusal::unavailable, e.what())});
      continue;
    }
    if (!original) {
      out.push_back({id, std::nullopt, refuse(Refusal::not_found, "no longer in the delivery store")});
      continue;
    }
    Outcome<Replay> r = replay(*original, dry_run, run_again);
    out.push_back({id, std::move(original), std::move(r)});
  }
  return out;
}

} // namespace rdwh::gateway
