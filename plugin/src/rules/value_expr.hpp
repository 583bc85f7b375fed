// Rundeck's value syntax, used by job option values, nodeFilter, user and jobId:
// - a value starting with `$` is a JsonPath over the event (`$` alone: the whole event as JSON);
// - anything else (or a value starting with `\$`) is a Groovy-GString-style template:
//   `${data.a.b}`, `${data.arr[0]}`, `${data['key']}`, `$data.a` (short form), `${path('$.a')}`,
//   `${raw}` (the body), `${webhook.id|name|project|sender|timestamp}`, `${webhook['Header']}`,
//   `\$` for a literal dollar.
// A list or map renders as compact JSON; a missing path or null renders as nothing (never a crash).
// Compiled once at config time; rendering does no parsing.
#pragma once

#include "json/jsonpath.hpp"
#include "rules/context.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::rules {

class ValueExpr {
public:
  // Throws rdwh::SyntaxError naming the problem. `limits` apply to the JsonPaths in the value.
  static ValueExpr compile(std::string_view text, const json::PathLimits &limits = {});

  ValueExpr(ValueExpr &&) noexcept;
  ValueExpr &operator=(ValueExpr &&) noexcept;
  ~ValueExpr();

  // Appends the rendering for this event to `out`. Stops appending past `max_bytes` of `out`
  // and returns false then (output limit).
  bool render(const EventContext &ctx, std::string &out, std::size_t max_bytes) const;
  // True when the value is a fixed literal (no data reference): its rendering is text().
  bool is_literal() const noexcept;
  const std::string &text() const noexcept { return text_; }

  struct Segment;

private:
  ValueExpr() = default;
  std::string text_;
  std::vector<Segment> segments_;
};

// Appends what a selection renders as: one value as text, a list as a JSON array, missing as
// nothing. Shared by templates, event ids and explanations. A list stops (unterminated) as soon as
// `out` is longer than `max_bytes`: each of its values may repeat much of the document
// (`$..*`), so rendering it whole could take far more memory than the body.
void append_selection(const json::Selection &selection, std::string &out,
                      std::size_t max_bytes = static_cast<std::size_t>(-1));

} // namespace rdwh::rules
