// The preflight of a webhook's rules against Rundeck (a console Save, --check --online): for each
// enabled rule whose jobId is written out (not computed from the event), the job exists in the
// webhook's project (GET /api/{v}/job/{id}/info) and every option its definition requires
// without a default value is among the rule's jobOptions (GET /api/{v}/job/{id}?format=yaml).
// What it cannot tell: whether the token's user may run the job as the rule's `user` (Rundeck's
// runAs permission); Rundeck's API shows no ACL decision short of running the job.
// Read-only, and bounded by one time budget for the whole webhook.
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rdwh::gateway {

struct PreflightFinding {
  std::string field;   // "rules[N].jobId", "rules[N].jobOptions"; "config" when about every rule
  std::string rule;    // the action's name ("" when about every rule)
  std::string message; // the field first, as the plugin's messages; never holds the token
  // --check --online fails: the job does not exist in the webhook's project, or a required option
  // is missing. Everything else (Rundeck unreachable or slow, the token refused) is a warning.
  bool fails_check = false;
};

struct PreflightResult {
  std::vector<PreflightFinding> findings;
  bool rundeck_answered = true; // false: unreachable or out of time (the rest was not checked)
};

// `budget_ms`: the time all of the webhook's calls together may take (each call's timeout is what
// is left of it); past it the answer says "Rundeck did not answer within N s".
PreflightResult preflight_rules(const RundeckSettings &settings, const std::string &token, const std::string &project,
                                const std::string &config_json, int64_t budget_ms, const std::atomic<bool> &abort);

} // namespace rdwh::gateway
