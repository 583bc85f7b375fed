// The console's JSON API (see docs/console.md):
//   Rundeck's webhook API        GET  /api/{v}/project/{p}/webhooks
//                                POST /api/{v}/project/{p}/webhook
//                                GET|POST|DELETE /api/{v}/project/{p}/webhook/{id}
//   rdwh's history of a webhook  GET  /api/{v}/project/{p}/webhook/{id}/history
//   Rundeck Enterprise's debug   GET  /api/{v}/enterprise/project/{p}/webhooks/{id}/debug-events[?max=N&outcome=&q=&from=&to=]
//   rdwh (beyond Rundeck)        GET  /api/{v}/rdwh/providers
//                                GET  /api/{v}/rdwh/project/{p}/jobs
//                                GET  /api/{v}/rdwh/project/{p}/deliveries[?webhook=&outcome=&ranNothing=&q=&from=&to=&before=&max=]
//                                GET  /api/{v}/rdwh/delivery/{id}
//                                POST /api/{v}/rdwh/delivery/{id}/replay   {"dryRun":bool,"runAgain":bool}
//                                POST /api/{v}/rdwh/delivery/{id}/try      {"config":{...}}
//                                POST /api/{v}/rdwh/job/{id}/requeue       {"again":bool}
// {id} of a webhook is its integer id or its uuid.
#include "console/api/api.hpp"

#include "base/json.hpp"
#include "base/text.hpp"
#include "console/admin/delivery_view.hpp"
#include "console/api/errors.hpp"
#include "console/api/evaluation.hpp"
#include "intake/pipeline.hpp"

#include <algorithm>

namespace rdwh::gateway {

namespace {

constexpr int kMinApiVersion = 33; // Rundeck's webhook API dates from v33
constexpr int kMaxApiVersion = 9999; // far above any Rundeck's; bounds the number parsed from the path
constexpr size_t kDefaultMax = 50, kMaxMax = 500;

int64_t int_arg(const HttpRequest &req, const char *name, int64_t fallback) {
  const auto v = req.arg(name);
  return v && is_digits(*v) ? std::stoll(std::string(*v)) : fallback;
}

bool true_arg(const HttpRequest &req, const char *name) {
  const auto v = req.arg(name);
  return v && (*v == "true" || *v == "1");
}

struct Call {
  Admin &ctx;
  const HttpRequest &req;
  int version;
  std::vector<std::string> seg; // after "/api/{v}"
  std::string who;              // what a webhook's history records for a change made by this call

  HttpResponse not_found() const {
    return rundeck_error(404, version, "api.error.invalid.request", "No such endpoint: " + req.method + " " + req.path);
  }
  HttpResponse bad_method() const {
    return rundeck_error(405, version, "api.error.invalid.request", "Method not allowed: " + req.method + " " + req.path);
  }
  // The request's JSON object body (an empty body reads as {}), or the answer saying why not.
  std::optional<HttpResponse> body(rapidjson::Document &doc) const {
    if (req.body.empty()) {
      doc.SetObject();
      return std::nullopt;
    }
    doc.Parse(req.body.data(), req.body.size());
    if (doc.HasParseError() || !doc.IsObject())
      return rundeck_error(400, version, "api.error.invalid.request", "The request body must be a JSON object");
    return std::nullopt;
  }
};

// Rundeck's GET representation of a webhook: {id, uuid, name, project, enabled, user, creator,
// roles, authToken, useAuth, regenAuth, eventPlugin, config}, and rdwh's followUp.
void write_webhook(JsonWriter &w, const StoredWebhook &h) {
  w.StartObject();
  w.Key("id"), w.Int64(h.id);
  w.Key("uuid"), write_str(w, h.uuid);
  w.Key("name"), write_str(w, h.name);
  w.Key("project"), write_str(w, h.project);
  w.Key("enabled"), w.Bool(h.enabled);
  w.Key("user"), write_str(w, h.user);
  w.Key("creator"), write_str(w, h.creator);
  w.Key("roles"), write_str(w, h.roles);
  w.Key("authToken"), write_str(w, h.auth_token);
  w.Key("useAuth"), w.Bool(h.use_auth);
  w.Key("regenAuth"), w.Bool(false);
  w.Key("eventPlugin"), write_str(w, h.event_plugin);
  w.Key("config"), w.RawValue(h.config_json.data(), h.config_json.size(), rapidjson::kObjectType);
  w.Key("followUp"), write_follow_up(w, h.follow_up);
  w.EndObject();
}

// A save as Rundeck answers it: {"msg":"Saved webhook","uuid":...,"generatedSecurityString"?}, and
// "warnings" when there are any: the plugin's and lint's, then the preflight's against Rundeck.
HttpResponse saved_answer(WebhookAdmin &admin, const Outcome<SavedWebhook> &r) {
  if (!r) return webhook_error(r.refused());
  std::vector<ConfigFinding> warnings = r->warnings;
  if (const auto stored = admin.find("", std::to_string(r->id))) {
    std::vector<ConfigFinding> more = admin.preflight(*stored);
    warnings.insert(warnings.end(), more.begin(), more.end());
  }
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartObject();
    w.Key("msg"), w.String("Saved webhook");
    w.Key("uuid"), write_str(w, r->uuid);
    if (!r->generated_secret.empty()) w.Key("generatedSecurityString"), write_str(w, r->generated_secret);
    if (!warnings.empty()) { // rdwh's: what --check does not refuse, and what Rundeck says of the rules
      w.Key("warnings");
      w.StartArray();
      for (const ConfigFinding &f : warnings) {
        w.StartObject();
        w.Key("field"), write_str(w, f.field);
        w.Key("message"), write_str(w, f.text());
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }));
}

HttpResponse deleted_answer(const Outcome<Done> &r, const StoredWebhook &hook) {
  if (!r) return webhook_error(r.refused());
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartObject();
    w.Key("msg"), write_str(w, "Deleted " + hook.name + " webhook");
    w.EndObject();
  }));
}

// ------------------------------------------------------------------------ Rundeck's webhook API

// Rundeck's save updates the webhook whose "id" the body gives (an integer, or its digits as a
// string); `id` is "" when the body gives none.
std::optional<HttpResponse> body_id(const rapidjson::Value &doc, std::string &id) {
  auto it = doc.FindMember("id");
  if (it == doc.MemberEnd() || it->value.IsNull()) return std::nullopt;
  if (it->value.IsInt64() && it->value.GetInt64() > 0) id = std::to_string(it->value.GetInt64());
  else if (it->value.IsString() && is_digits(it->value.GetString())) id = it->value.GetString();
  else return webhook_error(400, "id must be the webhook's integer id", {{"id", "not an integer id"}});
  return std::nullopt;
}

// An update's body names the webhook it updates, if at all, as the path does: its id and uuid.
std::optional<HttpResponse> same_webhook(const StoredWebhook &hook, const rapidjson::Value &doc,
                                         const std::string &in_body) {
  if (!in_body.empty() && in_body != std::to_string(hook.id))
    return webhook_error(400, "the body's id " + in_body + " is not the webhook's (" + std::to_string(hook.id) + ")",
                         {{"id", "not this webhook's id"}});
  if (const auto uuid = string_member(doc, "uuid"); uuid && !uuid->empty() && *uuid != hook.uuid)
    return webhook_error(400, "the body's uuid '" + *uuid + "' is not webhook " + std::to_string(hook.id) + "'s",
                         {{"uuid", "not this webhook's uuid"}});
  return std::nullopt;
}

// GET .../webhook/{id}/history: the kept versions, newest first, each the webhook as the history
// keeps it (no token, no Authorization hash).
HttpResponse webhook_history(Call &c) {
  if (c.req.method != "GET") return c.bad_method();
  const std::optional<StoredWebhook> hook = c.ctx.webhooks.find(c.seg[1], c.seg[3]);
  if (!hook) return webhook_error(404, "Webhook not found");
  const std::vector<WebhookVersion> versions = c.ctx.webhooks.history(*hook);
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartArray();
    for (const WebhookVersion &v : versions) {
      rapidjson::Document kept;
      kept.Parse(v.webhook_json.data(), v.webhook_json.size());
      if (kept.HasParseError()) kept.SetObject();
      w.StartObject();
      w.Key("version"), w.Int64(v.version);
      w.Key("time"), write_str(w, iso_time(v.at_ms));
      w.Key("who"), write_str(w, v.who);
      w.Key("action"), write_str(w, v.action);
      w.Key("webhook"), kept.Accept(w);
      w.EndObject();
    }
    w.EndArray();
  }));
}

HttpResponse webhook_api(Call &c) {
  const std::string &project = c.seg[1];
  WebhookAdmin &admin = c.ctx.webhooks;
  if (c.seg.size() == 3 && c.seg[2] == "webhooks") {
    if (c.req.method != "GET") return c.bad_method();
    const std::vector<StoredWebhook> hooks = admin.list(project);
    return json_ok(json_text([&](JsonWriter &w) {
      w.StartArray();
      for (const StoredWebhook &h : hooks) write_webhook(w, h);
      w.EndArray();
    }));
  }
  if (c.seg.size() == 5 && c.seg[2] == "webhook" && c.seg[4] == "history") return webhook_history(c);
  if (c.seg[2] != "webhook" || c.seg.size() > 4) return c.not_found();
  // Create and update: Rundeck's save wants the project in the body too.
  rapidjson::Document doc;
  if (c.req.method == "POST") {
    if (auto bad = c.body(doc)) return *bad;
    const auto body_project = string_member(doc, "project");
    if (!body_project || body_project->empty())
      return rundeck_error(400, c.version, "api.error.parameter.required", "The parameter \"project\" is required");
    if (*body_project != project)
      return webhook_error(400, "the body's project '" + *body_project + "' is not the path's '" + project + "'");
  }
  std::string in_body;
  if (c.req.method == "POST")
    if (auto bad = body_id(doc, in_body)) return *bad;
  if (c.seg.size() == 3) {
    if (c.req.method != "POST") return c.bad_method();
    if (in_body.empty()) return saved_answer(admin, admin.create(project, doc, "console", c.who));
  }
  const std::optional<StoredWebhook> hook = admin.find(project, c.seg.size() == 3 ? in_body : c.seg[3]);
  if (c.req.method == "GET") {
    if (!hook) return webhook_error(404, "Webhook not found");
    return json_ok(json_text([&](JsonWriter &w) { write_webhook(w, *hook); }));
  }
  if (c.req.method == "POST") {
    if (!hook) return webhook_error(404, "Webhook not found");
    if (auto bad = same_webhook(*hook, doc, in_body)) return *bad;
    return saved_answer(admin, admin.update(*hook, doc, c.who));
  }
  if (c.req.method == "DELETE") {
    if (!hook) return webhook_error(404, "Webhook not found");
    return deleted_answer(admin.remove(*hook, c.who), *hook);
  }
  return c.bad_method();
}

// --------------------------------------------------------------------- Rundeck's debug API

HttpResponse debug_events(Call &c) {
  if (c.req.method != "GET") return c.bad_method();
  const std::optional<StoredWebhook> hook = c.ctx.webhooks.find(c.seg[2], c.seg[4]);
  if (!hook) return webhook_error(404, "Webhook not found");
  DeliveryFilter f;
  f.webhook_id = hook->id;
  // Beyond Rundeck's max: the console's search (outcome, q, from, to); the answer keeps Rundeck's shape.
  if (const std::string error = read_delivery_search([&](std::string_view n) { return c.req.arg(n); }, f);
      !error.empty())
    return rundeck_error(400, c.version, "api.error.invalid.request", error);
  f.limit = static_cast<size_t>(std::clamp<int64_t>(int_arg(c.req, "max", kDefaultMax), 1, kMaxMax));
  const std::vector<DeliveryRecord> records = c.ctx.outbox.deliveries().list_full(f);
  rapidjson::Document config;
  config.Parse(hook->config_json.data(), hook->config_json.size());
  if (config.HasParseError()) config.SetObject();
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartArray();
    for (const DeliveryRecord &r : records)
      write_webhook_evaluation(w, explain_delivery(r, c.ctx.outbox), config, hook->event_plugin);
    w.EndArray();
  }));
}

// ------------------------------------------------------------------------------- rdwh extras

void write_summary(JsonWriter &w, const DeliveryRecord &r) {
  w.Key("id"), w.Int64(r.id);
  w.Key("time"), write_str(w, iso_time(r.received_ms));
  w.Key("webhookId"), w.Int64(r.webhook_id);
  w.Key("webhook"), write_str(w, r.webhook_name);
  w.Key("project"), write_str(w, r.project);
  w.Key("deliveryId"), write_str(w, r.delivery_id);
  w.Key("sender"), write_str(w, r.sender);
  w.Key("status"), w.Int64(r.status);
  w.Key("verdict"), write_str(w, r.verdict);
  w.Key("outcome"), write_str(w, r.state);
  w.Key("intakeOutcome"), write_str(w, r.outcome);
  w.Key("jobStates");
  write_job_states(w, r.job_states);
  w.Key("error"), write_str(w, r.error);
  w.Key("jobCount"), w.Int64(r.job_count);
  w.Key("bodyBytes"), w.Int64(r.body_bytes);
  w.Key("replayOf"), w.Int64(r.replay_of);
  w.Key("eventType"), write_str(w, r.event_type);
  w.Key("eventId"), write_str(w, r.event_id);
  w.Key("incidentId"), write_str(w, r.incident_id);
  w.Key("incidentTitle"), write_str(w, r.incident_title);
  w.Key("incidentNumber"), w.Int64(r.incident_number);
}

void write_jobs(JsonWriter &w, const DeliveryView &d) {
  w.StartArray();
  for (const JobView &j : d.jobs) {
    w.StartObject();
    w.Key("rule"), write_str(w, j.rule);
    w.Key("jobId"), write_str(w, j.job_id);
    w.Key("options");
    w.StartObject();
    for (const auto &[k, v] : j.options) write_str(w, k), write_str(w, v);
    w.EndObject();
    if (!j.filter.empty()) w.Key("filter"), write_str(w, j.filter);
    if (!j.as_user.empty()) w.Key("asUser"), write_str(w, j.as_user);
    w.Key("deliveryKey"), write_str(w, j.delivery_key);
    w.Key("ruleKey"), write_str(w, j.rule_key);
    w.Key("jobRunStatus"), w.String(j.run_status());
    w.Key("outbox");
    if (!j.state) {
      w.Null();
    } else {
      const OutboxJob &s = *j.state;
      w.StartObject();
      w.Key("id"), w.Int64(s.id);
      w.Key("status"), write_str(w, s.status);
      w.Key("uncertain"), w.Bool(s.uncertain);
      w.Key("attempts"), w.Int64(s.attempts);
      w.Key("executionId"), write_str(w, s.execution_id);
      w.Key("httpStatus"), w.Int64(s.http_status);
      w.Key("reason"), write_str(w, s.reason);
      w.Key("executionStatus"), write_str(w, s.execution_status);
      w.Key("permalink"), write_str(w, s.permalink);
      w.Key("dateEnded"), w.Int64(s.execution_ended_ms);
      w.Key("durationMs"), w.Int64(s.execution_duration_ms);
      w.Key("executionReason"), write_str(w, s.execution_reason);
      w.Key("noteStatus"), write_str(w, j.note ? j.note->status : "");
      w.Key("noteReason"), write_str(w, j.note ? j.note->reason : "");
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

// "evaluation" (the plugin's explanation, null when none) and "jobs", as a delivery shows them.
void write_evaluation_and_jobs(JsonWriter &w, const DeliveryView &d) {
  w.Key("evaluation");
  if (d.record.evaluation.empty()) w.Null();
  else w.RawValue(d.record.evaluation.data(), d.record.evaluation.size(), rapidjson::kArrayType);
  w.Key("jobs");
  write_jobs(w, d);
}

void write_delivery(JsonWriter &w, const DeliveryView &d) {
  w.StartObject();
  write_summary(w, d.record);
  w.Key("headers");
  w.StartArray();
  for (const auto &[n, v] : d.headers) {
    w.StartArray();
    write_str(w, n);
    write_str(w, v);
    w.EndArray();
  }
  w.EndArray();
  w.Key("body"), write_str(w, utf8_clean(d.body));
  w.Key("bodyTruncated"), w.Bool(d.record.body_truncated);
  write_evaluation_and_jobs(w, d);
  w.EndObject();
}

HttpResponse providers(Call &c) {
  if (c.req.method != "GET") return c.bad_method();
  const std::vector<ProviderChoice> list = provider_choices(*c.ctx.runtime.get());
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartArray();
    for (const ProviderChoice &p : list) {
      w.StartObject();
      w.Key("name"), write_str(w, p.name);
      w.Key("title"), write_str(w, p.title);
      w.Key("description"), write_str(w, p.description);
      w.Key("sampleAction");
      if (p.sample_action.empty()) w.Null();
      else w.RawValue(p.sample_action.data(), p.sample_action.size(), rapidjson::kObjectType);
      w.Key("fields");
      w.StartArray();
      for (const auto &f : p.fields) {
        w.StartObject();
        w.Key("path"), write_str(w, f.path);
        w.Key("title"), write_str(w, f.title);
        w.Key("example"), write_str(w, f.example);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }));
}

HttpResponse project_jobs(Call &c) {
  if (c.req.method != "GET") return c.bad_method();
  const JobsOutcome jobs = project_jobs(*c.ctx.runtime.get(), c.seg[2]);
  if (!jobs.ok)
    return rundeck_error(502, c.version, "api.error.rundeck.unavailable", "Rundeck's job list: " + jobs.reason);
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartArray();
    for (const JobSummary &j : jobs.jobs) {
      w.StartObject();
      w.Key("id"), write_str(w, j.id);
      w.Key("name"), write_str(w, j.name);
      w.Key("group"), write_str(w, j.group);
      w.Key("project"), write_str(w, c.seg[2]);
      w.Key("description"), write_str(w, j.description);
      w.EndObject();
    }
    w.EndArray();
  }));
}

HttpResponse deliveries(Call &c) {
  if (c.req.method != "GET") return c.bad_method();
  DeliveryFilter f;
  f.project = c.seg[2];
  if (const auto hook = c.req.arg("webhook"); hook && !hook->empty()) {
    const std::optional<StoredWebhook> w = c.ctx.webhooks.find(f.project, *hook);
    if (!w) return webhook_error(404, "Webhook not found");
    f.webhook_id = w->id;
    f.project = ""; // its deliveries from before its project changed too
  }
  if (const std::string error = read_delivery_search([&](std::string_view n) { return c.req.arg(n); }, f);
      !error.empty())
    return rundeck_error(400, c.version, "api.error.invalid.request", error);
  f.ran_nothing = true_arg(c.req, "ranNothing");
  f.before_id = int_arg(c.req, "before", 0);
  f.limit = static_cast<size_t>(std::clamp<int64_t>(int_arg(c.req, "max", kDefaultMax), 1, kMaxMax));
  const std::vector<DeliveryRecord> list = c.ctx.outbox.deliveries().list(f);
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartObject();
    w.Key("deliveries");
    w.StartArray();
    for (const DeliveryRecord &r : list) {
      w.StartObject();
      write_summary(w, r);
      w.EndObject();
    }
    w.EndArray();
    w.Key("next");
    if (list.size() == f.limit) w.Int64(list.back().id);
    else w.Null();
    w.EndObject();
  }));
}

void write_replay(JsonWriter &w, Admin &ctx, const Replay &r, bool dry_run) {
  const DeliveryView view = explain_delivery(r.record, ctx.outbox);
  w.StartObject();
  w.Key("dryRun"), w.Bool(dry_run);
  w.Key("delivery");
  if (r.stored) w.Int64(r.record.id);
  else w.Null();
  w.Key("status"), w.Int64(r.record.status);
  w.Key("verdict"), write_str(w, r.record.verdict);
  w.Key("queued"), w.Uint64(r.enqueued.inserted - r.enqueued.skipped);
  w.Key("duplicates"), w.Uint64(r.enqueued.duplicates);
  w.Key("skipped"), w.Uint64(r.enqueued.skipped);
  write_evaluation_and_jobs(w, view);
  w.EndObject();
}

HttpResponse delivery(Call &c) {
  if (!is_digits(c.seg[2])) return webhook_error(404, "Delivery not found");
  const std::optional<DeliveryRecord> record = c.ctx.outbox.deliveries().get(std::stoll(c.seg[2]));
  if (!record) return webhook_error(404, "Delivery not found");
  if (c.seg.size() == 3) {
    if (c.req.method != "GET") return c.bad_method();
    return json_ok(json_text([&](JsonWriter &w) { write_delivery(w, explain_delivery(*record, c.ctx.outbox)); }));
  }
  if (c.seg.size() != 4 || (c.seg[3] != "replay" && c.seg[3] != "try")) return c.not_found();
  if (c.req.method != "POST") return c.bad_method();
  rapidjson::Document doc;
  if (auto bad = c.body(doc)) return *bad;
  std::optional<Outcome<Replay>> r;
  bool dry_run = true;
  if (c.seg[3] == "replay") {
    dry_run = bool_member(doc, "dryRun").value_or(true); // a real replay must be asked for
    r.emplace(c.ctx.deliveries.replay(*record, dry_run, bool_member(doc, "runAgain").value_or(false)));
  } else {
    auto it = doc.FindMember("config");
    if (it == doc.MemberEnd() || !it->value.IsObject())
      return webhook_error(400, "the body must hold the config to try: {\"config\": {...}}");
    r.emplace(c.ctx.deliveries.try_config(*record, to_json(it->value)));
  }
  if (!*r) return webhook_error(r->refused());
  return json_ok(json_text([&](JsonWriter &w) { write_replay(w, c.ctx, r->value(), dry_run); }));
}

HttpResponse requeue(Call &c) {
  if (c.req.method != "POST") return c.bad_method();
  if (!is_digits(c.seg[2])) return webhook_error(404, "Job not found");
  rapidjson::Document doc;
  if (auto bad = c.body(doc)) return *bad;
  const Outcome<OutboxJob> job =
      c.ctx.deliveries.requeue(std::stoll(c.seg[2]), bool_member(doc, "again").value_or(false));
  if (!job) return webhook_error(job.refused());
  return json_ok(json_text([&](JsonWriter &w) {
    w.StartObject();
    w.Key("msg"), w.String("Requeued");
    w.Key("id"), w.Int64(job->id);
    w.Key("status"), write_str(w, job->status);
    w.EndObject();
  }));
}

HttpResponse rdwh_api(Call &c) {
  const auto &s = c.seg;
  if (s.size() == 2 && s[1] == "providers") return providers(c);
  if (s.size() == 4 && s[1] == "project" && !s[2].empty() && s[3] == "jobs") return project_jobs(c);
  if (s.size() == 4 && s[1] == "project" && !s[2].empty() && s[3] == "deliveries") return deliveries(c);
  if (s.size() >= 3 && s[1] == "delivery") return delivery(c);
  if (s.size() == 4 && s[1] == "job" && s[3] == "requeue") return requeue(c);
  return c.not_found();
}

} // namespace

HttpResponse handle_console_api(Admin &ctx, const HttpRequest &req, const ApiAuthorize &authorize, std::string who) {
  std::vector<std::string> seg = split_path(req.path); // "api", v, ...
  if (seg.size() < 3 || seg[0] != "api") return rundeck_error(404, kMinApiVersion, "api.error.invalid.request", "No such endpoint");
  const std::optional<int64_t> asked = parse_bounded(seg[1], kMaxApiVersion);
  if (!asked || *asked < kMinApiVersion)
    return rundeck_error(400, kMinApiVersion, "api.error.api-version.unsupported",
                         "Unsupported API Version \"" + seg[1].substr(0, 20) + "\". Minimum supported version: " +
                             std::to_string(kMinApiVersion) + ", maximum: " + std::to_string(kMaxApiVersion));
  const int version = static_cast<int>(*asked);
  if (auto denied = authorize(version)) return *denied;
  seg.erase(seg.begin(), seg.begin() + 2);
  Call c{ctx, req, version, std::move(seg), std::move(who)};
  try {
    const auto &s = c.seg;
    if (s.size() >= 3 && s[0] == "project" && !s[1].empty()) return webhook_api(c);
    if (s.size() == 6 && s[0] == "enterprise" && s[1] == "project" && s[3] == "webhooks" && s[5] == "debug-events")
      return debug_events(c);
    if (!s.empty() && s[0] == "rdwh") return rdwh_api(c);
    return c.not_found();
  } catch (const OutboxError &e) {
    return rundeck_error(503, version, "api.error.database.unavailable", e.what());
  }
}

} // namespace rdwh::gateway
