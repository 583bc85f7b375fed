// webhook-run-job's config compiler: Rundeck's open-source "Run Job" handler
// (JobRunWebhookEventPlugin) takes {jobId, argString, nodeFilter, asUser}, every one a Groovy
// template; here they become one rule with no conditions, so the pipeline runs it like any other.
#include "rules/config.hpp"

#include "base/error.hpp"
#include "rules/argstring.hpp"
#include "rules/config_reader.hpp"

namespace rdwh::rules {

Config compile_run_job_config(std::string_view text, const CompileOptions &options) {
  Config config;
  rapidjson::Document doc;
  Reader reader(options, config);
  const json::Value &root = reader.read_document(text, doc);
  Rule rule;
  rule.name = rule.key = "Run Job";
  reader.check_keys(root, "", {"jobId", "argString", "nodeFilter", "asUser", "limits", "missingValues"}, rule.name);
  const std::optional<std::string_view> job_id = reader.string_field(root, "jobId", "");
  if (!job_id || job_id->empty()) throw ConfigError("jobId", "is required: the job to run");
  rule.job_id = reader.value_expr(*job_id, "jobId", rule.name, true);
  // Rundeck splits the argString before it renders anything, then renders each token.
  if (const std::optional<std::string_view> args = reader.string_field(root, "argString", ""))
    for (const std::string &token : burst(*args)) rule.arg_tokens.push_back(reader.value_expr(token, "argString", rule.name, true));
  if (auto filter = reader.string_field(root, "nodeFilter", ""); filter && !filter->empty())
    rule.node_filter = reader.value_expr(*filter, "nodeFilter", rule.name, true);
  if (auto user = reader.string_field(root, "asUser", ""); user && !user->empty())
    rule.user = reader.value_expr(*user, "asUser", rule.name, true);
  config.rules.push_back(std::move(rule));
  index_rules(config);
  return config;
}

} // namespace rdwh::rules
