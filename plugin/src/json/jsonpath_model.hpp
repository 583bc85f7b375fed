// The compiled form of a JsonPath, shared by its parser (jsonpath_parse.cpp) and its evaluator
// (jsonpath_eval.cpp); nothing else includes this.
//
// Every path (the main one and each `@...` / `$...` operand inside a filter) is a PathSpec; every
// filter sub-expression is an Expr. Both live in flat vectors in Impl and refer to each other by
// index, so nesting needs no pointers and a compiled path is immutable (and so safe to evaluate
// from many threads at once).
#pragma once

#include "base/secret.hpp"
#include "json/jsonpath.hpp"
#include "json/jsonpath_regex.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::json {

enum class StepKind : std::uint8_t { name, names, index, indices, slice, wildcard, filter };

// Names are Secrets: a path may come from a ${KS:...} config value.
struct Step {
  StepKind kind = StepKind::name;
  bool deep = false;                   // preceded by `..`
  std::vector<Secret> names;           // name (exactly one) / names
  std::vector<std::int64_t> indices;   // index (exactly one) / indices
  std::optional<std::int64_t> from;    // slice start, absent = 0
  std::optional<std::int64_t> to;      // slice end (exclusive), absent = size
  std::size_t filter = 0;              // Impl::exprs index (kind == filter)
};

struct PathSpec {
  bool relative = false;  // starts at `@` (the filter's current node) rather than `$`
  bool definite = true;   // only non-deep name / index steps
  std::vector<Step> steps;
};

enum class Op : std::uint8_t { eq, ne, lt, le, gt, ge, match, in, nin };

struct Operand {
  enum class Kind : std::uint8_t { path, literal, list, regex };
  Kind kind = Kind::literal;
  std::size_t path = 0;  // Impl::paths index (kind == path)
  Value value;           // scalar (literal) or array (list); strings live in Impl::pool
};

struct Expr {
  enum class Kind : std::uint8_t { any_of, all_of, negate, exists, compare };
  Kind kind = Kind::compare;
  std::vector<std::size_t> children;  // any_of / all_of (n-ary, so chains do not nest), negate (1)
  Op op = Op::eq;
  Operand left;                       // compare, exists
  Operand right;                      // compare
  std::optional<Regex> regex;         // op == match
};

struct JsonPath::Impl {
  Secret text;
  PathLimits limits;
  // Literal strings of filters. Small chunks: most paths have few or no literals.
  rapidjson::MemoryPoolAllocator<> pool{256};
  std::vector<PathSpec> paths;
  std::vector<Expr> exprs;
  std::size_t main = 0;  // paths index of the path itself (filter operands are compiled first)

  Impl() = default;
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  ~Impl(); // wipes the filter literals in `pool`
};

// Path text for a message: whole if short, else about 80 characters around `at`.
std::string excerpt(std::string_view text, std::size_t at);

} // namespace rdwh::json
