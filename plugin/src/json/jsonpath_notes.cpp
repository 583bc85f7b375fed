// Where Rundeck's Jayway (2.10.0) reads a path in a way its writer probably did not mean: rdwh
// answers as Jayway does (or, for a deep scan then a step, as Jayway's first delivery does), and a
// linter says so, with a path that says what was meant.
#include "json/jsonpath_model.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace rdwh::json {
namespace {

bool is_array_step(const Step &s) {
  return s.kind == StepKind::index || s.kind == StepKind::indices || s.kind == StepKind::slice ||
         s.kind == StepKind::wildcard || s.kind == StepKind::filter;
}

// `text` with the first `from` replaced by `to`; empty when there is none.
std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string_view::npos) return {};
  return fmt::format("{}{}{}", text.substr(0, at), to, text.substr(at + from.size()));
}

// first() or index(n) written as an index.
std::string as_index(std::string_view text, const Step &fn) {
  if (fn.function == Function::first) return replaced(text, ".first()", "[0]");
  if (fn.args.size() != 1 || fn.args.front().is_path || !fn.args.front().value.IsInt64()) return {};
  const std::int64_t n = fn.args.front().value.GetInt64();
  const std::size_t at = text.find(".index(");
  const std::size_t close = at == std::string_view::npos ? at : text.find(')', at);
  if (close == std::string_view::npos) return {};
  return fmt::format("{}[{}]{}", text.substr(0, at), n, text.substr(close + 1));
}

void function_notes(std::string_view text, const std::vector<Step> &steps, std::size_t i,
                    std::vector<JsonPath::Note> &out) {
  const Step &fn = steps[i];
  const bool element = fn.function == Function::first || fn.function == Function::index;
  if (i + 1 < steps.size() && steps[i + 1].kind == StepKind::name && steps[i + 1].names.front().view() == ")") {
    std::string use = fn.function == Function::first ? replaced(text, ".first()", "[0]")
                      : fn.function == Function::last ? replaced(text, ".last()", "[-1]")
                                                        : std::string();
    out.push_back({"on Rundeck this path finds nothing: Jayway reads the ')' of a function's \"()\" as a member "
                   "name, so the steps after it find nothing",
                   std::move(use)});
    return;
  }
  bool below_array = false;
  for (std::size_t k = 0; k < i; ++k) below_array = below_array || is_array_step(steps[k]);
  if (element && below_array && (fn.function == Function::first || !fn.args.front().is_path))
    out.push_back({"on Rundeck this path finds nothing where the list is too short, as an error is dropped "
                   "below an index, wildcard, slice or filter step (elsewhere it fails)",
                   as_index(text, fn)});
}

void slice_note(std::string_view text, const Step &s, std::vector<JsonPath::Note> &out) {
  if (!s.from || !s.to) return;
  const std::string written = fmt::format("[{}:{}]", *s.from, *s.to);
  if (*s.to < 0 && *s.from >= 0)
    out.push_back({fmt::format("on Rundeck this path finds nothing: Jayway does not count the end of {} from the "
                               "end of the list", written),
                   *s.from == 0 ? replaced(text, written, fmt::format("[:{}]", *s.to)) : std::string()});
  else if (*s.from < 0 && *s.to >= 0)
    out.push_back({fmt::format("on Rundeck {} takes the last {} elements, then the first {}", written, -*s.from, *s.to),
                   replaced(text, written, fmt::format("[{}:]", *s.from))});
}

} // namespace

std::vector<JsonPath::Note> JsonPath::rundeck_notes() const {
  std::vector<Note> out;
  const std::string_view text = impl_->text.view();
  const std::vector<Step> &steps = impl_->paths[impl_->main].steps;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step &s = steps[i];
    if (s.kind == StepKind::function) function_notes(text, steps, i, out);
    if (s.kind == StepKind::slice) slice_note(text, s, out);
    if (s.deep && is_array_step(s) && i + 1 < steps.size()) {
      const Step &next = steps[i + 1];
      const bool named = s.kind == StepKind::wildcard && next.kind == StepKind::name && !next.deep;
      out.push_back({"on Rundeck what this path finds depends on the deliveries before it (Jayway keeps state in "
                     "the compiled path: after a deep scan through a list it drops the matches of the next step); "
                     "rdwh finds every match",
                     named ? fmt::format("$..{}", next.names.front().view()) : std::string()});
    }
  }
  return out;
}

} // namespace rdwh::json
