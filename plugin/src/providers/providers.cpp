#include "providers/providers.hpp"

namespace rdwh::providers {
namespace {

// Properties of the Advanced Run Job config, as Rundeck's UI labels and help texts give them.
std::vector<PropertySpec> rule_engine_properties(bool signed_deliveries) {
  std::vector<PropertySpec> props = {
      {"rules", "Rules",
       "Actions (rules): each names a job, its options, node filter and user, and the conditions "
       "under which it runs; every enabled rule whose conditions hold runs its job",
       "String", nullptr, false, {"displayType", "CODE", "codeSyntaxMode", "json"}},
      {"batchKey", "Batch Key", "JsonPath to key containing items to treat as individual events", "String",
       nullptr, false, {}},
      {"eventIdKey", "Event ID Key",
       "JsonPath to key containing value to use as the event ID; works with batches", "String", nullptr, false, {}},
      {"returnProcessingInfo", "Return Processing Info to Caller",
       "Return processing information to the caller of the webhook. Default return is {\"msg\":\"ok\"}",
       "Boolean", "false", false, {}},
  };
  props.push_back({"keyStoragePath", signed_deliveries ? "Shared Secret" : "Key Storage Path",
                   signed_deliveries
                       ? "Key storage path of the webhook subscription's signing secret (one per line while "
                         "rotating); when set, every delivery must carry a valid X-PagerDuty-Signature"
                       : "Key storage path (not used by this provider)",
                   "String", nullptr, false,
                   {"selectionAccessor", "STORAGE_PATH", "storage-path-root", "keys", "valueConversion",
                    "STORAGE_PATH_AUTOMATIC_READ"}});
  return props;
}

} // namespace

const std::vector<ProviderSpec> &all() {
  static const std::vector<ProviderSpec> specs = {
      {"pagerduty-V3-run-job", "PagerDuty: Generic V3 Webhook",
       "Run a job determined by routing rules in response to a PagerDuty V3 webhook event",
       Shape::pagerduty_v3, SignatureScheme::pagerduty_v3, nullptr, "$.event.id", "$.event.data.id",
       "$.event.occurred_at", rule_engine_properties(true)},
      {"pagerduty-run-job", "PagerDuty: Generic V2 Webhook",
       "Run a job determined by routing rules in response to a PagerDuty V2 webhook event",
       Shape::pagerduty_v2, SignatureScheme::none, "$.messages", "$.id", "$.incident.id", "$.created_on",
       rule_engine_properties(false)},
      {"advanced-run-job", "Advanced Run Job",
       "Run one or more jobs determined by routing rules in response to a webhook event", Shape::any_json,
       SignatureScheme::none, nullptr, nullptr, nullptr, nullptr, rule_engine_properties(false)},
  };
  return specs;
}

const ProviderSpec *find(std::string_view name) {
  for (const ProviderSpec &spec : all())
    if (name == spec.name) return &spec;
  return nullptr;
}

} // namespace rdwh::providers
