// JsonPath: compile hostile path text, then evaluate it on a hostile document.
//
// Input: the first line is the path; the rest is a JSON document (the fallback document when it
// does not parse, so path fuzzing always has something to walk).
// Invariants: compile either succeeds or throws SyntaxError; a compiled path recompiles from its
// own text(); evaluation never fails but for a documented limit (a limit_exceeded rejection); a
// definite path gives single/missing, an indefinite one a list or missing, either may fail as
// Jayway does (with a reason); every selected value renders; evaluating again gives the same.
#include "fuzz_common.hpp"

#include "base/error.hpp"
#include "json/parse.hpp"
#include "json/jsonpath.hpp"
#include "json/text.hpp"

#include <optional>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rdwh::json;
  auto [path_text, doc_text] = rdwh::fuzz::split_line(rdwh::fuzz::as_view(data, size));

  rapidjson::Document doc;
  ParseLimits parse_limits;
  if (parse(doc_text, doc, parse_limits).failed) {
    rapidjson::Document fallback;
    FUZZ_CHECK(!parse(rdwh::fuzz::fallback_document, fallback, parse_limits).failed);
    doc.Swap(fallback);
  }

  std::optional<JsonPath> path;
  try {
    path = JsonPath::compile(path_text);
  } catch (const rdwh::SyntaxError &) {
    return 0;
  }
  // Its own text compiles again, to the same kind of path (unless the `$.` prepended to it made
  // it longer than the length limit).
  if (path->text().size() <= PathLimits{}.max_path_length) {
    JsonPath again = JsonPath::compile(path->text());
    FUZZ_CHECK(again.definite() == path->definite());
    FUZZ_CHECK(again.text() == path->text());
  }

  Selection selection;
  if (rdwh::Checked<void> selected = path->select(doc, selection); !selected) {
    // A documented limit: too many results or too much work.
    FUZZ_CHECK(selected.rejection().verdict == rdwh::Verdict::limit_exceeded);
    return 0;
  }
  if (selection.kind == Selection::Kind::failed) FUZZ_CHECK(!selection.error.empty()); // what Jayway would throw
  else if (path->definite()) FUZZ_CHECK(selection.kind != Selection::Kind::list);
  else FUZZ_CHECK(selection.kind == Selection::Kind::list || selection.kind == Selection::Kind::missing);
  if (selection.kind == Selection::Kind::single) FUZZ_CHECK(selection.single != nullptr);
  std::string rendered;
  append_selection(selection, rendered);
  if (selection.kind == Selection::Kind::list) FUZZ_CHECK(rendered.size() >= 2 && rendered.front() == '[');
  // Evaluating twice gives the same selection (compiled paths are immutable): the same values
  // (what functions make is made again: compared by its rendering).
  const rdwh::Checked<Selection> again_selected = path->select(doc);
  FUZZ_CHECK(again_selected);
  const Selection &second = *again_selected;
  std::string again;
  append_selection(second, again);
  FUZZ_CHECK(second.kind == selection.kind && again == rendered && second.error == selection.error);
  if (!selection.computed) FUZZ_CHECK(second.single == selection.single && second.list == selection.list);
  return 0;
}
