#include "rules/config.hpp"

#include "base/error.hpp"
#include "base/text.hpp"
#include "json/parse.hpp"
#include "json/text.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace rdwh::rules {
namespace {

using json::Value;

constexpr std::string_view ks_prefix = "${KS:";

// Reads the config DOM, naming fields in errors and never quoting a value that came from key
// storage.
class Reader {
public:
  Reader(const CompileOptions &options, Config &config) : options_(options), config_(config) {}

  // Replaces ${KS:path} in every string of the tree (nested maps and lists too), as Rundeck does.
  void resolve_key_storage(Value &v, rapidjson::Document::AllocatorType &alloc, const std::string &field) {
    if (v.IsObject()) {
      for (auto &m : v.GetObject()) resolve_key_storage(m.value, alloc, field_name(field, m.name.GetString()));
    } else if (v.IsArray()) {
      rapidjson::SizeType i = 0;
      for (auto &e : v.GetArray()) resolve_key_storage(e, alloc, fmt::format("{}[{}]", field, i++));
    } else if (v.IsString()) {
      std::string_view s(v.GetString(), v.GetStringLength());
      if (s.find(ks_prefix) == std::string_view::npos) return;
      Secret out;
      std::size_t pos = 0;
      while (true) {
        std::size_t start = s.find(ks_prefix, pos);
        if (start == std::string_view::npos) break;
        std::size_t end = s.find('}', start);
        if (end == std::string_view::npos)
          throw ConfigError(field, "unterminated ${KS:...} key storage reference");
        std::string_view path = s.substr(start + ks_prefix.size(), end - start - ks_prefix.size());
        if (!options_.lookup_secret)
          throw ConfigError(field, "refers to key storage but the host provides none");
        auto secret = options_.lookup_secret(path);
        if (!secret) throw ConfigError(field, fmt::format("key storage has no key '{}'", path));
        out.append(s.substr(pos, start - pos));
        out.append(*secret);
        pos = end + 1;
      }
      out.append(s.substr(pos));
      v.SetString(out.view().data(), static_cast<rapidjson::SizeType>(out.size()), alloc);
      from_key_storage_.insert(&v);
      key_storage_fields_.insert(field);
    }
  }

  static std::string field_name(const std::string &parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }

  // A value for an error message: quoted, shortened, or hidden when it is a secret.
  std::string shown(const Value &v) const {
    if (from_key_storage_.count(&v)) return "(a value from key storage)";
    // A list or map is named by its type, never quoted: it may hold a key-storage value.
    if (v.IsObject() || v.IsArray()) return std::string("a ") + json::type_name(v);
    std::string text = json::to_text(v);
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return "'" + text + "'";
  }

  const Value *member(const Value &obj, const char *key) const {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }

  // A string as a view into the DOM (whose key-storage values are wiped at the end), never a
  // copy; a number or boolean as its text (UI forms send scalars as text); nullopt otherwise.
  std::optional<std::string_view> scalar_text(const Value &v) const {
    if (v.IsString()) return std::string_view(v.GetString(), v.GetStringLength());
    if (v.IsNumber() || v.IsBool()) return scalar_texts_.emplace_back(json::to_text(v));
    return std::nullopt;
  }

  std::optional<std::string_view> string_field(const Value &obj, const char *key, const std::string &field) const {
    const Value *v = member(obj, key);
    if (!v) return std::nullopt;
    if (auto text = scalar_text(*v)) return text;
    throw ConfigError(field_name(field, key), fmt::format("must be a string, not a {}", json::type_name(*v)));
  }

  bool bool_field(const Value &obj, const char *key, const std::string &field, bool fallback) const {
    const Value *v = member(obj, key);
    if (!v) return fallback;
    if (v->IsBool()) return v->GetBool();
    if (v->IsString()) {
      std::string_view s(v->GetString(), v->GetStringLength());
      if (s == "true") return true;
      if (s == "false") return false;
      if (s.empty()) return fallback;
    }
    throw ConfigError(field_name(field, key), fmt::format("must be true or false, not {}", shown(*v)));
  }

  std::size_t size_field(const Value &obj, const char *key, const std::string &field, std::size_t fallback) const {
    const Value *v = member(obj, key);
    if (!v) return fallback;
    if (v->IsUint64() && v->GetUint64() > 0) return static_cast<std::size_t>(v->GetUint64());
    throw ConfigError(field_name(field, key), fmt::format("must be a positive integer, not {}", shown(*v)));
  }

  const Value *array_field(const Value &obj, const char *key, const std::string &field) const {
    const Value *v = member(obj, key);
    if (!v) return nullptr;
    if (!v->IsArray())
      throw ConfigError(field_name(field, key), fmt::format("must be a list, not a {}", json::type_name(*v)));
    return v;
  }

  void warn_unknown_keys(const Value &obj, const std::string &field, std::initializer_list<std::string_view> known) {
    for (const auto &m : obj.GetObject()) {
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (std::find(known.begin(), known.end(), key) == known.end())
        config_.warnings.push_back(fmt::format("{}: unknown key '{}' ignored", field.empty() ? "config" : field, key));
    }
  }

  // Syntax errors quote the text; when the text came from key storage, they must not.
  [[noreturn]] void syntax_error(const std::string &field, const SyntaxError &e, const char *what) const {
    if (key_storage_fields_.count(field))
      throw ConfigError(field, fmt::format("(a value from key storage) is not a valid {}", what));
    throw ConfigError(field, e.what());
  }

  json::JsonPath path(std::string_view text, const std::string &field) const {
    try {
      return json::JsonPath::compile(text, config_.limits.path_limits());
    } catch (const SyntaxError &e) {
      syntax_error(field, e, "JsonPath");
    }
  }

  ValueExpr value_expr(std::string_view text, const std::string &field) const {
    try {
      return ValueExpr::compile(text, config_.limits.path_limits());
    } catch (const SyntaxError &e) {
      syntax_error(field, e, "value");
    }
  }

  // Whether the string at `v` holds a key-storage value (its text is then never shown).
  bool from_key_storage(const Value *v) const { return v && from_key_storage_.count(v); }

  Policy policy(const Value &obj, const std::string &field) const {
    auto text = string_field(obj, "policy", field);
    if (!text || text->empty() || *text == "all") return Policy::all;
    if (*text == "any") return Policy::any;
    throw ConfigError(field_name(field, "policy"),
                      fmt::format("must be 'all' or 'any', not {}", shown(*member(obj, "policy"))));
  }

  // One entry of a conditions list: a condition {path, condition, value}, or (rdwh) a nested
  // group {policy, conditions}; either may have negate: true.
  Node node(const Value &v, const std::string &field, std::size_t &budget) {
    if (!v.IsObject()) throw ConfigError(field, fmt::format("must be a map, not a {}", json::type_name(v)));
    if (budget-- == 0)
      throw ConfigError(field, fmt::format("more than {} conditions in one rule (limits.maxConditions)",
                                           config_.limits.max_conditions));
    Node n;
    n.negate = bool_field(v, "negate", field, false);
    if (member(v, "conditions") && !member(v, "condition")) {
      warn_unknown_keys(v, field, {"policy", "conditions", "negate"});
      group(v, field, n, budget);
      return n;
    }
    warn_unknown_keys(v, field, {"path", "condition", "value", "negate"});
    auto type_name = string_field(v, "condition", field);
    if (!type_name || type_name->empty()) throw ConfigError(field_name(field, "condition"), "is required");
    n.type = find_condition_type(*type_name);
    if (!n.type)
      throw ConfigError(field_name(field, "condition"),
                        fmt::format("unknown condition {} (known: {})", shown(*member(v, "condition")),
                                    condition_type_names()));
    if (n.type->name != n.type->canonical)
      config_.warnings.push_back(fmt::format("{}.condition: '{}' is the old name of '{}'", field,
                                             n.type->name, n.type->canonical));
    n.path_text = Secret(string_field(v, "path", field).value_or(""));
    if (!n.path_text.empty()) n.path = path(n.path_text, field_name(field, "path"));
    n.value = Secret(string_field(v, "value", field).value_or(""));
    n.value_is_secret = from_key_storage(member(v, "value"));
    try {
      n.matcher = n.type->make(n.value);
    } catch (const SyntaxError &e) {
      // The message quotes the value; hide it when it came from key storage.
      const Value *raw = member(v, "value");
      if (raw && from_key_storage_.count(raw))
        throw ConfigError(field_name(field, "value"), "(a value from key storage) is not valid for this condition");
      throw ConfigError(field_name(field, "value"), e.what());
    }
    return n;
  }

  void group(const Value &obj, const std::string &field, Node &out, std::size_t &budget) {
    out.policy = policy(obj, field);
    if (const Value *list = array_field(obj, "conditions", field)) {
      rapidjson::SizeType i = 0;
      for (const auto &c : list->GetArray()) out.children.push_back(node(c, fmt::format("{}.conditions[{}]", field, i++), budget));
    }
  }

  std::optional<ValueExpr> optional_expr(const Value &obj, const char *key, const std::string &field) const {
    auto text = string_field(obj, key, field);
    if (!text || text->empty()) return std::nullopt;
    return value_expr(*text, field_name(field, key));
  }

  // A later option of the same name replaces the earlier one, as in a map.
  void add_option(Rule &r, std::string name, ValueExpr value, const std::string &field) {
    auto same = std::find_if(r.options.begin(), r.options.end(), [&](const JobOption &x) { return x.name == name; });
    if (same != r.options.end()) {
      config_.warnings.push_back(fmt::format("{}: option '{}' given twice; the last one is used", field, name));
      same->value = std::move(value);
    } else {
      r.options.push_back({std::move(name), std::move(value)});
    }
  }

  // jobOptions: a list of {name, value}, or (the shape Rundeck's job run API takes) a map of
  // option name to value.
  void job_options(const Value &v, const std::string &field, Rule &r) {
    const Value *options = member(v, "jobOptions");
    if (options && options->IsObject()) {
      for (const auto &m : options->GetObject()) {
        std::string name(m.name.GetString(), m.name.GetStringLength());
        const std::string ofield = field_name(field + ".jobOptions", name);
        const std::optional<std::string_view> text = scalar_text(m.value);
        if (!text) throw ConfigError(ofield, fmt::format("must be a string, not a {}", json::type_name(m.value)));
        add_option(r, name, value_expr(*text, ofield), ofield);
      }
    } else if ((options = array_field(v, "jobOptions", field))) {
      rapidjson::SizeType i = 0;
      for (const auto &o : options->GetArray()) {
        const std::string ofield = fmt::format("{}.jobOptions[{}]", field, i++);
        if (!o.IsObject()) throw ConfigError(ofield, fmt::format("must be a map, not a {}", json::type_name(o)));
        auto name = string_field(o, "name", ofield);
        if (!name || name->empty()) throw ConfigError(ofield + ".name", "is required");
        add_option(r, std::string(*name), value_expr(string_field(o, "value", ofield).value_or(""), ofield + ".value"), ofield);
      }
    }
  }

  Rule rule(const Value &v, std::size_t index) {
    const std::string field = fmt::format("rules[{}]", index);
    if (!v.IsObject()) throw ConfigError(field, fmt::format("must be a map, not a {}", json::type_name(v)));
    warn_unknown_keys(v, field, {"name", "description", "debug", "enabled", "policy", "jobId", "jobName",
                                 "jobArgString", "jobOptions", "nodeFilter", "user", "conditions", "uuid"});
    Rule r;
    r.index = index;
    r.name = string_field(v, "name", field).value_or("");
    if (r.name.empty()) r.name = fmt::format("Rule {}", index + 1);
    r.uuid = string_field(v, "uuid", field).value_or("");
    r.enabled = bool_field(v, "enabled", field, true);
    r.debug = bool_field(v, "debug", field, false);
    r.job_id = optional_expr(v, "jobId", field);
    if (auto args = string_field(v, "jobArgString", field); args && !args->empty())
      config_.warnings.push_back(field + ".jobArgString is not supported and is ignored: use jobOptions");
    job_options(v, field, r);
    r.node_filter = optional_expr(v, "nodeFilter", field);
    r.user = optional_expr(v, "user", field);
    std::size_t budget = config_.limits.max_conditions;
    group(v, field, r.root, budget);
    return r;
  }

  // Wipes the DOM's copies of key-storage values before the arena is freed.
  void wipe_key_storage_values() {
    for (const Value *v : from_key_storage_)
      OPENSSL_cleanse(const_cast<char *>(v->GetString()), v->GetStringLength());
    from_key_storage_.clear();
  }

private:
  const CompileOptions &options_;
  Config &config_;
  std::unordered_set<const Value *> from_key_storage_;
  std::unordered_set<std::string> key_storage_fields_; // field names, as in errors
  mutable std::deque<std::string> scalar_texts_;       // numbers and booleans read as text
};

void read_limits(const Reader &reader, const Value &root, Config &config) {
  const Value *limits = reader.member(root, "limits");
  if (!limits) return;
  if (!limits->IsObject()) throw ConfigError("limits", "must be a map");
  Limits &l = config.limits;
  l.max_body_bytes = reader.size_field(*limits, "maxBodyBytes", "limits", l.max_body_bytes);
  l.max_depth = reader.size_field(*limits, "maxDepth", "limits", l.max_depth);
  l.max_batch_items = reader.size_field(*limits, "maxBatchItems", "limits", l.max_batch_items);
  l.max_rules = reader.size_field(*limits, "maxRules", "limits", l.max_rules);
  l.max_conditions = reader.size_field(*limits, "maxConditions", "limits", l.max_conditions);
  l.max_value_bytes = reader.size_field(*limits, "maxValueBytes", "limits", l.max_value_bytes);
  l.max_headers = reader.size_field(*limits, "maxHeaders", "limits", l.max_headers);
  l.max_header_bytes = reader.size_field(*limits, "maxHeaderBytes", "limits", l.max_header_bytes);
  l.max_path_results = reader.size_field(*limits, "maxPathResults", "limits", l.max_path_results);
  l.max_path_work = reader.size_field(*limits, "maxPathWork", "limits", l.max_path_work);
}

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

Config compile_config(std::string_view text, const CompileOptions &options) {
  Config config;
  rapidjson::Document doc;
  json::ParseLimits parse_limits;
  std::string_view trimmed = text::trim(text);
  if (trimmed.empty()) trimmed = "{}";
  // A config is written by hand: say where a syntax error is as an editor does.
  if (auto failure = json::parse(trimmed, doc, parse_limits); failure.failed)
    throw ConfigError("config", fmt::format("is not valid JSON: {} at {}", failure.message,
                                            json::line_column(text, failure.offset + (trimmed.data() - text.data()))));
  // Rundeck's export stores the config as a JSON string; accept that form too.
  rapidjson::Document inner;
  if (doc.IsString()) {
    const std::string_view held(doc.GetString(), doc.GetStringLength());
    if (auto failure = json::parse(held, inner, parse_limits); failure.failed)
      throw ConfigError("config", fmt::format("is a string that is not valid JSON: {} at {} of the string",
                                              failure.message, json::line_column(held, failure.offset)));
    doc.Swap(inner);
  }
  if (!doc.IsObject()) throw ConfigError("config", fmt::format("must be a map, not a {}", json::type_name(doc)));

  Reader reader(options, config);
  struct WipeOnExit {
    Reader &r;
    ~WipeOnExit() { r.wipe_key_storage_values(); }
  } wipe_on_exit{reader};
  reader.resolve_key_storage(doc, doc.GetAllocator(), "");
  reader.warn_unknown_keys(doc, "", {"rules", "batchKey", "eventIdKey", "returnProcessingInfo",
                                     "keyStoragePath", "limits"});
  read_limits(reader, doc, config);

  std::optional<std::string_view> batch_key = reader.string_field(doc, "batchKey", "");
  if ((!batch_key || batch_key->empty()) && options.default_batch_key) batch_key = *options.default_batch_key;
  if (batch_key && !batch_key->empty()) config.batch_key = reader.path(*batch_key, "batchKey");
  if (auto key = reader.string_field(doc, "eventIdKey", ""); key && !key->empty())
    config.event_id_key = reader.path(*key, "eventIdKey");
  config.return_processing_info = reader.bool_field(doc, "returnProcessingInfo", "", false);
  config.key_storage_path = reader.string_field(doc, "keyStoragePath", "").value_or("");

  if (const Value *rules = reader.array_field(doc, "rules", "")) {
    if (rules->Size() > config.limits.max_rules)
      throw ConfigError("rules", fmt::format("{} rules exceed the limit of {} (limits.maxRules)", rules->Size(),
                                             config.limits.max_rules));
    config.rules.reserve(rules->Size());
    std::size_t i = 0;
    for (const auto &r : rules->GetArray()) config.rules.push_back(reader.rule(r, i++));
  }
  assign_rule_keys(config.rules);
  return config;
}

} // namespace rdwh::rules
