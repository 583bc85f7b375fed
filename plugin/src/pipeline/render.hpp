// Stage 6: the jobs of the fired rules, their values rendered from the compiled templates and
// JsonPaths into the delivery's one buffer.
#pragma once

#include "base/reject.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/split.hpp"
#include "pipeline/jobs.hpp"
#include "rules/config.hpp"
#include "rules/value_expr.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::pipeline {

// Appends the value's rendering for `event` to `out`: a whole-value JsonPath as Rundeck's
// JsonPath values (JSON for lists and maps), a template expression as a Groovy GString would.
// Stops past `max_bytes` of `out` and yields false then; refuses only a path over its limits.
Checked<bool> render_value(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                           std::string &out, std::size_t max_bytes);

// Renders the jobs evaluate() found into `out` (taking them from `evaluation`); a rule whose jobId
// renders empty runs nothing (its trace says why). Refuses (400) a value over limits.maxValueBytes.
Checked<void> render(const rules::Config &config, const Split &split, Evaluation &evaluation,
                     const Delivery &delivery, Rendered &out);

} // namespace rdwh::pipeline
