// Rundeck's value syntax, used by job option values, nodeFilter, user and jobId, compiled once at
// config time into segments (pipeline/render.cpp renders them; nothing is parsed per delivery):
// - a value starting with `$` is a JsonPath over the event (`$` alone: the whole event as JSON);
// - anything else (or a value starting with `\$`) is a Groovy-GString-style template:
//   `${data.a.b}`, `${data.arr[0]}`, `${data['key']}`, `$data.a` (short form), `${path('$.a')}`,
//   `${raw}` (the body), `${webhook.id|name|project|sender|timestamp}`, `${webhook['Header']}`,
//   `\$` for a literal dollar.
// Its text is kept in Secrets: a value may hold a ${KS:...} key-storage value.
#pragma once

#include "base/secret.hpp"
#include "json/jsonpath.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace rdwh::rules {

class ValueExpr {
public:
  struct Segment {
    enum class Kind { literal, path, raw, delivery_id, webhook_name, project, sender, timestamp, header };
    Kind kind = Kind::literal;
    Secret text;                        // literal text, or the header name
    std::optional<json::JsonPath> path; // kind == path
    bool groovy = true;                 // a template expression (not a whole-value JsonPath)
  };

  // Throws rdwh::SyntaxError naming the problem. `limits` apply to the JsonPaths in the value.
  static ValueExpr compile(std::string_view text, const json::PathLimits &limits = {});

  const std::vector<Segment> &segments() const noexcept { return segments_; }
  std::string_view text() const noexcept { return text_; }
  // True when the value is a fixed literal (no data reference): its rendering is text().
  bool is_literal() const noexcept;

private:
  ValueExpr() = default;
  Secret text_;
  std::vector<Segment> segments_;
};

} // namespace rdwh::rules
