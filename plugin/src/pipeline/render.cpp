#include "pipeline/render.hpp"

#include "json/text.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace rdwh::pipeline {
namespace {

using Segment = rules::ValueExpr::Segment;

// A selection as a value renders it. Explicit nulls render as "null" both ways (Java's
// null.toString()); a path that finds nothing renders as nothing. A list stops once `out` is
// longer than `max_bytes` (see json::append_selection).
void render_selection(const json::Selection &selection, bool groovy, std::string &out, std::size_t max_bytes) {
  using Kind = json::Selection::Kind;
  if (selection.kind == Kind::missing) return;
  if (selection.kind == Kind::single) {
    if (selection.single->IsNull()) out += "null";
    else if (groovy) json::append_groovy(*selection.single, out);
    else json::append_text(*selection.single, out);
    return;
  }
  if (!groovy) {
    json::append_selection(selection, out, max_bytes);
    return;
  }
  out += '[';
  for (std::size_t i = 0; i < selection.list.size(); ++i) {
    if (out.size() > max_bytes) return;
    if (i) out += ", ";
    json::append_groovy(*selection.list[i], out);
  }
  out += ']';
}

// What a segment other than a path renders: literal text or a field of the delivery.
void render_text(const Segment &seg, const Delivery &delivery, std::string &out) {
  switch (seg.kind) {
  case Segment::Kind::literal: out.append(seg.text.view()); break;
  case Segment::Kind::raw: out.append(delivery.body); break;
  case Segment::Kind::delivery_id: out.append(delivery.delivery_id); break;
  case Segment::Kind::webhook_name: out.append(delivery.webhook_name); break;
  case Segment::Kind::project: out.append(delivery.project); break;
  case Segment::Kind::sender: out.append(delivery.sender); break;
  case Segment::Kind::timestamp: out += std::to_string(delivery.received_unix_ms); break;
  case Segment::Kind::header: out.append(delivery.header(seg.text)); break;
  case Segment::Kind::path: break;
  }
}

// Renders into `out.strings`; false (with the slice cut) when over the value limit.
Checked<bool> render_slice(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                           const rules::Limits &limits, Strings &strings, Text &slice) {
  std::string &out = strings.buffer;
  const std::size_t start = out.size();
  Checked<bool> fits = render_value(value, event, delivery, out, start + limits.max_value_bytes);
  slice = strings.since(start);
  return fits;
}

// Renders one job's values into `out`; false with the job's id left empty when its jobId renders
// empty (nothing to run), false with `fits` false when over the value limit.
Checked<bool> render_job(Job &job, const Event &event, const rules::Limits &limits, const Delivery &delivery,
                         RuleTrace *trace, Rendered &out) {
  const rules::Rule &rule = *job.rule;
  const std::size_t job_start = out.strings.buffer.size();
  Checked<bool> fits = rule.job_id ? render_slice(*rule.job_id, event, delivery, limits, out.strings, job.job_id) : true;
  if (fits && *fits && job.job_id.size == 0) {
    // Rundeck reports NOT_FOUND for such a rule; nothing can be run.
    if (trace) trace->error = "the rule has no job (jobId is empty)";
    out.strings.buffer.resize(job_start);
    return true;
  }
  job.first_option = static_cast<uint32_t>(out.option_values.size());
  for (const rules::JobOption &option : rule.options) {
    if (fits && *fits) fits = render_slice(option.value, event, delivery, limits, out.strings, out.option_values.emplace_back());
  }
  if (fits && *fits && rule.node_filter) fits = render_slice(*rule.node_filter, event, delivery, limits, out.strings, job.filter);
  if (fits && *fits && rule.user) fits = render_slice(*rule.user, event, delivery, limits, out.strings, job.as_user);
  return fits;
}

} // namespace

Checked<bool> render_value(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                           std::string &out, std::size_t max_bytes) {
  json::Selection selection;
  for (const Segment &seg : value.segments()) {
    if (seg.kind == Segment::Kind::path) {
      if (Checked<void> selected = select(*seg.path, event, selection); !selected) return std::move(selected.rejection());
      render_selection(selection, seg.groovy, out, max_bytes);
    } else {
      render_text(seg, delivery, out);
    }
    if (out.size() > max_bytes) {
      out.resize(max_bytes);
      return false;
    }
  }
  return true;
}

Checked<void> render(const rules::Config &config, const Split &split, Evaluation &evaluation, const Delivery &delivery,
                     Rendered &out) {
  out.jobs = std::move(evaluation.jobs);
  std::size_t kept = 0; // jobs whose jobId rendered empty are dropped, the others keep their order
  for (Job &job : out.jobs) {
    const Event &event = split.events[job.event_index];
    Checked<bool> fits = render_job(job, event, config.limits, delivery, evaluation.trace(job.event_index, *job.rule), out);
    if (!fits) return std::move(fits.rejection());
    if (!*fits || out.strings.buffer.size() > UINT32_MAX / 2)
      return over_limit(fmt::format("rule '{}' renders a value over {} bytes (limits.maxValueBytes)", job.rule->name,
                                    config.limits.max_value_bytes));
    if (job.job_id.size != 0) out.jobs[kept++] = job;
  }
  out.jobs.resize(kept);
  return {};
}

} // namespace rdwh::pipeline
