// Rundeck Enterprise's WebhookEvaluation for one delivery (the debug API): {id, time, event,
// batchKey, error, routingResults[{event, ruleRoutingResults[{ruleEvaluation{satisfied, rule,
// conditionEvaluations[{satisfied, value, condition, error}]}, jobRunStatus, jobId, executionId,
// errorMsg, renderedOptions}]}]}, and rdwh's own {rdwh: {outcome, jobStates}}.
#pragma once

#include "base/json.hpp"
#include "console/admin/delivery_view.hpp"

#include <string_view>

namespace rdwh::gateway {

// `config` is the webhook's config now (the rules shown).
// {waiting, retrying, running, done, refused, failed, skipped}: how many of a delivery's jobs are so.
void write_job_states(JsonWriter &w, const JobStates &s);

void write_webhook_evaluation(JsonWriter &w, const DeliveryView &d, const rapidjson::Value &config,
                              std::string_view event_plugin);

} // namespace rdwh::gateway
