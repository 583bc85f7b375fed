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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::pipeline {

// How rendering one value went.
struct ValueRender {
  bool fits = true;                   // within max_bytes (else `out` is cut there)
  std::optional<std::string> failure; // it cannot be rendered: what Groovy or Jayway would throw
};

// Appends the value's rendering for `event` to `out`: a whole-value JsonPath as Rundeck's
// JsonPath values (JSON for lists and maps), a template as a Groovy GString would. Refuses only a
// path over its limits.
Checked<ValueRender> render_value(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                                  Selections &selections, std::string &out, std::size_t max_bytes);

// Renders the jobs evaluate() found into `out` (taking them from `evaluation`). A rule whose
// jobId renders empty runs nothing; a rule with a value that cannot be rendered runs nothing and
// is noted in out.failures (their traces say why). Refuses (400) a value over limits.maxValueBytes.
Checked<void> render(const rules::Config &config, const Split &split, Evaluation &evaluation,
                     const Delivery &delivery, Selections &selections, Rendered &out);

} // namespace rdwh::pipeline
