// Property access as Rundeck's templates do it: `data.a.b[0]` is Groovy (a GString in
// SimpleTemplateEngine) over the body as Jackson parsed it, so a missing member is null, a
// member of a list is the list of each element's member (GPath), `s[0]` is a string's first
// character, and a member of null fails (NullPointerException). Checked against Groovy 2.4.
#pragma once

#include "base/secret.hpp"
#include "json/rapidjson.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rdwh::rules {

// One accessor after `data`: `.name`, `?.name`, `['name']`, `[3]`.
struct GroovyStep {
  enum class Kind : std::uint8_t { property, key, index };
  Kind kind = Kind::property;
  bool safe = false;   // `?.`: null stays null instead of failing
  Secret name;         // property / key (may come from a ${KS:...} config value)
  std::int64_t index = 0;
};

// A value during a walk: null (missing or JSON null), a JSON value, a character of a string
// (`s[0]`), or the list a property makes of a list's elements.
struct GroovyValue {
  enum class Kind : std::uint8_t { null, json, text, list };
  Kind kind = Kind::null;
  const json::Value *json = nullptr; // kind == json, never a JSON null
  std::string text;                  // kind == text
  std::vector<GroovyValue> items;    // kind == list

  static GroovyValue of(const json::Value *v) {
    GroovyValue out;
    if (v && !v->IsNull()) out.kind = Kind::json, out.json = v;
    return out;
  }
};

struct GroovyResult {
  GroovyValue value;
  std::optional<std::string> failure; // what Groovy throws, e.g. "Cannot get property 'b' on null object"
};

// Walks `steps` from `data`; each step visits at most every value below it once.
GroovyResult walk(const json::Value &data, const std::vector<GroovyStep> &steps);

// Appends the value as a GString renders it: null as "null", lists [a, b], maps [k:v].
void append_groovy(const GroovyValue &value, std::string &out);

} // namespace rdwh::rules
