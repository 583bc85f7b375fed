// Config parsing and compilation (a handler's creation), then a delivery of a fixed event through
// it, so that every compiled condition, path and template also runs.
//
// Input: the config text, as a host would pass it to create().
// Invariants: compile succeeds or throws ConfigError (a field named); no message, warning or log
// line ever holds a key-storage value; the delivery is answered (a limit refuses it with no job),
// and the answer and the explanation are JSON.
#include "fuzz_common.hpp"

#include "base/error.hpp"
#include "base/services.hpp"
#include "pipeline/handler.hpp"
#include "providers/providers.hpp"

#include <optional>
#include <string>

namespace {

constexpr std::string_view kSecret = "kS-secret [x] ${y} 'z' $.w"; // breaks any JsonPath or template

// The config may hold the secret's text itself (the fuzzer can type anything); only an output
// that the config does not explain is a leak.
bool typed_in = false;
bool leaks(std::string_view s) { return !typed_in && s.find(kSecret) != std::string_view::npos; }

// Key storage with the secret and an empty key, a fixed clock, and every log line kept.
class FuzzServices final : public rdwh::Services {
public:
  mutable std::string logged;
  void log(rdwh::LogLevel, std::string_view message) const override { logged.append(message); }
  std::optional<rdwh::Secret> secret(std::string_view path) const override {
    if (path == "keys/a") return rdwh::Secret(kSecret);
    if (path == "keys/empty") return rdwh::Secret();
    return std::nullopt;
  }
  int64_t now_unix_ms() const override { return 1714564800000; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rdwh;
  const std::string_view text = fuzz::as_view(data, size);
  typed_in = text.find(kSecret) != std::string_view::npos;
  // The V2 provider implies a batch key; the advanced one does not. Neither checks signatures.
  const providers::ProviderSpec &provider = *providers::find(size % 2 ? "pagerduty-run-job" : "advanced-run-job");
  FuzzServices services;
  std::optional<pipeline::Handler> handler;
  try {
    handler.emplace(provider, text, services);
  } catch (const ConfigError &e) {
    FUZZ_CHECK(!leaks(e.what()));
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
    return 0;
  }
  FUZZ_CHECK(!leaks(services.logged));

  // Keep evaluation cheap: the fuzzer owns the limits too.
  if (handler->config().rules.size() > 64) return 0;

  pipeline::Delivery delivery;
  delivery.body = fuzz::fallback_document;
  delivery.headers = {{"X-Webhook-Id", "wh-1"}};
  delivery.now_unix_ms = 1714564800000;
  delivery.received_unix_ms = 1714564800000;
  const pipeline::Outcome outcome = handler->handle(delivery, true);
  rapidjson::Document check;
  check.Parse(outcome.body.data(), outcome.body.size());
  FUZZ_CHECK(!check.HasParseError());
  if (outcome.verdict == Verdict::accepted) {
    check.Parse(outcome.explanation.data(), outcome.explanation.size());
    FUZZ_CHECK(!check.HasParseError());
    for (std::size_t i = 0; i < outcome.job_count(); ++i) FUZZ_CHECK(!outcome.job(i).job_id().empty());
  } else {
    FUZZ_CHECK(outcome.job_count() == 0);
  }
  FUZZ_CHECK(!leaks(services.logged));
  return 0;
}
