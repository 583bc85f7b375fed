// The rule engine's config compiler (advanced-run-job and the PagerDuty handlers).
#include "rules/config.hpp"

#include "base/error.hpp"
#include "json/text.hpp"
#include "rules/config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

namespace rdwh::rules {
namespace {

using json::Value;

// Reads rules: conditions (nested groups included), job options, values.
class RuleReader {
public:
  explicit RuleReader(Reader &reader) : r_(reader) {}

  Rule rule(const Value &v, std::size_t index) {
    const std::string field = fmt::format("rules[{}]", index);
    if (!v.IsObject()) throw ConfigError(field, fmt::format("must be a map, not a {}", json::type_name(v)));
    Rule rule;
    rule.index = index;
    rule.name = r_.string_field(v, "name", field).value_or("");
    // A name from key storage is never shown (messages, logs, explanations, results): it is
    // "Rule N" as an unnamed rule's.
    const auto name = v.FindMember("name");
    if (rule.name.empty() || (name != v.MemberEnd() && r_.from_key_storage(&name->value)))
      rule.name = fmt::format("Rule {}", index + 1);
    r_.check_keys(v, field, {"name", "description", "debug", "enabled", "policy", "jobId", "jobName", "jobArgString",
                             "jobOptions", "nodeFilter", "user", "conditions", "uuid"}, rule.name);
    rule.uuid = r_.string_field(v, "uuid", field).value_or("");
    rule.enabled = r_.bool_field(v, "enabled", field, true);
    rule.debug = r_.bool_field(v, "debug", field, false);
    rule.job_id = optional_expr(v, "jobId", field, rule.name);
    if (rule.enabled && !rule.job_id)
      r_.diagnose(Diagnostic::Kind::rule_without_job, field + ".jobId", rule.name,
                  fmt::format("{}: rule '{}' is enabled but has no jobId: it runs nothing", field, rule.name));
    if (auto args = r_.string_field(v, "jobArgString", field); args && !args->empty())
      r_.diagnose(Diagnostic::Kind::ignored, field + ".jobArgString", rule.name,
                  field + ".jobArgString is not supported and is ignored: use jobOptions");
    job_options(v, field, rule);
    rule.node_filter = optional_expr(v, "nodeFilter", field, rule.name);
    rule.user = optional_expr(v, "user", field, rule.name);
    std::size_t budget = r_.config().limits.max_conditions;
    group(v, field, rule.root, budget, rule.name);
    rule.conditions = r_.config().limits.max_conditions - budget;
    return rule;
  }

private:
  Reader &r_;

  std::optional<ValueExpr> optional_expr(const Value &obj, const char *key, const std::string &field,
                                         const std::string &rule) const {
    auto text = r_.string_field(obj, key, field);
    if (!text || text->empty()) return std::nullopt;
    return r_.value_expr(*text, Reader::field_name(field, key), rule);
  }

  Policy policy(const Value &obj, const std::string &field) const {
    auto text = r_.string_field(obj, "policy", field);
    if (!text || text->empty() || *text == "all") return Policy::all;
    if (*text == "any") return Policy::any;
    throw ConfigError(Reader::field_name(field, "policy"),
                      fmt::format("must be 'all' or 'any', not {}", r_.shown(*r_.member(obj, "policy"))));
  }

  // One entry of a conditions list: a condition {path, condition, value}, or (rdwh) a nested
  // group {policy, conditions}; either may have negate: true.
  Node node(const Value &v, const std::string &field, std::size_t &budget, const std::string &rule) {
    if (!v.IsObject()) throw ConfigError(field, fmt::format("must be a map, not a {}", json::type_name(v)));
    if (budget-- == 0)
      throw ConfigError(field, fmt::format("more than {} conditions in one rule (limits.maxConditions)",
                                           r_.config().limits.max_conditions));
    Node n;
    n.negate = r_.bool_field(v, "negate", field, false);
    if (r_.member(v, "conditions") && !r_.member(v, "condition")) {
      r_.check_keys(v, field, {"policy", "conditions", "negate"}, rule);
      group(v, field, n, budget, rule);
      return n;
    }
    r_.check_keys(v, field, {"path", "condition", "value", "negate"}, rule);
    condition(v, field, n, rule);
    return n;
  }

  void condition(const Value &v, const std::string &field, Node &n, const std::string &rule) {
    auto type_name = r_.string_field(v, "condition", field);
    if (!type_name || type_name->empty()) throw ConfigError(Reader::field_name(field, "condition"), "is required");
    n.type = find_condition_type(*type_name);
    if (!n.type)
      throw ConfigError(Reader::field_name(field, "condition"),
                        fmt::format("unknown condition {} (known: {})", r_.shown(*r_.member(v, "condition")),
                                    condition_type_names()));
    if (n.type->name != n.type->canonical)
      r_.diagnose(Diagnostic::Kind::deprecated, field + ".condition", rule,
                  fmt::format("{}.condition: '{}' is the old name of '{}'", field, n.type->name, n.type->canonical),
                  std::string(n.type->canonical));
    n.path_text = Secret(r_.string_field(v, "path", field).value_or(""));
    n.path_is_secret = r_.from_key_storage(r_.member(v, "path"));
    if (!n.path_text.empty()) n.path = r_.path(n.path_text, Reader::field_name(field, "path"), true);
    n.value = Secret(r_.string_field(v, "value", field).value_or(""));
    n.value_is_secret = r_.from_key_storage(r_.member(v, "value"));
    try {
      n.matcher = n.type->make(n.value);
    } catch (const SyntaxError &e) {
      // The message quotes the value; hide it when it came from key storage.
      if (n.value_is_secret)
        throw ConfigError(Reader::field_name(field, "value"), "(a value from key storage) is not valid for this condition");
      throw ConfigError(Reader::field_name(field, "value"), e.what());
    }
  }

  void group(const Value &obj, const std::string &field, Node &out, std::size_t &budget, const std::string &rule) {
    out.policy = policy(obj, field);
    if (const Value *list = r_.array_field(obj, "conditions", field)) {
      rapidjson::SizeType i = 0;
      for (const auto &c : list->GetArray())
        out.children.push_back(node(c, fmt::format("{}.conditions[{}]", field, i++), budget, rule));
    }
  }

  // A later option of the same name replaces the earlier one, as in a map. `shown` is the name as
  // a message may show it.
  void add_option(Rule &r, std::string name, ValueExpr value, const std::string &field, const std::string &shown) {
    auto same = std::find_if(r.options.begin(), r.options.end(), [&](const JobOption &x) { return x.name == name; });
    if (same == r.options.end()) {
      r.options.push_back({std::move(name), std::move(value), shown});
      return;
    }
    r_.diagnose(Diagnostic::Kind::ignored, field, r.name,
                fmt::format("{}: option {} given twice; the last one is used", field, shown));
    same->value = std::move(value);
  }

  // jobOptions: a list of {name, value}, or (the shape Rundeck's job run API takes) a map of
  // option name to value.
  void job_options(const Value &v, const std::string &field, Rule &r) {
    const Value *options = r_.member(v, "jobOptions");
    if (options && options->IsObject()) {
      for (const auto &m : options->GetObject()) {
        std::string name(m.name.GetString(), m.name.GetStringLength());
        const std::string ofield = Reader::field_name(field + ".jobOptions", name);
        const std::optional<std::string_view> text = r_.scalar_text(m.value);
        if (!text) throw ConfigError(ofield, fmt::format("must be a string, not a {}", json::type_name(m.value)));
        add_option(r, name, r_.value_expr(*text, ofield, r.name), ofield, "'" + name + "'");
      }
      return;
    }
    if (!(options = r_.array_field(v, "jobOptions", field))) return;
    rapidjson::SizeType i = 0;
    for (const auto &o : options->GetArray()) {
      const std::string ofield = fmt::format("{}.jobOptions[{}]", field, i++);
      if (!o.IsObject()) throw ConfigError(ofield, fmt::format("must be a map, not a {}", json::type_name(o)));
      r_.check_keys(o, ofield, {"name", "value"}, r.name);
      auto name = r_.string_field(o, "name", ofield);
      if (!name || name->empty()) throw ConfigError(ofield + ".name", "is required");
      add_option(r, std::string(*name), r_.value_expr(r_.string_field(o, "value", ofield).value_or(""), ofield + ".value", r.name),
                 ofield, r_.shown(o["name"]));
    }
  }
};

// A rule's identity must survive reordering (the host de-duplicates jobs by it): the uuid Rundeck
// gives each rule, else its name; a repeated identity gets "#2", "#3"... in config order.
void assign_rule_keys(std::vector<Rule> &rules) {
  std::unordered_map<std::string, std::size_t> seen;
  for (Rule &r : rules) {
    std::string base = r.uuid.empty() ? r.name : r.uuid;
    const std::size_t n = ++seen[base];
    r.key = n == 1 ? std::move(base) : fmt::format("{}#{}", base, n);
  }
}

} // namespace

namespace {

void pool_job_ids(Config &config) {
  const auto pooled = [](const Rule &r) { return r.job_id && r.job_id->is_literal() && !r.job_id->from_key_storage(); };
  std::size_t size = 0;
  for (const Rule &r : config.rules)
    if (pooled(r)) size += r.job_id->literal_text().size();
  config.job_id_pool = std::make_unique<char[]>(size + 1);
  char *at = config.job_id_pool.get();
  for (Rule &r : config.rules) {
    if (!pooled(r)) continue;
    const std::string_view text = r.job_id->literal_text();
    std::copy(text.begin(), text.end(), at);
    r.job_id->read_literal_from({at, text.size()});
    at += text.size();
  }
}

} // namespace

void index_rules(Config &config) {
  pool_job_ids(config);
  using Key = std::tuple<std::uint32_t, std::string_view, std::string_view, bool>; // views into the rules
  std::map<Key, std::uint32_t> keys;
  ConditionTable &table = config.conditions;
  config.heads.clear();
  config.heads.reserve(config.rules.size());
  for (const Rule &r : config.rules) {
    RuleHead &head = config.heads.emplace_back();
    head.enabled = r.enabled;
    head.debug = r.debug;
    head.all = r.root.policy == Policy::all;
    const std::vector<Node> &children = r.root.children;
    head.flat = !r.root.negate && std::none_of(children.begin(), children.end(), [](const Node &n) { return n.is_group(); });
    if (!head.flat) continue;
    head.first_key = static_cast<std::uint32_t>(table.keys.size());
    head.key_count = static_cast<std::uint32_t>(children.size());
    for (const Node &n : children) {
      const Key key{n.path ? n.path->slot() : json::JsonPath::no_slot, n.type->canonical, n.value.view(), n.negate};
      auto [it, added] = keys.emplace(key, static_cast<std::uint32_t>(table.judged_by.size()));
      if (added) table.judged_by.push_back(&n);
      table.keys.push_back(it->second);
    }
  }
}

Config compile_config(std::string_view text, const CompileOptions &options) {
  Config config;
  rapidjson::Document doc;
  Reader reader(options, config);
  const Value &root = reader.read_document(text, doc);
  reader.check_keys(root, "", {"rules", "batchKey", "eventIdKey", "returnProcessingInfo", "keyStoragePath", "limits",
                               "missingValues"});
  std::optional<std::string_view> batch_key = reader.string_field(root, "batchKey", "");
  if ((!batch_key || batch_key->empty()) && options.default_batch_key) batch_key = *options.default_batch_key;
  if (batch_key && !batch_key->empty()) config.batch_key = reader.path(*batch_key, "batchKey");
  if (auto key = reader.string_field(root, "eventIdKey", ""); key && !key->empty())
    config.event_id_key = reader.path(*key, "eventIdKey");
  config.return_processing_info = reader.bool_field(root, "returnProcessingInfo", "", false);
  config.key_storage_path = reader.string_field(root, "keyStoragePath", "").value_or("");

  if (const Value *rules = reader.array_field(root, "rules", "")) {
    if (rules->Size() > config.limits.max_rules)
      throw ConfigError("rules", fmt::format("{} rules exceed the limit of {} (limits.maxRules)", rules->Size(),
                                             config.limits.max_rules));
    config.rules.reserve(rules->Size());
    RuleReader rule_reader(reader);
    std::size_t i = 0;
    for (const auto &r : rules->GetArray()) config.rules.push_back(rule_reader.rule(r, i++));
  }
  assign_rule_keys(config.rules);
  index_rules(config);
  return config;
}

} // namespace rdwh::rules
