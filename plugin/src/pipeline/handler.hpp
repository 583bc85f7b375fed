// One handler: a provider plus a compiled config, and the way one delivery travels through it:
// limits -> signature over the raw bytes -> parse once -> split -> evaluate -> render -> explain.
// Immutable after construction: handle() is safe from any number of threads.
#pragma once

#include "base/reject.hpp"
#include "base/services.hpp"
#include "json/jsonpath.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/render.hpp"
#include "pipeline/split.hpp"
#include "pipeline/verify.hpp"
#include "providers/providers.hpp"
#include "rules/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::pipeline {

// What handling a delivery gives the host: the answer, the jobs and the explanation.
struct Outcome {
  Verdict verdict = Verdict::accepted;
  int http_status = 200;
  std::string_view content_type = "application/json"; // always a literal
  std::string body;
  Rendered rendered;               // the jobs to run, and the strings they refer to
  std::string explanation;         // JSON array, when explained
  bool signature_verified = false; // the body's signature was checked and valid

  static Outcome rejected(const Rejection &rejection);
  const std::vector<Job> &jobs() const noexcept { return rendered.jobs; }
  std::size_t job_count() const noexcept { return rendered.jobs.size(); }
  JobView job(std::size_t i) const noexcept { return rendered.job(i); }
};

class Handler {
public:
  // Compiles the config and fetches the shared secret; throws rdwh::ConfigError (field named) or
  // rdwh::Error(host_failure). `services` must outlive the handler.
  Handler(const providers::ProviderSpec &provider, std::string_view config, const Services &services);
  Handler(const Handler &) = delete; // event_paths_ points into the handler itself
  Handler &operator=(const Handler &) = delete;

  Outcome handle(const Delivery &delivery, bool explain) const;

  const providers::ProviderSpec &provider() const noexcept { return provider_; }
  const rules::Config &config() const noexcept { return config_; }

private:
  void load_signing_keys();
  Checked<void> admit(const Delivery &delivery) const;
  Outcome respond(const Split &split, const Evaluation &evaluation, Rendered &&rendered, bool explain) const;
  Outcome run_job(const Split &split, const Evaluation &evaluation, Rendered &&rendered, const Delivery &delivery,
                  bool explain) const;

  const providers::ProviderSpec &provider_;
  const Services &services_;
  rules::Config config_;
  std::vector<HmacKey> signing_keys_; // one per shared secret
  // The provider's paths to each event's own id, resource and time, compiled once.
  std::optional<json::JsonPath> own_event_id_, resource_id_, event_time_;
  EventPaths event_paths_;
};

} // namespace rdwh::pipeline
