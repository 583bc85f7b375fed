#include "providers/providers.hpp"

#include <array>

namespace rdwh::providers {
namespace {

// Properties of the Advanced Run Job config, as Rundeck's UI labels and help texts give them.
constexpr const char *code_editor[] = {"displayType", "CODE", "codeSyntaxMode", "json"};
constexpr const char *storage_path[] = {"selectionAccessor", "STORAGE_PATH", "storage-path-root", "keys",
                                        "valueConversion", "STORAGE_PATH_AUTOMATIC_READ"};

constexpr PropertySpec rules_property{
    "rules", "Rules",
    "Actions (rules): each names a job, its options, node filter and user, and the conditions under which it runs; "
    "every enabled rule whose conditions hold runs its job",
    "String", nullptr, false, code_editor};
constexpr PropertySpec batch_key_property{
    "batchKey", "Batch Key", "JsonPath to key containing items to treat as individual events", "String", nullptr,
    false, {}};
constexpr PropertySpec event_id_key_property{
    "eventIdKey", "Event ID Key", "JsonPath to key containing value to use as the event ID; works with batches",
    "String", nullptr, false, {}};
constexpr PropertySpec processing_info_property{
    "returnProcessingInfo", "Return Processing Info to Caller",
    "Return processing information to the caller of the webhook. Default return is {\"msg\":\"ok\"}", "Boolean",
    "false", false, {}};

constexpr PropertySpec signed_properties[] = {
    rules_property, batch_key_property, event_id_key_property, processing_info_property,
    {"keyStoragePath", "Shared Secret",
     "Key storage path of the webhook subscription's signing secret (one per line while rotating); when set, every "
     "delivery must carry a valid X-PagerDuty-Signature",
     "String", nullptr, false, storage_path}};
constexpr PropertySpec unsigned_properties[] = {
    rules_property, batch_key_property, event_id_key_property, processing_info_property,
    {"keyStoragePath", "Key Storage Path", "Key storage path (not used by this provider)", "String", nullptr, false,
     storage_path}};

// Rundeck's open-source "Run Job" (JobRunWebhookEventPlugin): its properties as it declares them.
constexpr const char *job_chooser[] = {"selectionAccessor", "RUNDECK_JOB", "selectionComponent", "uuid",
                                       "displayType", "RUNDECK_JOB"};
constexpr PropertySpec run_job_properties[] = {
    {"jobId", "Job", "Job to run.", "String", nullptr, true, job_chooser},
    {"argString", "Options", "Job Option arguments, in the form `-opt1 value -opt2 \"other value\"`", "String", nullptr,
     false, {}},
    {"nodeFilter", "Node Filter", "Node Filter string to apply, leave blank for default", "String", nullptr, false, {}},
    {"asUser", "As User", "Username to run job as, leave blank for default, requires authorization.", "String",
     nullptr, false, {}},
};

// Run Job's documented example (Rundeck docs, webhooks/run-job): a whole config, this provider
// having no rules; the job is for the user to choose.
constexpr const char *run_job_sample =
    R"({"jobId":"","argString":"-raw ${raw} -field1 ${data.field1} -sub1 ${data.sub1.subfield} )"
    R"(-timestamp ${webhook.timestamp}","nodeFilter":"","asUser":""})";

// The variables its templates offer (Rundeck docs), as a template writes them.
constexpr FieldSuggestion run_job_fields[] = {
    {"${data.field1}", "A field of the JSON body (data.<field>, data.a.b, data.list[0])", "value"},
    {"${raw}", "The body as received", "{\"field1\":\"value\"}"},
    {"${webhook.id}", "The delivery's id", "0c4dbd0a-1f4e-4f6c-9b1a-6c7f2a7c0b11"},
    {"${webhook.project}", "The Rundeck project", "ops"},
    {"${webhook.sender}", "The sender's address", "203.0.113.9"},
    {"${webhook.timestamp}", "When the delivery arrived, epoch milliseconds", "1714564800000"},
};

// Rundeck's "PagerDuty Example Action": run a job with the incident's id when one is triggered.
constexpr const char *v3_sample_action =
    R"({"name":"PagerDuty Example Action","enabled":true,"policy":"all","jobId":"",)"
    R"("jobOptions":[{"name":"pd_incident_id","value":"$.event.data.id"}],)"
    R"("conditions":[{"path":"$.event.event_type","condition":"equals","value":"incident.triggered"}]})";
constexpr const char *v2_sample_action =
    R"({"name":"PagerDuty Example Action","enabled":true,"policy":"all","jobId":"",)"
    R"("jobOptions":[{"name":"pd_incident_id","value":"$.incident.id"}],)"
    R"("conditions":[{"path":"$.event","condition":"equals","value":"incident.trigger"}]})";

// V3: one event per delivery, `$` is the whole body. Examples from PagerDuty's documented and
// captured deliveries (examples/deliveries/).
constexpr FieldSuggestion v3_fields[] = {
    {"$.event.event_type", "Event type", "incident.triggered"},
    {"$.event.id", "Event ID", "01BWDWL3NYY7LUFPZCC28QUCMK"},
    {"$.event.occurred_at", "When the event happened", "2021-04-26T17:36:27.458Z"},
    {"$.event.resource_type", "Resource type", "incident"},
    {"$.event.agent.summary", "Who acted (agent)", "Tenex Engineer"},
    {"$.event.data.id", "Incident ID", "PGR0VU2"},
    {"$.event.data.number", "Incident number", "2"},
    {"$.event.data.title", "Incident title", "A little bump in the road"},
    {"$.event.data.status", "Incident status", "triggered"},
    {"$.event.data.urgency", "Urgency", "high"},
    {"$.event.data.priority.summary", "Priority", "P1"},
    {"$.event.data.html_url", "Incident URL", "https://acme.pagerduty.com/incidents/PGR0VU2"},
    {"$.event.data.service.id", "Service ID", "PF9KMXH"},
    {"$.event.data.service.summary", "Service name", "API Service"},
    {"$.event.data.escalation_policy.id", "Escalation policy ID", "PUS0KTE"},
    {"$.event.data.teams[0].summary", "First team", "Engineering"},
    {"$.event.data.assignees[0].summary", "First assignee", "User 123"},
    {"$.event.data.incident.id", "Incident ID of a note, status update or responder event", "Q3B15VLMF3ASBD"},
};

// V2: each message of `messages` is one event, `$` is the message.
constexpr FieldSuggestion v2_fields[] = {
    {"$.event", "Event type", "incident.trigger"},
    {"$.id", "Message ID", "82a33960-a2cd-11e7-8f69-22000affca53"},
    {"$.created_on", "When the event happened", "2017-09-26T15:15:17Z"},
    {"$.incident.id", "Incident ID", "PRORDTY"},
    {"$.incident.incident_number", "Incident number", "33"},
    {"$.incident.title", "Incident title", "My new incident"},
    {"$.incident.status", "Incident status", "acknowledged"},
    {"$.incident.urgency", "Urgency", "high"},
    {"$.incident.priority.summary", "Priority", "P1"},
    {"$.incident.html_url", "Incident URL", "https://webdemo.pagerduty.com/incidents/PRORDTY"},
    {"$.incident.service.id", "Service ID", "PN49J75"},
    {"$.incident.service.summary", "Service name", "Production XDB Cluster"},
    {"$.incident.escalation_policy.id", "Escalation policy ID", "PINYWEF"},
    {"$.log_entries[0].agent.summary", "Who acted (agent)", "Laura Haley"},
};

constexpr ProviderSpec specs[] = {
    {"pagerduty-V3-run-job", "PagerDuty: Generic V3 Webhook",
     "Run a job determined by routing rules in response to a PagerDuty V3 webhook event", Shape::pagerduty_v3,
     SignatureScheme::pagerduty_v3, nullptr, "$.event.id", "$.event.data.id", "$.event.occurred_at",
     signed_properties, &rules::compile_config, v3_sample_action, v3_fields, Answer::routing, &pagerduty_v3_payload},
    {"pagerduty-run-job", "PagerDuty: Generic V2 Webhook",
     "Run a job determined by routing rules in response to a PagerDuty V2 webhook event", Shape::pagerduty_v2,
     SignatureScheme::none, "$.messages", "$.id", "$.incident.id", "$.created_on", unsigned_properties,
     &rules::compile_config, v2_sample_action, v2_fields, Answer::routing, &pagerduty_v2_payload},
    {"advanced-run-job", "Advanced Run Job",
     "Run one or more jobs determined by routing rules in response to a webhook event", Shape::any_json,
     SignatureScheme::none, nullptr, nullptr, nullptr, nullptr, unsigned_properties, &rules::compile_config,
     nullptr, {}, Answer::routing, nullptr},
    {"webhook-run-job", "Run Job", "Run a job on webhook event. This plugin expects the incoming payload to be JSON",
     Shape::any_json, SignatureScheme::none, nullptr, nullptr, nullptr, nullptr, run_job_properties,
     &rules::compile_run_job_config, run_job_sample, run_job_fields, Answer::run_job, nullptr},
};

static_assert(std::size(specs) == provider_count);
constexpr bool fits_bounds() {
  for (const ProviderSpec &spec : specs) {
    if (spec.properties.size() > max_properties || spec.fields.size() > max_fields) return false;
    for (const PropertySpec &property : spec.properties)
      if (property.rendering_options.size() > max_rendering_options) return false;
  }
  return true;
}
static_assert(fits_bounds(), "raise the bounds in providers.hpp");

} // namespace

std::span<const ProviderSpec> all() noexcept { return specs; }

const ProviderSpec *find(std::string_view name) noexcept {
  for (const ProviderSpec &spec : specs)
    if (name == spec.name) return &spec;
  return nullptr;
}

} // namespace rdwh::providers
