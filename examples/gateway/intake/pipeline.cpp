#include "intake/pipeline.hpp"

#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/json.hpp"
#include "rundeck/run_request.hpp"

#include <chrono>
#include <optional>

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

namespace rdwh::gateway {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_signature_failure(int64_t v) {
  return v == RDWH_VERDICT_SIGNATURE_MISSING || v == RDWH_VERDICT_SIGNATURE_INVALID;
}

// A record the pipeline stores: what the plugin answered and the jobs it asked for. Its outcome
// is the enqueue's when it has jobs.
void describe(DeliveryRecord &d, const Processed &p) {
  d.status = p.answer.status;
  d.verdict = verdict_name(p.verdict);
  d.outcome = p.answer.status >= 400 ? outcome::refused : outcome::nothing;
  d.error.clear();
  d.job_count = static_cast<int64_t>(p.jobs.size());
  d.jobs_json = utf8_clean(jobs_json(p.jobs));
}

} // namespace

Processed IntakePipeline::process(const Intake &in) const {
  Processed out;
  std::optional<host::Result> result;
  try {
    result.emplace(in.handler.handle(in.request));
  } catch (const host::HostError &e) {
    // The call itself failed (out of memory, a plugin bug): nothing is stored.
    out.failure = Processed::Failure::plugin;
    out.error = e.what();
    return out;
  }
  const int64_t now = in.options.now_ms ? in.options.now_ms : now_ms();
  JobOptions options = in.options;
  options.now_ms = now;
  out.judged_at_ms = now;
  judge(in, **result, out);
  if (out.verdict == RDWH_VERDICT_ACCEPTED)
    out.jobs = jobs_of(**result, in.webhook, in.request.delivery_id, options, out.too_old, in.keys);
  const bool record_is_ours = in.commit != Commit::with_jobs || !out.jobs.empty();
  if (in.record && record_is_ours) describe(*in.record, out);
  if (in.commit == Commit::none || !record_is_ours) return out;
  if (in.commit == Commit::verified && is_signature_failure(out.verdict)) return out; // still refused
  // The event's age is judged on this gateway's clock (PagerDuty's occurred_at is wall-clock
  // time); the jobs are stored on the outbox's (the database's, when it has its own).
  commit(in, in.options.now_ms ? in.options.now_ms : outbox_.clock_ms(), out);
  return out;
}

// The plugin's verdict and answer; with a record, its explanation. The answer (returnProcessingInfo
// shows the jobs' options) and the explanation hide what key storage gave the handler.
void IntakePipeline::judge(const Intake &in, const rdwh_result_t &r, Processed &out) const {
  out.verdict = r.verdict;
  out.job_count = r.job_count;
  out.answer.status = r.http_status;
  out.answer.content_type = r.content_type.size ? std::string(host::view(r.content_type)) : "application/json";
  out.answer.body = in.keys ? in.keys->mark_json(host::view(r.body)) : std::string(host::view(r.body));
  if (in.record)
    in.record->evaluation =
        utf8_clean(in.keys ? in.keys->mark_json(host::view(r.evaluation)) : std::string(host::view(r.evaluation)));
  if (metrics_ && is_signature_failure(r.verdict)) metrics_->signature_failure(in.webhook.name);
}

// The jobs, with the record when it is the pipeline's, in one transaction; then the counters and
// the dispatcher's wake-up.
void IntakePipeline::commit(const Intake &in, int64_t now, Processed &out) const {
  try {
    out.enqueued = outbox_.enqueue(out.jobs, now, in.record);
  } catch (const OutboxError &e) {
    out.failure = Processed::Failure::store;
    out.error = e.what();
    return;
  }
  out.stored = true;
  const EnqueueResult &s = out.enqueued;
  const std::string &name = in.webhook.name;
  if (metrics_ && s.skipped) metrics_->jobs_skipped(name, s.skipped);
  if (const uint64_t queued = s.inserted - s.skipped) {
    if (metrics_) metrics_->jobs_queued(name, queued);
    if (jobs_added_) jobs_added_();
  }
  if (metrics_ && s.duplicates) metrics_->jobs_duplicate(name, s.duplicates);
}

host::Handler::Request plugin_request(const WebhookConfig &webhook,
                                      const std::vector<std::pair<std::string, std::string>> &headers,
                                      std::string body, std::string_view delivery_id, std::string_view sender,
                                      int64_t received_ms, bool explain) {
  host::Handler::Request in;
  for (const auto &h : headers)
    if (!header_name_equals(h.first, "Authorization")) in.headers.push_back(h);
  in.body = std::move(body);
  in.delivery_id = delivery_id;
  in.webhook_name = webhook.name;
  in.project = webhook.project;
  in.sender = sender;
  in.received_unix_ms = received_ms;
  in.explain = explain;
  return in;
}

std::string run_request_json(const rdwh_job_t &job, const ServedKeys *keys) {
  RunRequest r;
  r.options.reserve(job.option_count);
  for (size_t i = 0; i < job.option_count; ++i)
    r.options.emplace_back(host::view(job.options[i].name), host::view(job.options[i].value));
  r.filter = host::view(job.filter);
  r.as_user = host::view(job.as_user);
  std::string body = stored_run_body(r, keys);
  for (auto &[name, value] : r.options) wipe(name), wipe(value);
  wipe(r.filter), wipe(r.as_user);
  return body;
}

std::vector<NewJob> jobs_of(const rdwh_result_t &r, const WebhookConfig &cfg, std::string_view delivery_id,
                            const JobOptions &o, uint64_t &too_old, const ServedKeys *keys) {
  std::vector<NewJob> jobs;
  jobs.reserve(r.job_count);
  too_old = 0;
  for (size_t i = 0; i < r.job_count; ++i) {
    const rdwh_job_t &j = *r.jobs[i];
    NewJob n;
    n.webhook_key = cfg.key();
    n.webhook_name = cfg.name;
    n.project = cfg.project;
    n.rule = host::view(j.rule);
    n.event_id = host::view(j.event_id);
    n.job_id = host::view(j.job_id);
    n.request_json = run_request_json(j, keys);
    n.event_index = j.event_index;
    n.rule_index = j.rule_index;
    std::string_view event_key;
    if (RDWH_HAS_FIELD(&j, rdwh_job_t, event_time_unix_ms)) { // ABI 1.1
      event_key = host::view(j.event_key);
      n.rule_key = host::view(j.rule_key);
      n.resource_id = host::view(j.resource_id);
      n.event_time_ms = j.event_time_unix_ms;
    }
    if (n.rule_key.empty()) n.rule_key = "index:" + std::to_string(j.rule_index); // a plugin before ABI 1.1
    n.delivery_key = o.identity_prefix + (event_key.empty() ? "delivery:" + std::string(delivery_id) + "#" +
                                                                  std::to_string(j.event_index)
                                                            : "event:" + std::string(event_key));
    if (o.max_event_age_ms > 0 && n.event_time_ms > 0 && o.now_ms - n.event_time_ms > o.max_event_age_ms) {
      n.skip = true;
      n.reason = "the event happened " + std::to_string((o.now_ms - n.event_time_ms) / 60000) +
                 " minutes ago, more than maxEventAge (" + std::to_string(o.max_event_age_ms / 60000) +
                 " minutes): a replay or a very late redelivery; not run";
      ++too_old;
    }
    jobs.push_back(std::move(n));
  }
  return jobs;
}

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

bool is_signature_refusal(std::string_view verdict) {
  return verdict == verdict_name(RDWH_VERDICT_SIGNATURE_MISSING) || verdict == verdict_name(RDWH_VERDICT_SIGNATURE_INVALID);
}

std::string signature_headers_json(const std::vector<std::pair<std::string, std::string>> &headers) {
  constexpr size_t kSignatureBytes = 4096;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  bool any = false;
  for (const auto &[name, value] : headers) {
    if (lower(name).find("signature") == std::string::npos) continue;
    any = true;
    w.StartArray();
    write_str(w, utf8_clean(name));
    write_str(w, utf8_clean(value));
    w.EndArray();
  }
  w.EndArray();
  if (!any || buf.GetSize() > kSignatureBytes) return "";
  return std::string(buf.GetString(), buf.GetSize());
}

bool is_secret_header(std::string_view name) {
  const std::string n = lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "set-cookie" ||
         n.find("signature") != std::string::npos || n.find("token") != std::string::npos ||
         n.find("secret") != std::string::npos || n.find("api-key") != std::string::npos ||
         n.find("apikey") != std::string::npos || n.find("password") != std::string::npos;
}

namespace {

// What a record keeps of the request line and headers, whoever sent it: a sender controls them.
constexpr size_t kDeliveryIdBytes = 200, kHeaderNameBytes = 64, kHeaderValueBytes = 256, kHeadersBytes = 2048;
// A refused delivery's record (4xx, unknown tokens), all texts and the row included.
constexpr size_t kRefusedRecordBytes = 4096, kRefusedErrorBytes = 512, kRefusedEvaluationBytes = 1024;
// One refused for its signature by a known webhook (its token was right): room for a PagerDuty
// body (V3's are 1 to 3 KiB) to be kept whole, so it can be verified again once the secret is fixed.
constexpr size_t kSignatureRefusedRecordBytes = 16384;

// [[name, value], ...] within kHeadersBytes: secrets redacted, long names and values cut, and the
// headers beyond the budget counted in a last pair.
std::string headers_json_of(const std::vector<std::pair<std::string, std::string>> &headers) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  size_t left_out = 0;
  for (const auto &[name, value] : headers) {
    const std::string n = clipped(name, kHeaderNameBytes);
    const std::string v = is_secret_header(name) ? std::string("(redacted)") : clipped(value, kHeaderValueBytes);
    if (buf.GetSize() + n.size() + v.size() + 64 > kHeadersBytes) {
      ++left_out;
      continue;
    }
    w.StartArray();
    write_str(w, n);
    write_str(w, v);
    w.EndArray();
  }
  if (left_out) {
    w.StartArray();
    write_str(w, "(not kept)");
    write_str(w, std::to_string(left_out) + " more headers");
    w.EndArray();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

// A refused delivery's record within kRefusedRecordBytes (kSignatureRefusedRecordBytes for one
// that keeps its signature): anyone can send one as often as they like, so its error and
// explanation are capped and its body gets what is left.
void bound_refused(DeliveryRecord &d) {
  d.error = clipped(d.error, kRefusedErrorBytes);
  if (d.evaluation.size() > kRefusedEvaluationBytes) d.evaluation.clear(); // JSON: whole or nothing
  const size_t bound = d.signature_headers_json.empty() ? kRefusedRecordBytes : kSignatureRefusedRecordBytes;
  const int64_t room = static_cast<int64_t>(bound) - (stored_bytes(d) - static_cast<int64_t>(d.body.size()));
  const size_t keep = static_cast<size_t>(std::max<int64_t>(room, 0));
  if (d.body.size() <= keep) return;
  d.body = d.body_base64 ? d.body.substr(0, keep / 4 * 4) : clipped(d.body, keep);
  d.body_truncated = true;
}

} // namespace

DeliveryRecord record_of(const HttpRequest &req, const WebhookConfig *hook, std::string_view delivery_id,
                         size_t max_body) {
  DeliveryRecord d;
  d.received_ms = req.received_unix_ms;
  if (hook) {
    d.webhook_id = hook->id;
    d.webhook_name = hook->name;
    d.project = hook->project;
    d.webhook_key = hook->key();
  }
  d.delivery_id = clipped(delivery_id, kDeliveryIdBytes);
  d.sender = req.sender;
  d.headers_json = headers_json_of(req.headers);
  d.body_bytes = static_cast<int64_t>(req.body.size());
  // An unknown token's body is not kept: anyone can post one.
  const size_t keep = hook && !req.body_too_large ? std::min(req.body.size(), max_body) : 0;
  d.body_truncated = keep < req.body.size() || req.body_too_large;
  const std::string_view body(req.body.data(), keep);
  if (is_utf8_text(body)) {
    d.body.assign(body);
  } else {
    d.body = base64_encode(body);
    d.body_base64 = true;
  }
  // What it is, from the whole body (before the cut): the console finds it by incident and event.
  if (hook && !req.body_too_large) describe_event(d, req.body);
  return d;
}

void record_answer(DeliveryRecord &d, const HttpResponse &r) {
  d.status = r.status;
  if (r.status < 400) {
    if (d.outcome.empty()) d.outcome = outcome::nothing;
    return;
  }
  d.outcome = r.status >= 500 ? outcome::failed : outcome::refused;
  d.error = answer_error(r);
  if (r.status < 500) bound_refused(d);
}

std::string answer_error(const HttpResponse &r) {
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("err") && doc["err"].IsString())
    return utf8_clean(std::string_view(doc["err"].GetString(), doc["err"].GetStringLength()));
  return utf8_clean(r.body.substr(0, 1000));
}

std::string jobs_json(const std::vector<NewJob> &jobs) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const NewJob &j : jobs) {
    w.StartObject();
    w.Key("eventIndex"), w.Uint(j.event_index);
    w.Key("ruleIndex"), w.Uint(j.rule_index);
    w.Key("rule"), write_str(w, j.rule);
    w.Key("ruleKey"), write_str(w, j.rule_key);
    w.Key("deliveryKey"), write_str(w, j.delivery_key);
    w.Key("jobId"), write_str(w, j.job_id);
    w.Key("request"), w.RawValue(j.request_json.data(), j.request_json.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string stored_body(const DeliveryRecord &d) { return d.body_base64 ? base64_decode(d.body) : d.body; }

} // namespace rdwh::gateway
