// Condition types: one Matcher class per type and one registry line mapping its config name to
// it. Adding a type is adding a class and a line in conditions.cpp; config, explanations and
// tests pick it up from the registry.
#pragma once

#include "json/jsonpath.hpp"

#include <cstdint>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::rules {

// What a condition found: whether it holds, and when it could not even be judged, why
// (e.g. "'yesterday' is not a date-time").
struct MatchOutcome {
  bool satisfied = false;
  std::string error;
};

class Matcher {
public:
  virtual ~Matcher() = default;
  // Tests the selected field (json::Selection::Kind::missing when the path found nothing; never
  // Kind::failed: such a condition does not hold, whatever its type);
  // `now_unix_ms` is the host clock at the delivery (relative date-times).
  virtual MatchOutcome test(const json::Selection &field, int64_t now_unix_ms) const = 0;
};

// Builds a matcher from the condition's `value` (which may be a key-storage value: a matcher
// keeps it in a Secret); throws rdwh::SyntaxError when the value does not suit the type (e.g. isA
// with an unknown type name).
using MatcherFactory = std::unique_ptr<Matcher> (*)(std::string_view value);

struct ConditionType {
  std::string_view name;        // as written in the config: "equals"
  std::string_view canonical;   // the current Rundeck name ("matches" is an alias of "equals")
  MatcherFactory make;
  std::string_view description; // one line, for `describe` and the docs
};

// The registry, in a stable order.
const std::vector<ConditionType> &condition_types();
// nullptr when `name` is not a condition type.
const ConditionType *find_condition_type(std::string_view name);
// "contains, dateTimeAfter, ..." for error messages.
std::string condition_type_names();

} // namespace rdwh::rules
