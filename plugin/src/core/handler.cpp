#include "core/handler.hpp"

#include "core/error.hpp"
#include "crypto/signature.hpp"
#include "json/text.hpp"

#include <fmt/format.h>


namespace rdwh {
namespace {

using providers::Shape;

std::string json_message(const char *key, std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key(key);
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string_view shape_name(Shape shape) {
  switch (shape) {
  case Shape::pagerduty_v3: return "a PagerDuty V3 webhook ({\"event\": {...}})";
  case Shape::pagerduty_v2: return "a PagerDuty V2 webhook ({\"messages\": [...]})";
  case Shape::any_json: return "JSON";
  }
  return "JSON";
}

// Whether the parsed body is what the provider expects; sets `why` when not.
bool has_shape(Shape shape, const json::Value &doc, std::string &why) {
  switch (shape) {
  case Shape::any_json: return true;
  case Shape::pagerduty_v3: {
    if (!doc.IsObject()) break;
    auto event = doc.FindMember("event");
    if (event == doc.MemberEnd()) { why = "no \"event\" member"; return false; }
    if (!event->value.IsObject()) { why = "\"event\" is not a map"; return false; }
    return true;
  }
  case Shape::pagerduty_v2: {
    if (!doc.IsObject()) break;
    auto messages = doc.FindMember("messages");
    if (messages == doc.MemberEnd()) { why = "no \"messages\" member"; return false; }
    if (!messages->value.IsArray()) { why = "\"messages\" is not a list"; return false; }
    return true;
  }
  }
  why = fmt::format("the body is a {}, not a map", json::type_name(doc));
  return false;
}

void write_jobs(rapidjson::Writer<rapidjson::StringBuffer> &w, const rules::Evaluation &evaluation) {
  auto str = [&](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartArray();
  for (const rules::Job &job : evaluation.jobs) {
    w.StartObject();
    w.Key("rule");
    str(job.rule->name);
    w.Key("jobId");
    str(evaluation.str(job.job_id));
    w.Key("options");
    w.StartObject();
    for (std::size_t i = 0; i < job.rule->options.size(); ++i) {
      str(job.rule->options[i].name);
      str(evaluation.option_value(job, i));
    }
    w.EndObject();
    if (job.filter.size) { w.Key("filter"); str(evaluation.str(job.filter)); }
    if (job.as_user.size) { w.Key("asUser"); str(evaluation.str(job.as_user)); }
    w.Key("eventId");
    str(evaluation.str(job.event_id));
    w.EndObject();
  }
  w.EndArray();
}

} // namespace

Handler::Handler(const providers::ProviderSpec &provider, std::string_view config, const Services &services)
    : provider_(provider), services_(services) {
  rules::CompileOptions options;
  if (provider.default_batch_key) options.default_batch_key = provider.default_batch_key;
  options.lookup_secret = [&services](std::string_view path) -> std::optional<std::string> {
    auto secret = services.secret(path);
    if (!secret) return std::nullopt;
    return std::string(secret->view());
  };
  config_ = rules::compile_config(config, options);
  for (const std::string &warning : config_.warnings) services_.log(LogLevel::warn, warning);
  if (provider.own_event_id) own_event_id_ = json::JsonPath::compile(provider.own_event_id);
  if (provider.resource_id) resource_id_ = json::JsonPath::compile(provider.resource_id);
  if (provider.event_time) event_time_ = json::JsonPath::compile(provider.event_time);

  if (provider.signature == providers::SignatureScheme::pagerduty_v3) {
    if (config_.key_storage_path.empty()) {
      services_.log(LogLevel::warn, fmt::format("{}: no keyStoragePath: deliveries are not authenticated by "
                                                "signature", provider.name));
    } else {
      auto stored = services_.secret(config_.key_storage_path);
      if (!stored)
        throw ConfigError("keyStoragePath", fmt::format("key storage has no key '{}'", config_.key_storage_path));
      for (const SecretBytes &secret : crypto::split_secrets(stored->view())) signing_keys_.emplace_back(secret.view());
      if (signing_keys_.empty())
        throw ConfigError("keyStoragePath", fmt::format("the key '{}' is empty", config_.key_storage_path));
    }
  } else if (!config_.key_storage_path.empty()) {
    services_.log(LogLevel::warn, fmt::format("{}: keyStoragePath is ignored: this provider's deliveries are not "
                                              "signed", provider.name));
  }
}

rules::EventPaths Handler::event_paths() const noexcept {
  auto ptr = [](const std::optional<json::JsonPath> &p) { return p ? &*p : nullptr; };
  return {ptr(own_event_id_), ptr(resource_id_), ptr(event_time_)};
}

Outcome Handler::reject(Verdict verdict, int status, std::string_view message) const {
  Outcome out;
  out.verdict = verdict;
  out.http_status = status;
  out.body = json_message("err", message);
  return out;
}

Outcome Handler::handle(const rules::Delivery &delivery, bool explain) const {
  const rules::Limits &limits = config_.limits;
  // Headers feed the signature check and templates (${webhook['Name']}): bound them first.
  if (delivery.headers.size() > limits.max_headers)
    return reject(Verdict::limit_exceeded, 431, fmt::format("{} headers exceed the limit of {} (limits.maxHeaders)",
                                                            delivery.headers.size(), limits.max_headers));
  std::size_t header_bytes = 0;
  for (const auto &[name, value] : delivery.headers) header_bytes += name.size() + value.size();
  if (header_bytes > limits.max_header_bytes)
    return reject(Verdict::limit_exceeded, 431,
                  fmt::format("headers of {} bytes exceed the limit of {} bytes (limits.maxHeaderBytes)", header_bytes,
                              limits.max_header_bytes));
  std::string_view body = delivery.body;
  if (body.size() > limits.max_body_bytes)
    return reject(Verdict::too_large, 413, fmt::format("request body of {} bytes exceeds the limit of {} bytes",
                                                       body.size(), limits.max_body_bytes));

  // The signature covers the raw bytes: check it before reading anything else of the body.
  if (!signing_keys_.empty()) {
    const std::vector<std::string_view> signatures = delivery.header_values("X-PagerDuty-Signature");
    if (body.empty()) return reject(Verdict::malformed, 400, "empty request body");
    switch (crypto::verify_pagerduty_signature(signatures, body, signing_keys_)) {
    case crypto::SignatureCheck::valid: break;
    case crypto::SignatureCheck::missing:
      return reject(Verdict::signature_missing, 400, "missing X-PagerDuty-Signature header");
    case crypto::SignatureCheck::malformed:
      return reject(Verdict::signature_missing, 400, "malformed X-PagerDuty-Signature header: no v1=<hex> signature");
    case crypto::SignatureCheck::mismatch:
      return reject(Verdict::signature_invalid, 403, "invalid signature: no X-PagerDuty-Signature entry matches the shared secret");
    }
  }

  std::string_view text = body;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (provider_.shape != Shape::any_json)
      return reject(Verdict::malformed, 400, fmt::format("empty request body: expected {}", shape_name(provider_.shape)));
    text = "{}"; // Rundeck reads an empty body as {}
  }
  rapidjson::Document doc;
  json::ParseLimits parse_limits;
  parse_limits.max_depth = limits.max_depth;
  if (auto failure = json::parse(text, doc, parse_limits); failure.failed) {
    if (failure.too_deep)
      return reject(Verdict::limit_exceeded, 400, failure.message + " (limits.maxDepth)");
    return reject(Verdict::malformed, 400, "Unable to parse posted JSON data: " + failure.message);
  }
  if (std::string why; !has_shape(provider_.shape, doc, why))
    return reject(Verdict::malformed, 400, fmt::format("not {}: {}", shape_name(provider_.shape), why));

  const bool want_evaluation = explain || config_.return_processing_info;
  auto log_debug_rule = [this](const std::string &line) { services_.log(LogLevel::info, line); };
  rules::Evaluation evaluation;
  try {
    evaluation = rules::evaluate(config_, doc, delivery, event_paths(), want_evaluation, log_debug_rule);
  } catch (const LimitError &e) {
    // A path selected too much or worked too long on this document: the sender's doing, so an
    // answer (400), not a failed call.
    return reject(Verdict::limit_exceeded, 400, fmt::format("{} (limits.maxPathResults, limits.maxPathWork)", e.what()));
  }
  if (evaluation.limit_exceeded) return reject(Verdict::limit_exceeded, 400, evaluation.error);

  Outcome out;
  out.signature_verified = !signing_keys_.empty();
  if (want_evaluation) out.explanation = rules::explanation_json(evaluation);
  if (config_.return_processing_info) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("msg");
    w.String("ok");
    w.Key("jobs");
    write_jobs(w, evaluation);
    w.Key("evaluations");
    w.RawValue(out.explanation.data(), out.explanation.size(), rapidjson::kArrayType);
    w.EndObject();
    out.body.assign(buf.GetString(), buf.GetSize());
  } else {
    out.body = R"({"msg":"ok"})";
  }
  out.evaluation = std::move(evaluation);
  return out;
}

} // namespace rdwh
