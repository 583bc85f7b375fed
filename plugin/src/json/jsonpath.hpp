// JsonPath, Jayway dialect (the one Rundeck uses), compiled once at config time and evaluated
// many times without re-parsing.
//
// Semantics are current Jayway's (2.10, the version Rundeck ships), read from its source:
// - steps: `$` root, `@` current (in filters), `.name`, `['name']` / `["name"]`, `['a','b']` (a
//   map of those members when last, each member otherwise), `[0]`, `[-1]`, `[0,2]`, `[1:3]`,
//   `[:2]`, `[-2:]`, `[*]`, `.*`, `..name`, `..*`, `..[0]`; a path that starts with neither `$` nor
//   `@` gets `$.` prepended (`event.id` means `$.event.id`);
// - functions: `.length()` / `.size()`, `.min()`, `.max()`, `.avg()`, `.sum()`, `.stddev()`,
//   `.first()`, `.last()`, `.index(n)`, `.keys()`, `.concat(...)`, `.append(...)`, with JSON or
//   path arguments (jsonpath_functions.cpp);
// - filters `[?(<expr>)]`: `@`/`$` paths (functions included), string, number, true/false/null
//   and JSON list/map literals, `== != === !== < <= > >=` (a number and a numeric string are
//   equal), `=~ /regex/flags` (RE2, jsonpath_regex.hpp), `in`, `nin`, `contains`, `size`,
//   `empty`, `subsetof`, `anyof`, `noneof`, existence (`[?(@.a)]`), `!`, `&&`, `||`, parentheses
//   (jsonpath_filter.cpp);
// - a path whose definite beginning is missing (`$.nope[*]`, `$.title[0]` on a string) finds
//   nothing at all, as Jayway's PathNotFoundException, not an empty list.
#pragma once

#include "base/reject.hpp"
#include "base/slot_table.hpp"
#include "json/rapidjson.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::json {

// Values a path makes rather than finds (function results, `['a','b']` maps); a Selection keeps
// them alive while it points to them.
struct Computed;

// What a path found in a document. Jayway returns a single value for a definite path (no
// wildcard, deep scan, filter, slice or multi-index) and a list for an indefinite one.
struct Selection {
  // failed: Jayway would throw (a function of an empty list, a filter on a string...): Rundeck's
  // handler fails on it; `error` says why.
  enum class Kind { missing, single, list, failed };
  Kind kind = Kind::missing;
  const Value *single = nullptr;     // kind == single (may point to a JSON null)
  std::vector<const Value *> list;   // kind == list (possibly empty), in document order
  std::string error;                 // kind == failed
  std::shared_ptr<const Computed> computed; // what single/list may point into, besides the document
};

// Limits that keep evaluation bounded on hostile documents.
struct PathLimits {
  std::size_t max_path_length = 4096;  // characters of path text (compile time)
  std::size_t max_steps = 256;         // steps in one path, filters included (compile time)
  std::size_t max_results = 100000;    // values one evaluation may collect (limits.maxPathResults)
  // Work one evaluation may do: nodes visited (deep scans count each node they walk), filter
  // tests, and values compared (deep equality and regex subjects count their size). Only
  // bounding results would leave `$..*..*..*[?(@.x)]` or `[?(@ == $)]` over a large document free
  // to run for minutes while collecting nothing (limits.maxPathWork).
  std::size_t max_work = 4000000;
  // Not a limit but how the path reads: a missing last member of a map gives null rather than
  // nothing (Jayway's Option.DEFAULT_PATH_LEAF_TO_NULL, which Rundeck's conditions use), so
  // `$.p[*].t` over `[{"t":1},{}]` is [1,null].
  bool missing_leaf_null = false;
};

class JsonPath {
public:
  // Compiles `text`; throws rdwh::SyntaxError with a message that names the offending character
  // position (never the document). A filter's `=~` regex and JSON literals are compiled here too.
  static JsonPath compile(std::string_view text, const PathLimits &limits = {});

  // Copies share the compiled form (immutable).
  JsonPath(const JsonPath &) noexcept;
  JsonPath &operator=(const JsonPath &) noexcept;
  JsonPath(JsonPath &&) noexcept;
  JsonPath &operator=(JsonPath &&) noexcept;
  ~JsonPath();

  // The slot a PathTable gave this path: identical paths of one table share it. no_slot for a path
  // compiled outside a table.
  static constexpr std::uint32_t no_slot = UINT32_MAX;
  std::uint32_t slot() const noexcept { return slot_; }
  // A definite chain of members interned in a PathTable (`$.a.b.c`): the chain without its last
  // member (`$['a']['b']`, read without missing_leaf_null), interned in the same table, so that a
  // delivery resolves a prefix many paths share once per event, and a path below a missing
  // prefix finds nothing without a walk (pipeline::Selections). Null for any other path.
  const JsonPath *parent() const noexcept { return parent_.get(); }

  // True when the path can only ever select one value.
  bool definite() const noexcept;
  // The path as written (with `$.` prepended where Jayway would).
  std::string_view text() const noexcept;
  // Its leading steps as member names, "[]" for a step into a list's elements (an index or
  // slice), "?" for a filter (a list's elements, or a map itself), up to the first step of another
  // kind (a deep scan, a wildcard, a member list, a function): what a linter can check against a
  // payload's shape. Views into the path. `complete` says whether that was every step.
  std::vector<std::string_view> outline(bool *complete = nullptr) const;
  // Where Rundeck's Jayway 2.10.0 reads this path in a way its writer probably did not mean
  // (jsonpath_notes.cpp): what happens there, and a path that says what was meant (may be empty).
  struct Note {
    std::string message;
    std::string use;
  };
  std::vector<Note> rundeck_notes() const;
  // Whether it starts at `@` (a filter's current node) rather than at the root.
  bool relative() const noexcept;

  // Evaluates against `root` (which is also `$` inside filters) into `out` (cleared first; reusing
  // it saves allocations). A missing member, wrong type or index out of range gives Kind::missing
  // (or, past the path's definite beginning, an empty list); what Jayway fails on gives
  // Kind::failed. Refuses the delivery (limit_exceeded) only when PathLimits::max_results or
  // max_work is exceeded.
  Checked<void> select(const Value &root, Selection &out) const;
  Checked<Selection> select(const Value &root) const;

  struct Impl;

private:
  friend class PathTable;
  explicit JsonPath(std::unique_ptr<Impl> impl);
  std::shared_ptr<const Impl> impl_;
  std::shared_ptr<const JsonPath> parent_;
  std::uint32_t slot_ = no_slot;
};

// The JsonPaths of one config. Identical paths (same text, same limits) share one compiled form
// and one slot, so that a config of many rules keeps each distinct path once and a delivery can
// resolve each distinct path once per event (pipeline::Selections, indexed by slot).
class PathTable {
public:
  // `path`, or the identical path interned before (a copy sharing its compiled form), with its
  // slot; a chain of members also interns its parent (JsonPath::parent).
  JsonPath intern(JsonPath path);
  std::uint32_t size() const noexcept { return table_.size(); }

private:
  SlotTable<JsonPath> table_;
};

} // namespace rdwh::json
