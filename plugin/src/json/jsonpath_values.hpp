// What one JsonPath evaluation works with, shared by the walker (jsonpath_eval.cpp), the filter
// operators (jsonpath_filter.cpp) and the functions (jsonpath_functions.cpp); nothing else
// includes this. None of it outlives one select().
#pragma once

#include "json/jsonpath_model.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::json {

// Thrown when a limit is reached deep inside the walk; select() turns it into the delivery's
// rejection.
struct LimitReached {
  std::string message;
};

// Jayway's JsonPathException / InvalidPathException at evaluation (a function of an empty list, a
// filter on a string): select() gives Selection::Kind::failed.
struct PathFailure {
  std::string message;
};

// Java's IndexOutOfBoundsException from first() or index(n) past a list's end: an index,
// wildcard, slice or filter step upstream swallows it for that element (Jayway's
// PathToken.handleArrayIndex catches it around everything downstream); otherwise the path fails.
struct IndexOutOfRange {
  std::string message;
};

// Jayway's InvalidPathException inside a filter relation (a value list expected, a boolean
// expected): PredicatePathToken.accept catches it, so the element simply does not match.
struct InvalidPath {
  std::string message;
};

// Jayway's PathNotFoundException where it escapes a walk (a function argument that finds
// nothing): the path finds nothing; a filter operand catches it (Jayway's UndefinedNode).
struct NotFound {};

// The work one evaluation has done, against PathLimits::max_work (see there).
class Budget {
public:
  explicit Budget(const JsonPath::Impl &impl) : impl_(impl) {}
  void charge(std::size_t units) {
    used_ += units;
    if (used_ > impl_.limits.max_work) {
      throw LimitReached{"JsonPath '" + excerpt(impl_.text, 0) + "' needs more than " +
                         std::to_string(impl_.limits.max_work) + " steps of work on this document (limits.maxPathWork)"};
    }
  }

private:
  const JsonPath::Impl &impl_;
  std::size_t used_ = 0;
};

// Values an evaluation makes; created on first use, handed to the Selection at the end.
class Maker {
public:
  Value &make(Value value = Value()) {
    if (!computed_) computed_ = std::make_shared<Computed>();
    return computed_->values.emplace_back(std::move(value));
  }
  rapidjson::MemoryPoolAllocator<> &allocator() {
    if (!computed_) computed_ = std::make_shared<Computed>();
    return computed_->pool;
  }
  std::shared_ptr<const Computed> take() { return std::move(computed_); }

private:
  std::shared_ptr<Computed> computed_;
};

// What a filter operand stands for at one test, as Jayway's ValueNode: nothing (a path that found
// nothing: UndefinedNode), one value, or the list an indefinite path selected (a JSON list).
struct Term {
  enum class Kind : std::uint8_t { undefined, value, list };
  Kind kind = Kind::undefined;
  const Value *value = nullptr;    // kind == value
  std::vector<const Value *> list; // kind == list

  static Term of(const Value &v) { return Term{Kind::value, &v, {}}; }
  // Jayway's JsonNode: a list or a map.
  bool is_json() const noexcept { return kind == Kind::list || (kind == Kind::value && (value->IsArray() || value->IsObject())); }
  bool is_array() const noexcept { return kind == Kind::list || (kind == Kind::value && value->IsArray()); }
  // Elements, when is_array().
  std::size_t size() const noexcept { return kind == Kind::list ? list.size() : value->Size(); }
  const Value &at(std::size_t i) const noexcept {
    return kind == Kind::list ? *list[i] : (*value)[static_cast<rapidjson::SizeType>(i)];
  }
};

// Whether Jayway's filter relation `op` holds between `left` and `right` (EvaluatorFactory);
// `regex` is the pattern of `=~`. Throws PathFailure where Jayway throws.
bool relate(Op op, const Term &left, const Term &right, const Regex *regex, Budget &budget);

// Deep equality of JSON values: numbers by value, maps whatever their member order.
bool deep_equal(const Value &a, const Value &b, Budget &budget);

// A function argument, evaluated: one value, or the list an indefinite path selected.
struct ArgValue {
  const Value *value = nullptr;     // nullptr: a list
  std::vector<const Value *> list;
};

// Applies `fn` to `model` (the value the path reached) with its evaluated arguments, as Jayway's
// PathFunction does; the result may be made by `maker`. Throws PathFailure where Jayway throws.
const Value &apply_function(Function fn, const Value &model, const std::vector<ArgValue> &args, Maker &maker,
                            Budget &budget);

} // namespace rdwh::json
