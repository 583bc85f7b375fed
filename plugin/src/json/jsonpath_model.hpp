// The compiled form of a JsonPath, shared by its parser (jsonpath_parse.cpp), its evaluator
// (jsonpath_eval.cpp), its functions (jsonpath_functions.cpp) and its filter operators
// (jsonpath_filter.cpp); nothing else includes this.
//
// Every path (the main one, each `@...` / `$...` operand inside a filter and each path argument of
// a function) is a PathSpec; every filter sub-expression is an Expr. Both live in flat vectors in
// Impl and refer to each other by index, so nesting needs no pointers and a compiled path is
// immutable (and so safe to evaluate from many threads at once).
#pragma once

#include "base/secret.hpp"
#include "json/jsonpath.hpp"
#include "json/jsonpath_regex.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::json {

enum class StepKind : std::uint8_t { name, names, index, indices, slice, wildcard, filter, function };

// Jayway's path functions (PathFunctionFactory); `size` is `length`.
enum class Function : std::uint8_t { length, min, max, avg, sum, stddev, first, last, index, keys, concat, append };

// A function argument: a path (evaluated on the root document, as Jayway's late binding does) or
// a JSON value.
struct Argument {
  bool is_path = false;
  std::size_t path = 0; // Impl::paths index
  Value value;          // strings live in Impl::pool
};

// Names are Secrets: a path may come from a ${KS:...} config value.
struct Step {
  StepKind kind = StepKind::name;
  bool deep = false;                   // preceded by `..`
  std::vector<Secret> names;           // name (exactly one) / names
  std::vector<std::int64_t> indices;   // index (exactly one) / indices
  std::optional<std::int64_t> from;    // slice start, absent = 0
  std::optional<std::int64_t> to;      // slice end (exclusive), absent = size
  std::size_t filter = 0;              // Impl::exprs index (kind == filter)
  Function function = Function::length; // kind == function
  std::vector<Argument> args;          // kind == function
};

struct PathSpec {
  bool relative = false;  // starts at `@` (the filter's current node) rather than `$`
  bool definite = true;   // selects at most one value
  // Steps before the first indefinite one (all of them when definite): while walking them a
  // missing member or a wrong type means the path finds nothing at all (Jayway's
  // PathNotFoundException), not an empty list.
  std::size_t definite_prefix = 0;
  std::vector<Step> steps;
};

enum class Op : std::uint8_t {
  eq, ne, strict_eq, strict_ne, lt, le, gt, ge, match, in, nin, contains, size, empty, subsetof, anyof, noneof
};

struct Operand {
  enum class Kind : std::uint8_t { path, value };
  Kind kind = Kind::value;
  std::size_t path = 0;  // Impl::paths index (kind == path)
  Value value;           // a scalar literal, or a JSON list / map literal; strings live in Impl::pool
};

struct Expr {
  enum class Kind : std::uint8_t { any_of, all_of, negate, exists, compare };
  Kind kind = Kind::compare;
  std::vector<std::size_t> children;  // any_of / all_of (n-ary, so chains do not nest), negate (1)
  Op op = Op::eq;
  Operand left;                       // compare, exists
  Operand right;                      // compare (not for op == match)
  std::optional<Regex> regex;         // op == match: the pattern, whichever side it was written on
};

struct JsonPath::Impl {
  Secret text;
  PathLimits limits;
  // Literal strings of filters and function arguments. Small chunks: most paths have none.
  rapidjson::MemoryPoolAllocator<> pool{256};
  std::vector<PathSpec> paths;
  std::vector<Expr> exprs;
  std::size_t main = 0;  // paths index of the path itself (filter operands are compiled first)

  Impl() = default;
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  ~Impl(); // wipes the literals in `pool`
};

// Values one evaluation makes (function results, merged maps), at stable addresses.
struct Computed {
  rapidjson::MemoryPoolAllocator<> pool{1024};
  std::deque<Value> values;
};

// Path text for a message: whole if short, else about 80 characters around `at`.
std::string excerpt(std::string_view text, std::size_t at);

} // namespace rdwh::json
