// One handler: a provider plus a compiled config, and the way one delivery travels through it:
// limits -> signature over the raw bytes -> parse once -> shape -> evaluate -> response.
// Immutable after construction: handle() is safe from any number of threads.
#pragma once

#include "core/services.hpp"
#include "crypto/signature.hpp"
#include "json/jsonpath.hpp"
#include "providers/providers.hpp"
#include "rules/config.hpp"
#include "rules/engine.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh {

// Mirrors rdwh_verdict in the ABI.
enum class Verdict : int {
  accepted = 0,
  malformed = 1,
  signature_missing = 2,
  signature_invalid = 3,
  too_large = 4,
  limit_exceeded = 5,
};

struct Outcome {
  Verdict verdict = Verdict::accepted;
  int http_status = 200;
  std::string_view content_type = "application/json"; // always a literal
  std::string body;
  rules::Evaluation evaluation; // the jobs to run, and what they refer to
  std::string explanation;      // JSON array, when explained
  bool signature_verified = false; // the body's signature was checked and valid

  const std::vector<rules::Job> &jobs() const noexcept { return evaluation.jobs; }
};

class Handler {
public:
  // Compiles the config and fetches the shared secret; throws rdwh::ConfigError (field named) or
  // rdwh::Error(host_failure). `services` must outlive the handler.
  Handler(const providers::ProviderSpec &provider, std::string_view config, const Services &services);

  Outcome handle(const rules::Delivery &delivery, bool explain) const;

  const providers::ProviderSpec &provider() const noexcept { return provider_; }
  const rules::Config &config() const noexcept { return config_; }

private:
  Outcome reject(Verdict verdict, int status, std::string_view message) const;

  const providers::ProviderSpec &provider_;
  const Services &services_;
  rules::Config config_;
  std::vector<crypto::HmacKey> signing_keys_; // one per shared secret
  // The provider's paths to each event's own id, resource and time, compiled once.
  std::optional<json::JsonPath> own_event_id_, resource_id_, event_time_;
  rules::EventPaths event_paths() const noexcept;
};

} // namespace rdwh
