// Rundeck's value syntax, used by job option values, nodeFilter, user and jobId (and each
// argString token of webhook-run-job), compiled once at config time into segments
// (pipeline/render.cpp renders them; nothing is parsed per delivery):
// - a value starting with `$` is a JsonPath over the event (`$` alone: the whole event as JSON);
// - anything else (or a value starting with `\$`) is a Groovy GString template, as Rundeck's
//   SimpleTemplateEngine reads it: `${data.a.b}`, `${data.arr[0]}`, `${data['key']}`,
//   `${data.a?.b}`, `$data.a` (short form), `${path('$.a')}`, `${raw}` (the body),
//   `${webhook.id|name|project|sender|timestamp}`, `${webhook['Header']}`, and Groovy's escapes in
//   the text (`\$`, `\n`, `\\`, `\u0041`...). Property access follows Groovy (rules/groovy.hpp).
//   What Rundeck would run as Groovy code (method calls, operators, `<% %>` scriptlets) and what
//   Groovy cannot compile (a lone `$`, an unknown escape) is refused here, at config load.
// Its text is kept in Secrets: a value may hold a ${KS:...} key-storage value.
#pragma once

#include "base/secret.hpp"
#include "base/slot_table.hpp"
#include "json/jsonpath.hpp"
#include "rules/groovy.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace rdwh::rules {

struct TemplateOptions {
  json::PathLimits limits;   // for the JsonPaths in the value
  // Config key `missingValues: "empty"`: a template renders a missing or null value as nothing
  // and never fails on one. By default (`"null"`) it renders Groovy's `null` and fails where
  // Groovy throws (a property of null, `path()` that finds nothing).
  bool empty_for_missing = false;
  // webhook-run-job: every value is a template, even one starting with `$` (Rundeck hands each
  // straight to Groovy).
  bool always_template = false;
  // The text holds a key-storage value: errors at delivery do not quote what it names.
  bool from_key_storage = false;
  // The config's path table: the value's JsonPaths are interned there (null: not interned).
  json::PathTable *paths = nullptr;
};

class ValueExpr {
public:
  struct Segment {
    enum class Kind { literal, data, path, raw, delivery_id, webhook_name, project, sender, timestamp, header };
    Kind kind = Kind::literal;
    Secret text;                        // literal text, or the header name
    std::vector<GroovyStep> steps;      // kind == data: the accessors after `data`
    std::optional<json::JsonPath> path; // kind == path
    bool groovy = true;                 // a template expression (not a whole-value JsonPath)
  };

  // Throws rdwh::SyntaxError naming the problem.
  static ValueExpr compile(std::string_view text, const TemplateOptions &options = {});

  // Copies share the compiled form (immutable).
  const std::vector<Segment> &segments() const noexcept { return compiled_->segments; }
  std::string_view text() const noexcept { return compiled_->text; }
  bool empty_for_missing() const noexcept { return compiled_->empty_for_missing; }
  bool from_key_storage() const noexcept { return compiled_->from_key_storage; }
  // True when the value is a fixed literal (no data reference): its rendering is literal_text().
  bool is_literal() const noexcept { return is_literal_; }
  // A literal's rendering (its text with the escapes resolved), read without going through the
  // compiled form.
  std::string_view literal_text() const noexcept { return literal_text_; }
  // Reads the literal's text from `copy` (the same text, kept in its config's pool: see
  // rules::index_rules). The copy must outlive this value.
  void read_literal_from(std::string_view copy) noexcept { literal_text_ = copy; }
  // The slot a ValueTable gave this value: identical values of one table share it. no_slot for a
  // literal, or a value compiled outside a table.
  static constexpr std::uint32_t no_slot = UINT32_MAX;
  std::uint32_t slot() const noexcept { return slot_; }

private:
  friend class ValueTable;
  struct Compiled {
    Secret text;
    bool empty_for_missing = false;
    bool from_key_storage = false;
    bool always_template = false;
    std::vector<Segment> segments;
  };
  explicit ValueExpr(std::shared_ptr<const Compiled> compiled);
  std::shared_ptr<const Compiled> compiled_;
  std::string_view literal_text_; // into compiled_
  std::uint32_t slot_ = no_slot;
  bool is_literal_ = false;
};

// The values of one config that read the delivery: identical ones (same text, same options) share
// one compiled form and one slot, as rules repeat the same options ("$.event.data.id",
// "${data.event.data.title}"), so a delivery renders each once per event (pipeline/render.cpp).
class ValueTable {
public:
  // `value`, or the identical value interned before (sharing its compiled form), with its slot; a
  // literal as it is.
  ValueExpr intern(ValueExpr value);
  std::uint32_t size() const noexcept { return table_.size(); }

private:
  SlotTable<ValueExpr> table_;
};

} // namespace rdwh::rules
