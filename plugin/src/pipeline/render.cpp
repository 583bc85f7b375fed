#include "pipeline/render.hpp"

#include "json/text.hpp"
#include "rules/argstring.hpp"
#include "rules/groovy.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace rdwh::pipeline {
namespace {

using Segment = rules::ValueExpr::Segment;
using Kind = json::Selection::Kind;

// A whole-value JsonPath as Rundeck renders JsonPath.read's result: nothing when not found
// (PathNotFoundException), JSON for lists and maps, "null" for an explicit null. A list stops once
// `out` is longer than `max_bytes` (see json::append_selection).
std::optional<std::string> render_json_value(const json::Selection &selection, std::string &out, std::size_t max_bytes) {
  if (selection.kind == Kind::failed) return selection.error;
  if (selection.kind == Kind::single && selection.single->IsNull()) out += "null";
  else json::append_selection(selection, out, max_bytes);
  return std::nullopt;
}

// `path('...')` in a template: what Jayway returns, as Groovy prints it; not found fails
// (PathNotFoundException escapes Rundeck's binding), unless missing values render empty.
std::optional<std::string> render_path_call(const json::Selection &selection, const json::JsonPath &path,
                                            bool empty_for_missing, std::string &out, std::size_t max_bytes) {
  if (selection.kind == Kind::missing || selection.kind == Kind::failed) {
    if (empty_for_missing) return std::nullopt;
    if (selection.kind == Kind::failed) return selection.error;
    return fmt::format("No results for path: {}", path.text());
  }
  if (selection.kind == Kind::single) {
    if (!selection.single->IsNull()) json::append_groovy(*selection.single, out);
    else if (!empty_for_missing) out += "null";
    return std::nullopt;
  }
  out += '[';
  for (std::size_t i = 0; i < selection.list.size() && out.size() <= max_bytes; ++i) {
    if (i) out += ", ";
    json::append_groovy(*selection.list[i], out);
  }
  out += ']';
  return std::nullopt;
}

// `data...` in a template: Groovy's property access and text (rules/groovy.hpp).
std::optional<std::string> render_data(const Segment &seg, const Event &event, bool empty_for_missing, std::string &out) {
  rules::GroovyResult result = rules::walk(*event.value, seg.steps);
  if (result.failure) return empty_for_missing ? std::nullopt : std::move(result.failure);
  if (result.value.kind != rules::GroovyValue::Kind::null) rules::append_groovy(result.value, out);
  else if (!empty_for_missing) out += "null";
  return std::nullopt;
}

// What a segment other than data or a path renders: literal text or a field of the delivery.
void render_text(const Segment &seg, const Delivery &delivery, bool empty_for_missing, std::string &out) {
  switch (seg.kind) {
  case Segment::Kind::literal: out.append(seg.text.view()); break;
  case Segment::Kind::raw: out.append(delivery.body.empty() ? std::string_view("{}") : delivery.body); break; // as Rundeck reads an empty body
  case Segment::Kind::delivery_id: out.append(delivery.delivery_id); break;
  case Segment::Kind::webhook_name: out.append(delivery.webhook_name); break;
  case Segment::Kind::project: out.append(delivery.project); break;
  case Segment::Kind::sender: out.append(delivery.sender); break;
  case Segment::Kind::timestamp: out += std::to_string(delivery.received_unix_ms); break;
  case Segment::Kind::header: {
    const std::vector<std::string_view> values = delivery.header_values(seg.text);
    if (!values.empty()) out.append(values.front());
    else if (!empty_for_missing) out += "null"; // a missing key of Groovy's webhook map
    break;
  }
  case Segment::Kind::data:
  case Segment::Kind::path: break;
  }
}

Checked<std::optional<std::string>> render_segment(const Segment &seg, const rules::ValueExpr &value, const Event &event,
                                                   const Delivery &delivery, Selections &selections, std::string &out,
                                                   std::size_t max_bytes) {
  const bool empty = value.empty_for_missing();
  if (seg.kind == Segment::Kind::data) return render_data(seg, event, empty, out);
  if (seg.kind != Segment::Kind::path) {
    render_text(seg, delivery, empty, out);
    return std::optional<std::string>();
  }
  Checked<const json::Selection *> selected = selections.get(*seg.path, event);
  if (!selected) return std::move(selected.rejection());
  return seg.groovy ? render_path_call(**selected, *seg.path, empty, out, max_bytes) : render_json_value(**selected, out, max_bytes);
}

} // namespace

Checked<ValueRender> render_value(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                                  Selections &selections, std::string &out, std::size_t max_bytes) {
  if (value.is_literal()) { // most job ids: no need to read the compiled form
    out.append(value.literal_text());
    if (out.size() <= max_bytes) return ValueRender{};
    out.resize(max_bytes);
    return ValueRender{false, std::nullopt};
  }
  for (const Segment &seg : value.segments()) {
    Checked<std::optional<std::string>> failure = render_segment(seg, value, event, delivery, selections, out, max_bytes);
    if (!failure) return std::move(failure.rejection());
    if (*failure) return ValueRender{true, value.from_key_storage() ? "(a value from key storage) cannot be rendered"
                                                                    : std::move(*failure)};
    if (out.size() > max_bytes) {
      out.resize(max_bytes);
      return ValueRender{false, std::nullopt};
    }
  }
  return ValueRender{};
}

} // namespace rdwh::pipeline

namespace rdwh::pipeline {
namespace {

// The slices of the values rendered for the current event, by the config's value slot: a value
// many rules share renders once per event, and their jobs share its slice.
using RenderedValues = EventMemo<Text>;

// Renders one fired rule's values into `out`: a failure (a value that cannot be rendered) is a
// message; a value over limits.maxValueBytes refuses the delivery.
class JobRenderer {
public:
  JobRenderer(const rules::Rule &rule, const Event &event, const Delivery &delivery, const rules::Limits &limits,
              Selections &selections, RenderedValues &rendered, Rendered &out)
      : rule_(rule), event_(event), delivery_(delivery), limits_(limits), selections_(selections), rendered_(rendered),
        out_(out) {}

  // Fills `job`; its job id stays empty when the rule cannot run (see render()).
  Checked<std::optional<std::string>> fill(Job &job) {
    const std::size_t job_start = out_.strings.buffer.size();
    const auto failed = [](const Checked<std::optional<std::string>> &r) { return !r || *r; };
    Checked<std::optional<std::string>> r =
        rule_.job_id ? field(*rule_.job_id, [] { return std::string("jobId"); }, job.job_id) : std::optional<std::string>();
    if (!failed(r) && job.job_id.size == 0) {
      out_.strings.buffer.resize(job_start); // no job: Rundeck reports NOT_FOUND
      return r;
    }
    job.first_option = static_cast<uint32_t>(out_.options.size());
    if (!failed(r)) r = rule_.arg_tokens.empty() ? options() : arg_string();
    job.option_count = static_cast<uint32_t>(out_.options.size() - job.first_option);
    if (!failed(r) && rule_.node_filter) r = field(*rule_.node_filter, [] { return std::string("nodeFilter"); }, job.filter);
    if (!failed(r) && rule_.user) r = field(*rule_.user, [] { return std::string("user"); }, job.as_user);
    if (r && *r) job.job_id = Text{};
    return r;
  }

private:
  const rules::Rule &rule_;
  const Event &event_;
  const Delivery &delivery_;
  const rules::Limits &limits_;
  Selections &selections_;
  RenderedValues &rendered_;
  Rendered &out_;

  // Renders `value` into the buffer as `slice`, or takes the slice of the same value rendered for
  // this event before (unless `shared` is false: a slice the caller cuts off again). `name()` names
  // the value in a failure.
  template <class Name>
  Checked<std::optional<std::string>> field(const rules::ValueExpr &value, const Name &name, Text &slice,
                                            bool shared = true) {
    RenderedValues::Entry *memo = shared && value.slot() != rules::ValueExpr::no_slot ? &rendered_.at(value.slot()) : nullptr;
    if (memo && memo->event == event_.value) {
      slice = memo->result;
      return std::optional<std::string>();
    }
    std::string &buffer = out_.strings.buffer;
    const std::size_t start = buffer.size();
    Checked<ValueRender> r = render_value(value, event_, delivery_, selections_, buffer, start + limits_.max_value_bytes);
    slice = out_.strings.since(start);
    if (!r) return std::move(r.rejection());
    if (!r->fits || buffer.size() > UINT32_MAX / 2)
      return over_limit(fmt::format("rule '{}' renders a value over {} bytes (limits.maxValueBytes)", rule_.name,
                                    limits_.max_value_bytes));
    if (r->failure) return std::optional<std::string>(fmt::format("{} cannot be rendered: {}", name(), *r->failure));
    if (memo) *memo = {event_.value, slice};
    return std::optional<std::string>();
  }

  Checked<std::optional<std::string>> options() {
    for (const rules::JobOption &option : rule_.options) {
      RenderedOption &rendered = out_.options.emplace_back();
      rendered.config_name = option.name;
      Checked<std::optional<std::string>> r = field(option.value, [&] { return "option " + option.shown; }, rendered.value);
      if (!r || *r) return r;
    }
    return std::optional<std::string>();
  }

  // webhook-run-job: each token rendered, joined and read back into options as Rundeck does.
  Checked<std::optional<std::string>> arg_string() {
    std::vector<std::string> tokens;
    for (const rules::ValueExpr &token : rule_.arg_tokens) {
      Text slice;
      Checked<std::optional<std::string>> r =
          field(token, [&] { return fmt::format("argString token '{}'", token.text()); }, slice, false);
      if (!r || *r) return r;
      tokens.emplace_back(out_.strings[slice]);
      out_.strings.buffer.resize(slice.offset);
    }
    Strings &strings = out_.strings;
    for (const auto &[name, value] : rules::parse_options(rules::burst(rules::join(tokens)))) {
      RenderedOption &o = out_.options.emplace_back();
      o.rendered_name = true;
      std::size_t start = strings.buffer.size();
      strings.buffer += name;
      o.name = strings.since(start);
      start = strings.buffer.size();
      strings.buffer += value;
      o.value = strings.since(start);
    }
    return std::optional<std::string>();
  }
};

} // namespace

Checked<void> render(const rules::Config &config, const Split &split, Evaluation &evaluation, const Delivery &delivery,
                     Selections &selections, Rendered &out) {
  out.jobs = std::move(evaluation.jobs);
  RenderedValues rendered(config.values.size());
  std::size_t kept = 0; // jobs that cannot run are dropped, the others keep their order
  for (Job &job : out.jobs) {
    const Event &event = split.events[job.event_index];
    RuleTrace *trace = evaluation.trace(job.event_index, *job.rule);
    Checked<std::optional<std::string>> failure = JobRenderer(*job.rule, event, delivery, config.limits, selections, rendered, out).fill(job);
    if (!failure) return std::move(failure.rejection());
    if (*failure) {
      if (trace) trace->error = **failure;
      out.failures.push_back({job.rule, job.event_index, std::move(**failure)});
    } else if (job.job_id.size == 0 && trace) {
      trace->error = "the rule has no job (jobId is empty)";
    }
    if (job.job_id.size != 0) out.jobs[kept++] = job;
  }
  out.jobs.resize(kept);
  return {};
}

} // namespace rdwh::pipeline
