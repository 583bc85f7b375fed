// Config parsing and compilation (rules::compile_config), then evaluation of the compiled config
// on a fixed event, so that every compiled condition, path and template also runs.
//
// Input: the config text, as a host would pass it to create().
// Invariants: compile succeeds or throws ConfigError (a field named); no message, warning or log
// line ever holds a key-storage value; evaluation and its explanation never throw but for a
// documented limit, and the explanation is JSON.
#include "fuzz_common.hpp"

#include "core/error.hpp"
#include "json/text.hpp"
#include "rules/config.hpp"
#include "rules/engine.hpp"

#include <optional>
#include <string>

namespace {

constexpr std::string_view kSecret = "kS-secret [x] ${y} 'z' $.w"; // breaks any JsonPath or template

// The config may hold the secret's text itself (the fuzzer can type anything); only an output
// that the config does not explain is a leak.
bool typed_in = false;
bool leaks(std::string_view s) { return !typed_in && s.find(kSecret) != std::string_view::npos; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rdwh;
  const std::string_view text = fuzz::as_view(data, size);
  typed_in = text.find(kSecret) != std::string_view::npos;
  rules::CompileOptions options;
  if (size % 2) options.default_batch_key = "$.messages";
  options.lookup_secret = [](std::string_view path) -> std::optional<std::string> {
    if (path == "keys/a") return std::string(kSecret);
    if (path == "keys/empty") return std::string();
    return std::nullopt;
  };

  std::optional<rules::Config> config;
  try {
    config = rules::compile_config(text, options);
  } catch (const ConfigError &e) {
    FUZZ_CHECK(!leaks(e.what()));
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
    return 0;
  }
  for (const std::string &w : config->warnings) FUZZ_CHECK(!leaks(w));

  // Keep evaluation cheap: the fuzzer owns the limits too.
  if (config->rules.size() > 64) return 0;

  rapidjson::Document doc;
  FUZZ_CHECK(!json::parse(fuzz::fallback_document, doc, json::ParseLimits{}).failed);
  rules::Delivery delivery;
  delivery.body = fuzz::fallback_document;
  delivery.headers = {{"X-Webhook-Id", "wh-1"}};
  delivery.now_unix_ms = 1714564800000;
  delivery.received_unix_ms = 1714564800000;
  std::string logged;
  auto log = [&](const std::string &line) { logged += line; };
  try {
    rules::Evaluation evaluation = rules::evaluate(*config, doc, delivery, {}, true, log);
    const std::string explanation = rules::explanation_json(evaluation);
    rapidjson::Document check;
    check.Parse(explanation.data(), explanation.size());
    FUZZ_CHECK(!check.HasParseError());
    for (const rules::Job &job : evaluation.jobs) FUZZ_CHECK(job.job_id.size != 0);
    if (evaluation.limit_exceeded) FUZZ_CHECK(evaluation.jobs.empty());
  } catch (const LimitError &) {
    return 0;
  }
  FUZZ_CHECK(!leaks(logged));
  return 0;
}
