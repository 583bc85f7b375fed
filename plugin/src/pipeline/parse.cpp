#include "pipeline/parse.hpp"

#include "base/text.hpp"
#include "json/parse.hpp"
#include "json/text.hpp"

#include <fmt/format.h>

namespace rdwh::pipeline {
namespace {

using providers::Shape;

std::string_view shape_name(Shape shape) {
  switch (shape) {
  case Shape::pagerduty_v3: return "a PagerDuty V3 webhook ({\"event\": {...}})";
  case Shape::pagerduty_v2: return "a PagerDuty V2 webhook ({\"messages\": [...]})";
  case Shape::any_json: return "JSON";
  }
  return "JSON";
}

// Why the parsed body is not what the provider expects; empty when it is.
std::string shape_problem(Shape shape, const json::Value &doc) {
  if (!doc.IsObject()) return fmt::format("the body is a {}, not a map", json::type_name(doc));
  if (shape == Shape::any_json) return {};
  const bool v3 = shape == Shape::pagerduty_v3;
  const char *key = v3 ? "event" : "messages";
  auto member = doc.FindMember(key);
  if (member == doc.MemberEnd()) return fmt::format("no \"{}\" member", key);
  if (v3 && !member->value.IsObject()) return "\"event\" is not a map";
  if (!v3 && !member->value.IsArray()) return "\"messages\" is not a list";
  return {};
}

} // namespace

Checked<void> parse_body(std::string_view body, Shape shape, const rules::Limits &limits, json::Document &doc) {
  std::string_view text = body;
  if (text::trim(text).empty()) {
    if (shape != Shape::any_json)
      return Rejection{Verdict::malformed, 400, fmt::format("empty request body: expected {}", shape_name(shape))};
    text = "{}"; // Rundeck reads an empty body as {}
  }
  json::ParseLimits parse_limits;
  parse_limits.max_depth = limits.max_depth;
  if (auto failure = json::parse(text, doc, parse_limits); failure.failed) {
    if (failure.too_deep) return over_limit(failure.message + " (limits.maxDepth)");
    return Rejection{Verdict::malformed, 400,
                     fmt::format("Unable to parse posted JSON data: {} at byte {}", failure.message, failure.offset)};
  }
  if (std::string why = shape_problem(shape, doc); !why.empty()) {
    // Rundeck reads any other body into a map (Jackson's readValue(body, HashMap)): a list, text,
    // number or null is a parse failure there.
    if (shape == Shape::any_json) return Rejection{Verdict::malformed, 400, "Unable to parse posted JSON data: " + why};
    return Rejection{Verdict::malformed, 400, fmt::format("not {}: {}", shape_name(shape), why)};
  }
  return {};
}

} // namespace rdwh::pipeline
