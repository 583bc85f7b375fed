// The compiled form of a webhook's config, for every provider: Rundeck's "Advanced Run Job" rule
// engine {rules, batchKey, eventIdKey, returnProcessingInfo, keyStoragePath} (also the PagerDuty
// handlers'), or its open-source "Run Job" {jobId, argString, nodeFilter, asUser}, which becomes
// one rule; plus rdwh's optional `limits` and `missingValues`. Compiled once at create(),
// immutable afterwards, so any number of threads evaluate it without locks.
#pragma once

#include "base/secret.hpp"
#include "base/services.hpp"
#include "json/jsonpath.hpp"
#include "rules/conditions.hpp"
#include "rules/value_expr.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::rules {

struct Limits {
  std::size_t max_body_bytes = 1024 * 1024; // PagerDuty sends at most 256 KB
  std::size_t max_depth = 128;              // JSON nesting of a body
  std::size_t max_batch_items = 1000;       // events in one delivery
  std::size_t max_rules = 10000;
  std::size_t max_conditions = 1000;        // per rule, nested groups included
  std::size_t max_value_bytes = 1024 * 1024; // one rendered option, filter, user or job id
  std::size_t max_headers = 100;            // header lines of one delivery
  std::size_t max_header_bytes = 64 * 1024; // their names and values, all together
  std::size_t max_path_results = 100000;    // values one JsonPath evaluation may select
  std::size_t max_path_work = 4000000;      // work of one JsonPath evaluation (PathLimits::max_work)

  json::PathLimits path_limits() const {
    json::PathLimits limits;
    limits.max_results = max_path_results;
    limits.max_work = max_path_work;
    return limits;
  }
};

enum class Policy { all, any };

// A node of a rule's condition tree: a condition, or a group of nodes under a policy. Rundeck's
// rules are one group; rdwh also reads nested groups and `negate`. What evaluation reads comes
// first (one cache line), the texts for messages after it: a config of many rules is read from
// memory, not from the cache.
struct Node {
  bool negate = false;
  Policy policy = Policy::all;            // group
  const ConditionType *type = nullptr;    // condition (when not null)
  std::optional<json::JsonPath> path;     // condition
  std::unique_ptr<Matcher> matcher;       // condition
  std::vector<Node> children;             // group
  // condition, for messages and explanations
  Secret path_text;                       // as written ("" = always satisfied, as Rundeck's)
  bool path_is_secret = false;            // from ${KS:...}: never quoted
  Secret value;                           // may hold a ${KS:...} value
  bool value_is_secret = false;           // from ${KS:...}: never shown in explanations or logs

  bool is_group() const noexcept { return type == nullptr; }
};

struct JobOption {
  std::string name;
  ValueExpr value;
  std::string shown; // the name as messages show it: quoted, or hidden when from key storage
};

// Evaluating reads a rule's RuleHead; a fired rule's job reads what comes first here (its job id
// and values, then its name, key and index for the host), on adjacent cache lines; the rest
// (conditions, for rules with nested groups, traces and messages) after it.
struct Rule {
  std::optional<ValueExpr> job_id;
  std::vector<JobOption> options;
  // webhook-run-job: the argString's tokens, each a template; the job's options are read from them
  // once rendered (rules/argstring.hpp). Empty for the rule engine.
  std::vector<ValueExpr> arg_tokens;
  std::optional<ValueExpr> node_filter;
  std::optional<ValueExpr> user;
  std::string name;
  std::string key;  // stable identity: uuid, else name; "#2", "#3"... on repeats (rdwh_job_t.rule_key)
  std::size_t index = 0;
  bool enabled = true;
  bool debug = false;
  Node root; // a group with the rule's policy
  std::string uuid; // Rundeck's per-rule id; may be empty
  std::size_t conditions = 0; // written in the config, nested ones included
};

// What evaluating an event reads of each rule, 12 bytes in one array beside Config::rules (same
// index): over 10,000 rules a delivery streams 120 KB instead of striding through 4 MB of Rules,
// and reads a Rule only when it fires, is traced or has nested groups.
struct RuleHead {
  // Flat: its conditions are all conditions (no nested group), ConditionTable::keys[first_key,
  // first_key + key_count) in order, so that it is evaluated from them without reading its nodes.
  std::uint32_t first_key = 0;
  std::uint32_t key_count = 0;
  bool enabled = true;
  bool debug = false;
  bool flat = false;
  bool all = true; // the policy of its root group
};

// The conditions of a config's flat rules, each distinct one (same path, type, value and negate)
// under one key, which a delivery judges once per event for every rule that has it.
struct ConditionTable {
  std::vector<const Node *> judged_by; // key -> a node with that condition
  std::vector<std::uint32_t> keys;     // the flat rules' condition keys, rule after rule
};

struct Config {
  std::vector<Rule> rules;
  std::vector<RuleHead> heads; // one per rule (index_rules)
  // The literal job ids of the rules (most are), one after the other in rule order: the jobs of
  // many fired rules read them from one block, not from a heap block each (index_rules). Key
  // storage values stay in their Secrets.
  std::unique_ptr<char[]> job_id_pool;
  std::optional<json::JsonPath> batch_key;
  std::optional<json::JsonPath> event_id_key;
  bool return_processing_info = false;
  std::string key_storage_path;
  Limits limits;
  bool empty_for_missing = false;     // missingValues: "empty" (TemplateOptions)
  std::vector<Diagnostic> diagnostics; // compiling's; the handler adds its own and lint's
  // Every JsonPath of the config (conditions, values, batchKey, eventIdKey), each distinct one
  // compiled once; a delivery resolves each slot at most once per event.
  json::PathTable paths;
  // Every value that reads the delivery (options, node filters, users, job ids), each distinct
  // one compiled once; a delivery renders each slot at most once per event.
  ValueTable values;
  ConditionTable conditions;
};

// Gives every rule its head, and the flat rules their condition keys (see RuleHead, ConditionTable):
// the last step of compiling a config, once its rules are read.
void index_rules(Config &config);

// Looks a `${KS:path}` reference up; nullopt when the key does not exist. The returned text is a
// secret: it is never quoted in an error.
using SecretLookup = std::function<std::optional<Secret>(std::string_view path)>;

struct CompileOptions {
  std::optional<std::string> default_batch_key; // a provider's implied batch key
  SecretLookup lookup_secret;                   // may be empty: ${KS:...} is then an error
};

// Parses and compiles; throws rdwh::ConfigError naming the field ("rules[1].conditions[0].value").
// `text` is a JSON object, or a JSON string holding one (Rundeck's export form); empty means {}.
// The rule engine's config (advanced-run-job, the PagerDuty handlers):
Config compile_config(std::string_view text, const CompileOptions &options);
// webhook-run-job's config, as one rule that always fires (jobId required):
Config compile_run_job_config(std::string_view text, const CompileOptions &options);

} // namespace rdwh::rules
