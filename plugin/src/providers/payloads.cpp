// The shape of PagerDuty's webhook payloads, for lint: PagerDuty's documented V3 event data
// schemas and V2 message fields (developer docs: webhooks V3 overview, V2 overview; the REST
// incident object), completed from the captured deliveries in examples/deliveries/.
#include "providers/providers.hpp"

namespace rdwh::providers {
namespace {

// V3: one event per delivery, `$` is {"event": {...}}.
constexpr const char *v3_fields[] = {
    "event.id", "event.event_type", "event.resource_type", "event.occurred_at", "event.agent@ref",
    "event.client.name", "event.client.url",
    // data of an incident (data.type "incident")
    "event.data.type", "event.data.id", "event.data.self", "event.data.html_url", "event.data.number",
    "event.data.status", "event.data.incident_key", "event.data.created_at", "event.data.reopened_at",
    "event.data.title", "event.data.incident_type.name", "event.data.service@ref", "event.data.assignees[]@ref",
    "event.data.escalation_policy@ref", "event.data.teams[]@ref", "event.data.priority@ref", "event.data.urgency",
    "event.data.conference_bridge.conference_number", "event.data.conference_bridge.conference_url",
    "event.data.resolve_reason.type", "event.data.resolve_reason.incident@ref",
    // data of notes, status updates, responders, conference bridges, custom fields, roles, tasks,
    // workflows, automation actions, services and the ping
    "event.data.incident@ref", "event.data.content", "event.data.trimmed", "event.data.message",
    "event.data.user@ref", "event.data.state", "event.data.conference_numbers[].label",
    "event.data.conference_numbers[].number", "event.data.conference_url", "event.data.custom_fields[]*",
    "event.data.changed_custom_fields[]*", "event.data.incident_role_assignments[]*", "event.data.name",
    "event.data.description", "event.data.summary", "event.data.incident_workflow@ref",
    "event.data.workflow_trigger@ref", "event.data.action@ref", "event.data.alert_creation",
};

constexpr const char *v3_event_types[] = {
    "incident.acknowledged", "incident.annotated", "incident.conference_bridge.updated",
    "incident.custom_field_values.updated", "incident.delegated", "incident.escalated",
    "incident.incident_type.changed", "incident.priority_updated", "incident.reassigned", "incident.reopened",
    "incident.resolved", "incident.responder.added", "incident.responder.replied", "incident.role.assigned",
    "incident.service_updated", "incident.status_update_published", "incident.task.completed",
    "incident.task.created", "incident.task.updated", "incident.triggered", "incident.unacknowledged",
    "incident.action_invocation.created", "incident.action_invocation.terminated",
    "incident.action_invocation.updated", "incident.workflow.started", "incident.workflow.completed",
    "service.created", "service.deleted", "service.updated", "service.custom_field_values.updated", "pagey.ping",
};

// V2: each message of `messages` is one event, `$` is the message.
constexpr const char *v2_fields[] = {
    "id", "event", "created_on", "account_id", "account_features*", "webhook@ref", "webhook.endpoint_url",
    "webhook.name", "webhook.description", "webhook.webhook_object@ref", "webhook.config*",
    "webhook.outbound_integration@ref", "webhook.accounts_addon*",
    // the incident, as the REST API gives it
    "incident@ref", "incident.incident_number", "incident.title", "incident.description", "incident.created_at",
    "incident.status", "incident.incident_key", "incident.urgency", "incident.importance", "incident.privilege",
    "incident.alerts[].alert_key", "incident.pending_actions[].type", "incident.pending_actions[].at",
    "incident.pending_actions[].to", "incident.service@ref", "incident.service.name", "incident.service.description",
    "incident.service.status", "incident.service.created_at", "incident.service.acknowledgement_timeout",
    "incident.service.auto_resolve_timeout", "incident.service.alert_creation", "incident.service.last_incident_timestamp",
    "incident.service.escalation_policy@ref", "incident.service.teams[]@ref", "incident.service.integrations[]@ref",
    "incident.service.incident_urgency_rule*", "incident.service.support_hours*", "incident.service.scheduled_actions*",
    "incident.service.addons*", "incident.service.metadata*", "incident.service.privilege*",
    "incident.assignments[].at", "incident.assignments[].assignee@ref", "incident.acknowledgements[].at",
    "incident.acknowledgements[].acknowledger@ref", "incident.last_status_change_at",
    "incident.last_status_change_by@ref", "incident.first_trigger_log_entry@ref", "incident.escalation_policy@ref",
    "incident.teams[]@ref", "incident.impacted_services[]@ref", "incident.priority@ref", "incident.priority.name",
    "incident.priority.description", "incident.priority.color", "incident.priority.order",
    "incident.resolve_reason.type", "incident.resolve_reason.incident@ref", "incident.alert_counts.all",
    "incident.alert_counts.triggered", "incident.alert_counts.resolved", "incident.metadata*",
    "incident.is_mergeable", "incident.basic_alert_grouping*", "incident.alert_grouping*",
    "incident.external_references[]@ref", "incident.external_references[].external_id",
    "incident.external_references[].external_url", "incident.external_references[].sync",
    "incident.external_references[].webhook@ref", "incident.incidents_responders*", "incident.responder_requests*",
    "incident.subscriber_requests*", "incident.assigned_via",
    // the log entries
    "log_entries[]@ref", "log_entries[].created_at", "log_entries[].agent@ref", "log_entries[].channel*",
    "log_entries[].service@ref", "log_entries[].incident@ref", "log_entries[].teams[]@ref", "log_entries[].contexts*",
    "log_entries[].event_details*", "log_entries[].assignees[]@ref", "log_entries[].acknowledgement_timeout",
    "log_entries[].note",
};

constexpr const char *v2_event_types[] = {
    "incident.trigger", "incident.acknowledge", "incident.unacknowledge", "incident.resolve", "incident.assign",
    "incident.escalate", "incident.delegate", "incident.annotate", "incident.custom",
};

} // namespace

const PayloadShape pagerduty_v3_payload{v3_fields, "$.event.event_type", v3_event_types, "PagerDuty V3 payload",
                                        "PagerDuty V3 event type"};
const PayloadShape pagerduty_v2_payload{v2_fields, "$.event", v2_event_types, "PagerDuty V2 message",
                                        "PagerDuty V2 event type"};

} // namespace rdwh::providers
