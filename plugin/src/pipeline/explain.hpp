// Stage 7: what the sender and the host are told about a handled delivery: the response body
// ({"msg":"ok"} or the processing info), the explanation of every event, rule and condition, and
// the debug lines of rules with debug: true.
#pragma once

#include "pipeline/evaluate.hpp"
#include "pipeline/render.hpp"
#include "pipeline/split.hpp"

#include <string>
#include <vector>

namespace rdwh::pipeline {

// The explanation as a JSON array (see docs/config-reference.md, "Explanations").
std::string explanation_json(const Split &split, const Evaluation &evaluation, const Strings &strings);

// {"msg":"ok","jobs":[...],"evaluations":<explanation>}: returnProcessingInfo's answer.
std::string processing_info_json(const Rendered &rendered, std::string_view explanation);

// One log line per evaluation of a rule with debug: true.
std::vector<std::string> debug_lines(const Split &split, const Evaluation &evaluation, const Strings &strings);

} // namespace rdwh::pipeline
