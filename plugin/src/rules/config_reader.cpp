#include "rules/config_reader.hpp"

#include "base/error.hpp"
#include "base/text.hpp"
#include "json/parse.hpp"
#include "json/text.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

namespace rdwh::rules {
namespace {

using json::Value;

constexpr std::string_view ks_prefix = "${KS:";

} // namespace

const Value &Reader::read_document(std::string_view text, rapidjson::Document &doc) {
  json::ParseLimits parse_limits;
  std::string_view trimmed = text::trim(text);
  if (trimmed.empty()) trimmed = "{}";
  // A config is written by hand: say where a syntax error is as an editor does.
  if (auto failure = json::parse(trimmed, doc, parse_limits); failure.failed)
    throw ConfigError("config", fmt::format("is not valid JSON: {} at {}", failure.message,
                                            json::line_column(text, failure.offset + (trimmed.data() - text.data()))));
  // Rundeck's export stores the config as a JSON string; accept that form too.
  if (doc.IsString()) {
    const std::string_view held(doc.GetString(), doc.GetStringLength());
    if (auto failure = json::parse(held, inner_, parse_limits); failure.failed)
      throw ConfigError("config", fmt::format("is a string that is not valid JSON: {} at {} of the string",
                                              failure.message, json::line_column(held, failure.offset)));
    doc.Swap(inner_);
  }
  if (!doc.IsObject()) throw ConfigError("config", fmt::format("must be a map, not a {}", json::type_name(doc)));
  resolve_key_storage(doc, doc.GetAllocator(), "");
  read_limits(doc);
  read_missing_values(doc);
  return doc;
}

// Replaces ${KS:path} in every string of the tree (nested maps and lists too), as Rundeck does.
void Reader::resolve_key_storage(Value &v, rapidjson::Document::AllocatorType &alloc, const std::string &field) {
  if (v.IsObject()) {
    for (auto &m : v.GetObject()) resolve_key_storage(m.value, alloc, field_name(field, m.name.GetString()));
    return;
  }
  if (v.IsArray()) {
    rapidjson::SizeType i = 0;
    for (auto &e : v.GetArray()) resolve_key_storage(e, alloc, fmt::format("{}[{}]", field, i++));
    return;
  }
  if (!v.IsString()) return;
  const std::string_view s(v.GetString(), v.GetStringLength());
  if (s.find(ks_prefix) == std::string_view::npos) return;
  Secret out;
  std::size_t pos = 0;
  for (std::size_t start; (start = s.find(ks_prefix, pos)) != std::string_view::npos;) {
    const std::size_t end = s.find('}', start);
    if (end == std::string_view::npos) throw ConfigError(field, "unterminated ${KS:...} key storage reference");
    const std::string_view path = s.substr(start + ks_prefix.size(), end - start - ks_prefix.size());
    if (!options_.lookup_secret) throw ConfigError(field, "refers to key storage but the host provides none");
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

std::string Reader::field_name(const std::string &parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string Reader::shown(const Value &v) const {
  if (from_key_storage_.count(&v)) return "(a value from key storage)";
  // A list or map is named by its type, never quoted: it may hold a key-storage value.
  if (v.IsObject() || v.IsArray()) return std::string("a ") + json::type_name(v);
  std::string text = json::to_text(v);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return "'" + text + "'";
}

const Value *Reader::member(const Value &obj, const char *key) const {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

// A string as a view into the DOM (whose key-storage values are wiped at the end), never a copy;
// a number or boolean as its text.
std::optional<std::string_view> Reader::scalar_text(const Value &v) const {
  if (v.IsString()) return std::string_view(v.GetString(), v.GetStringLength());
  if (v.IsNumber() || v.IsBool()) return scalar_texts_.emplace_back(json::to_text(v));
  return std::nullopt;
}

std::optional<std::string_view> Reader::string_field(const Value &obj, const char *key, const std::string &field) const {
  const Value *v = member(obj, key);
  if (!v) return std::nullopt;
  if (auto text = scalar_text(*v)) return text;
  throw ConfigError(field_name(field, key), fmt::format("must be a string, not a {}", json::type_name(*v)));
}

bool Reader::bool_field(const Value &obj, const char *key, const std::string &field, bool fallback) const {
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

std::size_t Reader::size_field(const Value &obj, const char *key, const std::string &field, std::size_t fallback) const {
  const Value *v = member(obj, key);
  if (!v) return fallback;
  if (v->IsUint64() && v->GetUint64() > 0) return static_cast<std::size_t>(v->GetUint64());
  throw ConfigError(field_name(field, key), fmt::format("must be a positive integer, not {}", shown(*v)));
}

const Value *Reader::array_field(const Value &obj, const char *key, const std::string &field) const {
  const Value *v = member(obj, key);
  if (!v) return nullptr;
  if (!v->IsArray()) throw ConfigError(field_name(field, key), fmt::format("must be a list, not a {}", json::type_name(*v)));
  return v;
}

void Reader::diagnose(Diagnostic::Kind kind, const std::string &field, const std::string &rule, std::string message,
                      std::string suggestion) {
  config_.diagnostics.push_back({kind, field, rule, std::move(message), std::move(suggestion)});
}

void Reader::check_keys(const Value &obj, const std::string &field, std::initializer_list<std::string_view> known,
                        const std::string &rule) {
  for (const auto &m : obj.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string_view suggestion = text::closest(key, known);
    const std::string where = field_name(field, key);
    diagnose(Diagnostic::Kind::unknown_key, where, rule,
             suggestion.empty() ? fmt::format("{}: unknown key '{}' ignored", field.empty() ? "config" : field, key)
                                : fmt::format("{}: unknown key '{}' ignored (did you mean '{}'?)",
                                              field.empty() ? "config" : field, key, suggestion),
             std::string(suggestion));
  }
}

// Syntax errors quote the text; when the text came from key storage, they must not.
void Reader::syntax_error(const std::string &field, const std::string &rule, const SyntaxError &e, const char *what) const {
  const std::string of_rule = rule.empty() ? "" : fmt::format(" (rule '{}')", rule);
  if (key_storage_fields_.count(field))
    throw ConfigError(field, fmt::format("(a value from key storage) is not a valid {}{}", what, of_rule));
  throw ConfigError(field, e.what() + of_rule);
}

json::JsonPath Reader::path(std::string_view text, const std::string &field, bool condition) const {
  json::PathLimits limits = config_.limits.path_limits();
  limits.missing_leaf_null = condition;
  try {
    return config_.paths.intern(json::JsonPath::compile(text, limits));
  } catch (const SyntaxError &e) {
    syntax_error(field, {}, e, "JsonPath");
  }
}

ValueExpr Reader::value_expr(std::string_view text, const std::string &field, const std::string &rule,
                             bool always_template) const {
  TemplateOptions options;
  options.limits = config_.limits.path_limits();
  options.empty_for_missing = config_.empty_for_missing;
  options.always_template = always_template;
  options.from_key_storage = key_storage_fields_.count(field) > 0;
  options.paths = &config_.paths;
  try {
    return config_.values.intern(ValueExpr::compile(text, options));
  } catch (const SyntaxError &e) {
    syntax_error(field, rule, e, "value");
  }
}

void Reader::read_limits(const Value &root) {
  const Value *limits = member(root, "limits");
  if (!limits) return;
  if (!limits->IsObject()) throw ConfigError("limits", "must be a map");
  Limits &l = config_.limits;
  check_keys(*limits, "limits", {"maxBodyBytes", "maxDepth", "maxBatchItems", "maxRules", "maxConditions",
                                 "maxValueBytes", "maxHeaders", "maxHeaderBytes", "maxPathResults", "maxPathWork"});
  l.max_body_bytes = size_field(*limits, "maxBodyBytes", "limits", l.max_body_bytes);
  l.max_depth = size_field(*limits, "maxDepth", "limits", l.max_depth);
  l.max_batch_items = size_field(*limits, "maxBatchItems", "limits", l.max_batch_items);
  l.max_rules = size_field(*limits, "maxRules", "limits", l.max_rules);
  l.max_conditions = size_field(*limits, "maxConditions", "limits", l.max_conditions);
  l.max_value_bytes = size_field(*limits, "maxValueBytes", "limits", l.max_value_bytes);
  l.max_headers = size_field(*limits, "maxHeaders", "limits", l.max_headers);
  l.max_header_bytes = size_field(*limits, "maxHeaderBytes", "limits", l.max_header_bytes);
  l.max_path_results = size_field(*limits, "maxPathResults", "limits", l.max_path_results);
  l.max_path_work = size_field(*limits, "maxPathWork", "limits", l.max_path_work);
}

// `missingValues`: "null" (Groovy's, the default) or "empty".
void Reader::read_missing_values(const Value &root) {
  const std::optional<std::string_view> mode = string_field(root, "missingValues", "");
  if (!mode || mode->empty() || *mode == "null") return;
  if (*mode != "empty")
    throw ConfigError("missingValues", fmt::format("must be 'null' or 'empty', not {}", shown(*member(root, "missingValues"))));
  config_.empty_for_missing = true;
}

// Wipes the DOM's copies of key-storage values before the arena is freed.
void Reader::wipe_key_storage_values() {
  for (const Value *v : from_key_storage_) OPENSSL_cleanse(const_cast<char *>(v->GetString()), v->GetStringLength());
  from_key_storage_.clear();
}

} // namespace rdwh::rules
