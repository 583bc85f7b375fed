// JsonPath, Jayway dialect (the one Rundeck uses), compiled once at config time and evaluated
// many times without re-parsing.
//
// Supported: `$` root, `@` current (in filters), `.name`, `['name']` / `["name"]`, `['a','b']`,
// `[0]`, `[-1]`, `[0,2]`, `[1:3]`, `[:2]`, `[-2:]`, `[*]`, `.*`, `..name`, `..*`, `..[0]`, and
// filters `[?(<expr>)]` with `@`/`$` paths, string/number/true/false/null literals, comparisons
// `== != < <= > >=`, `=~ /regex/flags`, `in` / `nin` against a literal list `['a','b']`, existence
// (`[?(@.a)]`), `!`, `&&`, `||` and parentheses. A path that starts with neither `$` nor `@` gets
// `$.` prepended, as Jayway's compiler does (`event.id` means `$.event.id`).
#pragma once

#include "base/reject.hpp"
#include "json/rapidjson.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::json {

// What a path found in a document. Jayway returns a single value for a definite path (no
// wildcard, deep scan, filter, slice or multi-index) and a list for an indefinite one.
struct Selection {
  enum class Kind { missing, single, list };
  Kind kind = Kind::missing;
  const Value *single = nullptr;     // kind == single (may point to a JSON null)
  std::vector<const Value *> list;   // kind == list (possibly empty), in document order
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
};

class JsonPath {
public:
  // Compiles `text`; throws rdwh::SyntaxError with a message that names the offending character
  // position (never the document). A filter's `=~` regex is compiled here too.
  static JsonPath compile(std::string_view text, const PathLimits &limits = {});

  JsonPath(JsonPath &&) noexcept;
  JsonPath &operator=(JsonPath &&) noexcept;
  ~JsonPath();

  // True when the path can only ever select one value.
  bool definite() const noexcept;
  // The path as written (with `$.` prepended where Jayway would).
  std::string_view text() const noexcept;

  // Evaluates against `root` (which is also `$` inside filters) into `out` (cleared first; reusing
  // it saves allocations). Never fails for a missing member, wrong type or index out of range: a
  // definite path then gives Kind::missing, an indefinite one an empty list. Refuses the delivery
  // (limit_exceeded) only when PathLimits::max_results or max_work is exceeded.
  Checked<void> select(const Value &root, Selection &out) const;
  Checked<Selection> select(const Value &root) const;

  struct Impl;

private:
  explicit JsonPath(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace rdwh::json
