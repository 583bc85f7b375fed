#include "pipeline/handler.hpp"

#include "base/error.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/explain.hpp"
#include "pipeline/parse.hpp"
#include "providers/lint.hpp"

#include <fmt/format.h>

namespace rdwh::pipeline {
namespace {

std::string json_message(const char *key, std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key(key);
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<json::JsonPath> compile_path(const char *text) {
  if (!text) return std::nullopt;
  return json::JsonPath::compile(text);
}

const json::JsonPath *pointer(const std::optional<json::JsonPath> &path) { return path ? &*path : nullptr; }

} // namespace

Outcome Outcome::rejected(const Rejection &rejection) {
  Outcome out;
  out.verdict = rejection.verdict;
  out.http_status = rejection.http_status;
  out.body = json_message("err", rejection.message);
  return out;
}

Handler::Handler(const providers::ProviderSpec &provider, std::string_view config, const Services &services)
    : provider_(provider), services_(services), own_event_id_(compile_path(provider.own_event_id)),
      resource_id_(compile_path(provider.resource_id)), event_time_(compile_path(provider.event_time)),
      event_paths_{pointer(own_event_id_), pointer(resource_id_), pointer(event_time_)} {
  rules::CompileOptions options;
  if (provider.default_batch_key) options.default_batch_key = provider.default_batch_key;
  options.lookup_secret = [&services](std::string_view path) { return services.secret(path); };
  config_ = provider.compile_config(config, options);
  load_signing_keys();
  if (services.wants_lint()) providers::lint(provider, config_, config_.diagnostics);
  for (const Diagnostic &d : config_.diagnostics)
    if (!services_.report(d)) services_.log(LogLevel::warn, d.message);
}

void Handler::load_signing_keys() {
  const std::string &path = config_.key_storage_path;
  if (provider_.signature != providers::SignatureScheme::pagerduty_v3) {
    if (!path.empty())
      config_.diagnostics.push_back({Diagnostic::Kind::ignored, "keyStoragePath", {},
                                     fmt::format("{}: keyStoragePath is ignored: this provider's deliveries are not "
                                                 "signed", provider_.name), {}});
    return;
  }
  if (path.empty()) {
    config_.diagnostics.push_back({Diagnostic::Kind::ignored, "keyStoragePath", {},
                                   fmt::format("{}: no keyStoragePath: deliveries are not authenticated by "
                                               "signature", provider_.name), {}});
    return;
  }
  std::optional<Secret> stored = services_.secret(path);
  if (!stored) throw ConfigError("keyStoragePath", fmt::format("key storage has no key '{}'", path));
  for (const Secret &secret : split_secrets(*stored)) signing_keys_.emplace_back(secret);
  if (signing_keys_.empty()) throw ConfigError("keyStoragePath", fmt::format("the key '{}' is empty", path));
}

Checked<void> Handler::admit(const Delivery &delivery) const {
  if (Checked<void> within = check_limits(delivery, config_.limits); !within) return within;
  if (signing_keys_.empty()) return {};
  Checked<void> authentic = verify_signature(delivery, signing_keys_);
  if (!authentic && authentic.rejection().verdict == Verdict::signature_invalid)
    // The sender is told only "invalid"; the operator needs to know which secret to check.
    services_.log(LogLevel::warn, fmt::format("{}: a delivery's signature matches none of the {} secret(s) in "
                                              "keyStoragePath '{}': check that it holds the subscription's current "
                                              "secret",
                                              provider_.name, signing_keys_.size(), config_.key_storage_path));
  return authentic;
}

Outcome Handler::handle(const Delivery &delivery, bool explain) const {
  explain = explain || config_.return_processing_info;
  if (Checked<void> admitted = admit(delivery); !admitted) return Outcome::rejected(admitted.rejection());
  json::Document doc;
  if (Checked<void> parsed = parse_body(delivery.body, provider_.shape, config_.limits, doc); !parsed)
    return Outcome::rejected(parsed.rejection());
  Rendered rendered;
  rendered.strings.buffer.reserve(1024); // a delivery's strings usually fit: one allocation
  Checked<Split> events = split(config_, event_paths_, doc, delivery, rendered.strings);
  if (!events) return Outcome::rejected(events.rejection());
  Selections selections(config_.paths);
  Checked<Evaluation> evaluation = evaluate(config_, *events, delivery, selections, explain);
  if (!evaluation) return Outcome::rejected(evaluation.rejection());
  for (const std::string &line : debug_lines(*events, *evaluation, rendered.strings)) services_.log(LogLevel::info, line);
  if (Checked<void> jobs = render(config_, *events, *evaluation, delivery, selections, rendered); !jobs)
    return Outcome::rejected(jobs.rejection());
  for (const Rendered::Failure &f : rendered.failures)
    services_.log(LogLevel::warn, fmt::format("rule '{}' on event {}: {}; its job is not run", f.rule->name, f.event_index, f.what));
  if (provider_.answer == providers::Answer::run_job) return run_job(*events, *evaluation, std::move(rendered), delivery, explain);
  return respond(*events, *evaluation, std::move(rendered), explain);
}

// Rundeck's Run Job answers {"jobId", "executionId"} once it has started the execution; the
// plugin knows the job, the host the execution (see webhook-run-job in plugin.h). What Rundeck
// refuses with 400 is refused alike: a value it cannot substitute, a job it cannot find.
Outcome Handler::run_job(const Split &split, const Evaluation &evaluation, Rendered &&rendered, const Delivery &delivery,
                         bool explain) const {
  if (!rendered.failures.empty())
    return Outcome::rejected({Verdict::unprocessable, 400, "Failed to substitute data: " + rendered.failures.front().what});
  if (rendered.jobs.empty())
    return Outcome::rejected({Verdict::unprocessable, 400,
                              fmt::format("Cannot run job, not found:  in project {}: the job id is empty", delivery.project)});
  Outcome out;
  out.signature_verified = !signing_keys_.empty();
  if (explain) out.explanation = explanation_json(split, evaluation, rendered.strings);
  out.content_type = "application/json; charset=UTF-8";
  out.body = json_message("jobId", rendered.job(0).job_id());
  out.rendered = std::move(rendered);
  return out;
}

Outcome Handler::respond(const Split &split, const Evaluation &evaluation, Rendered &&rendered, bool explain) const {
  Outcome out;
  out.signature_verified = !signing_keys_.empty();
  if (explain) out.explanation = explanation_json(split, evaluation, rendered.strings);
  out.body = config_.return_processing_info ? processing_info_json(rendered, out.explanation) : R"({"msg":"ok"})";
  out.rendered = std::move(rendered);
  return out;
}

} // namespace rdwh::pipeline
