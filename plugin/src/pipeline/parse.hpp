// Stage 3: the body parsed once, and checked to be the payload shape the provider expects.
#pragma once

#include "base/reject.hpp"
#include "json/rapidjson.hpp"
#include "providers/providers.hpp"
#include "rules/config.hpp"

#include <string_view>

namespace rdwh::pipeline {

// Parses `body` into `doc` within limits.maxDepth; refuses (400) what is not JSON of the shape.
// An empty body reads as {} where any JSON is accepted (as Rundeck does).
Checked<void> parse_body(std::string_view body, providers::Shape shape, const rules::Limits &limits,
                         json::Document &doc);

} // namespace rdwh::pipeline
