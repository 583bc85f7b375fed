#include "providers/lint.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace rdwh::providers {
namespace {

using rules::Node;
using Parts = std::vector<std::string_view>;

// A provider's payload fields as dotted keys ("event.data.teams[].summary"); a key ending in `*`
// covers everything below it.
class Shape {
public:
  explicit Shape(const PayloadShape &payload) {
    for (std::string_view field : payload.fields) {
      const std::size_t at = field.find("@ref");
      if (at == std::string_view::npos) {
        fields_.emplace_back(field);
        continue;
      }
      for (std::string_view member : {"id", "type", "self", "html_url", "summary"})
        fields_.push_back(fmt::format("{}.{}", field.substr(0, at), member));
    }
  }

  // How many of `parts` the shape knows (all of them when the path can exist).
  std::size_t known(const Parts &parts, std::string *key_out = nullptr) const {
    std::string key;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i] == "?") { // a filter: into a list's elements, or on the map itself
        if (covers(key + "[]")) key += "[]";
        continue;
      }
      const std::string next = parts[i] == "[]" ? key + "[]" : key.empty() ? std::string(parts[i]) : key + "." + std::string(parts[i]);
      if (!covers(next)) {
        if (key_out) *key_out = key;
        return i;
      }
      key = next;
    }
    return parts.size();
  }

  // The names that can follow `key`.
  std::vector<std::string> children(const std::string &key) const {
    std::vector<std::string> out;
    for (const std::string &f : fields_) {
      if (!f.starts_with(key) || f.size() <= key.size() + (key.empty() ? 0 : 1)) continue;
      std::string_view rest = std::string_view(f).substr(key.size());
      if (!key.empty()) {
        if (rest.front() != '.') continue;
        rest.remove_prefix(1);
      }
      const std::string name(rest.substr(0, rest.find_first_of(".[*")));
      if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
  }

private:
  std::vector<std::string> fields_;

  // `key` is a field, holds one, or is under an open one.
  bool covers(const std::string &key) const {
    return std::any_of(fields_.begin(), fields_.end(), [&](const std::string &f) {
      if (f.ends_with('*')) {
        const std::string_view base = std::string_view(f).substr(0, f.size() - 1);
        if (key.starts_with(base) || base.starts_with(key + ".") || base.starts_with(key + "[")) return true;
      }
      return f == key || f.starts_with(key + ".") || f.starts_with(key + "[");
    });
  }
};

class Linter {
public:
  Linter(const ProviderSpec &provider, std::vector<Diagnostic> &out)
      : payload_(*provider.payload), shape_(*provider.payload), out_(out) {}

  void rule(const rules::Rule &r) {
    const std::string field = fmt::format("rules[{}]", r.index);
    const std::string why = never(r.root, field, r);
    if (r.enabled && !why.empty())
      out_.push_back({Diagnostic::Kind::never_matches, field, r.name,
                      fmt::format("{}: rule '{}' can never match: {}", field, r.name, why), {}});
    for (std::size_t k = 0; k < r.options.size(); ++k)
      value(r.options[k].value, fmt::format("{}.jobOptions[{}].value", field, k), r.name);
    if (r.job_id) value(*r.job_id, field + ".jobId", r.name);
    if (r.node_filter) value(*r.node_filter, field + ".nodeFilter", r.name);
    if (r.user) value(*r.user, field + ".user", r.name);
  }

private:
  const PayloadShape &payload_;
  Shape shape_;
  std::vector<Diagnostic> &out_;

  // Why `parts` cannot exist in the payloads ("" when they can); `shown` is the path as written.
  std::string unknown(const Parts &parts, std::string_view shown, std::string *suggestion) const {
    std::string key;
    const std::size_t k = shape_.known(parts, &key);
    if (k == parts.size()) return {};
    std::vector<std::string> names = shape_.children(key);
    const std::string_view best = text::closest(parts[k], std::vector<std::string_view>(names.begin(), names.end()));
    if (!best.empty()) {
      std::string path = "$";
      for (std::size_t i = 0; i < k; ++i) path += parts[i] == "[]" || parts[i] == "?" ? "[*]" : "." + std::string(parts[i]);
      *suggestion = path + "." + std::string(best);
    }
    return fmt::format("no {} has {}{}", payload_.payload_name, shown,
                       suggestion->empty() ? "" : fmt::format(" (did you mean {}?)", *suggestion));
  }

  void report(const std::string &field, const std::string &rule, const Parts &parts, std::string_view shown) {
    std::string suggestion;
    const std::string why = unknown(parts, shown, &suggestion);
    if (!why.empty())
      out_.push_back({Diagnostic::Kind::unknown_field, field, rule, fmt::format("{}: {}", field, why), suggestion});
  }

  // What Rundeck's Jayway makes of `path` where its writer probably meant something else.
  void notes(const json::JsonPath &path, const std::string &field, const std::string &rule) {
    for (json::JsonPath::Note &n : path.rundeck_notes()) {
      std::string message = fmt::format("{}: {}: {}", field, path.text(), n.message);
      if (!n.use.empty()) message += fmt::format("; use {} instead", n.use);
      out_.push_back({Diagnostic::Kind::unknown_field, field, rule, std::move(message), std::move(n.use)});
    }
  }

  // The paths of a value: a whole-value JsonPath, path('...') and data.x in templates.
  void value(const rules::ValueExpr &v, const std::string &field, const std::string &rule) {
    if (v.from_key_storage()) return;
    for (const rules::ValueExpr::Segment &seg : v.segments()) {
      if (seg.kind == rules::ValueExpr::Segment::Kind::path) {
        report(field, rule, seg.path->outline(), seg.path->text());
        notes(*seg.path, field, rule);
      } else if (seg.kind == rules::ValueExpr::Segment::Kind::data) {
        Parts parts;
        std::string shown = "data";
        for (const rules::GroovyStep &s : seg.steps) {
          parts.push_back(s.kind == rules::GroovyStep::Kind::index ? std::string_view("[]") : s.name.view());
          shown += s.kind == rules::GroovyStep::Kind::index ? fmt::format("[{}]", s.index) : "." + std::string(s.name.view());
        }
        report(field, rule, parts, shown);
      }
    }
  }

  // Why `n` can never hold ("" when it can); reports unknown condition paths on the way.
  std::string never(const Node &n, const std::string &field, const rules::Rule &r) {
    if (!n.is_group()) return never_condition(n, field, r);
    std::vector<std::string> reasons;
    for (std::size_t i = 0; i < n.children.size(); ++i)
      reasons.push_back(never(n.children[i], fmt::format("{}.conditions[{}]", field, i), r));
    if (n.negate) return {};
    if (n.policy == rules::Policy::all) {
      for (const std::string &why : reasons)
        if (!why.empty()) return why;
      return contradiction(n, field);
    }
    const bool none = !reasons.empty() && std::all_of(reasons.begin(), reasons.end(), [](const auto &w) { return !w.empty(); });
    return none ? fmt::format("none of {}'s conditions can hold ({})", field.empty() ? "the rule" : field, reasons.front()) : "";
  }

  std::string never_condition(const Node &n, const std::string &field, const rules::Rule &r) {
    if (!n.path || n.path_is_secret) return {};
    std::string suggestion;
    const std::string why = unknown(n.path->outline(), n.path_text.view(), &suggestion);
    if (!why.empty())
      out_.push_back({Diagnostic::Kind::unknown_field, field + ".path", r.name, fmt::format("{}.path: {}", field, why),
                      suggestion});
    notes(*n.path, field + ".path", r.name);
    if (n.negate) return {};
    const std::string_view type = n.type->canonical;
    if (!why.empty() && type != "isA") return fmt::format("{}: {}", field, why);
    if (type == "equals" && !n.value_is_secret && payload_.event_type_path && n.path->text() == payload_.event_type_path &&
        std::find(payload_.event_types.begin(), payload_.event_types.end(), n.value.view()) == payload_.event_types.end()) {
      const std::string_view best = text::closest(n.value.view(), std::vector<std::string_view>(payload_.event_types.begin(),
                                                                                                payload_.event_types.end()));
      return fmt::format("{}: '{}' is not a {}{}", field, n.value.view(), payload_.event_type_name,
                         best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best));
    }
    return {};
  }

  // Two `equals` of one path with different values under `all`.
  static std::string contradiction(const Node &group, const std::string &field) {
    for (std::size_t i = 0; i < group.children.size(); ++i)
      for (std::size_t j = i + 1; j < group.children.size(); ++j) {
        const Node &a = group.children[i], &b = group.children[j];
        const auto plain_equals = [](const Node &c) {
          return !c.is_group() && !c.negate && c.path && c.type->canonical == "equals" && !c.value_is_secret && !c.path_is_secret;
        };
        if (plain_equals(a) && plain_equals(b) && a.path->text() == b.path->text() && a.value.view() != b.value.view())
          return fmt::format("{}.conditions[{}] and [{}] want {} to equal both '{}' and '{}'", field, i, j,
                             a.path->text(), a.value.view(), b.value.view());
      }
    return {};
  }
};

} // namespace

void lint(const ProviderSpec &provider, const rules::Config &config, std::vector<Diagnostic> &out) {
  if (!provider.payload) return;
  const std::string_view own_batch = provider.default_batch_key ? provider.default_batch_key : "";
  if (config.batch_key ? config.batch_key->text() != own_batch : !own_batch.empty()) return;
  Linter linter(provider, out);
  for (const rules::Rule &r : config.rules) linter.rule(r);
}

} // namespace rdwh::providers
