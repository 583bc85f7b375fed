#include "rules/value_expr.hpp"

#include "core/error.hpp"
#include "json/text.hpp"
#include "rules/datetime.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>

namespace rdwh::rules {

struct ValueExpr::Segment {
  enum class Kind { literal, path, raw, delivery_id, webhook_name, project, sender, timestamp, header };
  Kind kind = Kind::literal;
  std::string text;               // literal text, or the header name
  std::optional<json::JsonPath> path;
  bool groovy = true;             // a template expression (not a whole-value JsonPath)
};

ValueExpr::ValueExpr(ValueExpr &&) noexcept = default;
ValueExpr &ValueExpr::operator=(ValueExpr &&) noexcept = default;
ValueExpr::~ValueExpr() = default;

void append_selection(const json::Selection &selection, std::string &out, std::size_t max_bytes) {
  switch (selection.kind) {
  case json::Selection::Kind::missing: return;
  case json::Selection::Kind::single: json::append_text(*selection.single, out); return;
  case json::Selection::Kind::list: {
    // Jayway returns an indefinite path's matches as a JSON array.
    out += '[';
    bool first = true;
    for (const json::Value *v : selection.list) {
      if (out.size() > max_bytes) return;
      if (!first) out += ',';
      first = false;
      json::append_json(*v, out);
    }
    out += ']';
    return;
  }
  }
}

namespace {

using Segment = ValueExpr::Segment;

// What a value renders: a whole-value JsonPath as Rundeck's JsonPath values (JSON for lists and
// maps), a template expression as a Groovy GString would. Explicit nulls render as "null" both
// ways (Java's null.toString()); a path that finds nothing renders as nothing.
// A list stops once `out` is longer than `max_bytes` (see append_selection).
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
    append_selection(selection, out, max_bytes);
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

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string quote_for_path(std::string_view name) {
  std::string out = "['";
  for (char c : name) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += "']";
  return out;
}

// Parses a quoted string literal at s[i] ('...' or "..."), advancing i past it.
std::string parse_quoted(std::string_view s, std::size_t &i, std::string_view whole) {
  char quote = s[i++];
  std::string out;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i++];
  }
  if (i >= s.size())
    throw SyntaxError(fmt::format("unterminated string in template expression '{}'", whole));
  ++i;
  return out;
}

// `data` followed by accessors (.name, ?.name, ['name'], [0]) becomes a JsonPath over the event.
json::JsonPath compile_data_accessors(std::string_view rest, std::string_view whole, const json::PathLimits &limits) {
  std::string path = "$";
  std::size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == ' ') { ++i; continue; }
    if (rest[i] == '?' && i + 1 < rest.size() && rest[i + 1] == '.') ++i; // Groovy safe navigation
    if (rest[i] == '.') {
      ++i;
      std::size_t start = i;
      while (i < rest.size() && (is_ident_char(rest[i]) || rest[i] == '-')) ++i;
      if (i == start)
        throw SyntaxError(fmt::format("expected a name after '.' in template expression '{}'", whole));
      path += quote_for_path(rest.substr(start, i - start));
    } else if (rest[i] == '[') {
      ++i;
      if (i < rest.size() && (rest[i] == '\'' || rest[i] == '"')) {
        path += quote_for_path(parse_quoted(rest, i, whole));
      } else {
        std::size_t start = i;
        if (i < rest.size() && rest[i] == '-') ++i;
        while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
        if (i == start)
          throw SyntaxError(fmt::format("expected an index or a quoted name in '[...]' of template expression '{}'", whole));
        path += '[';
        path.append(rest.substr(start, i - start));
        path += ']';
      }
      if (i >= rest.size() || rest[i] != ']')
        throw SyntaxError(fmt::format("missing ']' in template expression '{}'", whole));
      ++i;
    } else {
      throw SyntaxError(fmt::format("unexpected '{}' in template expression '{}'", rest[i], whole));
    }
  }
  return json::JsonPath::compile(path, limits);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Segment compile_expression(std::string_view expr, const json::PathLimits &limits) {
  const std::string_view whole = expr;
  expr = trim(expr);
  Segment seg;
  auto ident_end = [&] {
    std::size_t i = 0;
    while (i < expr.size() && is_ident_char(expr[i])) ++i;
    return i;
  };
  std::size_t n = ident_end();
  std::string_view head = expr.substr(0, n);
  std::string_view rest = expr.substr(n);
  if (head == "data") {
    seg.kind = Segment::Kind::path;
    seg.path = compile_data_accessors(rest, whole, limits);
    return seg;
  }
  if (head == "path") {
    rest = trim(rest);
    std::size_t i = 1;
    if (rest.size() < 4 || rest.front() != '(' || rest.back() != ')' ||
        (trim(rest.substr(1))[0] != '\'' && trim(rest.substr(1))[0] != '"'))
      throw SyntaxError(fmt::format("expected path('<JsonPath>') in template expression '{}'", whole));
    while (rest[i] == ' ') ++i;
    std::string p = parse_quoted(rest, i, whole);
    if (trim(rest.substr(i)) != ")")
      throw SyntaxError(fmt::format("expected ')' after the path in template expression '{}'", whole));
    seg.kind = Segment::Kind::path;
    seg.path = json::JsonPath::compile(p, limits);
    return seg;
  }
  if (head == "raw" && trim(rest).empty()) {
    seg.kind = Segment::Kind::raw;
    return seg;
  }
  if (head == "webhook") {
    rest = trim(rest);
    if (!rest.empty() && rest.front() == '[') {
      std::size_t i = 1;
      while (i < rest.size() && rest[i] == ' ') ++i;
      if (i >= rest.size() || (rest[i] != '\'' && rest[i] != '"'))
        throw SyntaxError(fmt::format("expected webhook['Header-Name'] in template expression '{}'", whole));
      seg.text = parse_quoted(rest, i, whole);
      if (trim(rest.substr(i)) != "]")
        throw SyntaxError(fmt::format("expected ']' in template expression '{}'", whole));
      seg.kind = Segment::Kind::header;
      return seg;
    }
    static const std::pair<std::string_view, Segment::Kind> fields[] = {
        {".id", Segment::Kind::delivery_id},   {".name", Segment::Kind::webhook_name},
        {".project", Segment::Kind::project},  {".sender", Segment::Kind::sender},
        {".timestamp", Segment::Kind::timestamp}};
    for (const auto &[name, kind] : fields)
      if (rest == name) {
        seg.kind = kind;
        return seg;
      }
    throw SyntaxError(fmt::format("unknown webhook field in template expression '{}' (known: webhook.id, "
                                  "webhook.name, webhook.project, webhook.sender, webhook.timestamp, "
                                  "webhook['Header'])", whole));
  }
  throw SyntaxError(fmt::format("unsupported template expression '{}' (supported: data.<field>, "
                                "path('<JsonPath>'), raw, webhook.<field>, webhook['Header'])", whole));
}

} // namespace

ValueExpr ValueExpr::compile(std::string_view text, const json::PathLimits &limits) {
  ValueExpr expr;
  expr.text_ = std::string(text);
  // A leading `$` means JsonPath, except `${`, which no JsonPath can start with: that is a
  // template whose first character is an expression (Rundeck would fail on it).
  if (!text.empty() && text[0] == '$' && !(text.size() > 1 && text[1] == '{')) {
    Segment seg;
    seg.kind = Segment::Kind::path;
    seg.path = json::JsonPath::compile(text, limits);
    seg.groovy = false;
    expr.segments_.push_back(std::move(seg));
    return expr;
  }
  // A leading `\$` only says "template, not JsonPath": Rundeck drops that backslash, so
  // `\${data.a}` expands. (Elsewhere `\$` is a literal dollar.)
  if (text.size() > 1 && text[0] == '\\' && text[1] == '$') text.remove_prefix(1);
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Segment seg;
    seg.text = std::move(literal);
    literal.clear();
    expr.segments_.push_back(std::move(seg));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      literal += '$';
      i += 2;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      // Find the matching '}' outside quotes.
      std::size_t j = i + 2;
      char quote = 0;
      for (; j < text.size(); ++j) {
        if (quote) {
          if (text[j] == '\\') ++j;
          else if (text[j] == quote) quote = 0;
        } else if (text[j] == '\'' || text[j] == '"') {
          quote = text[j];
        } else if (text[j] == '}') {
          break;
        }
      }
      if (j >= text.size())
        throw SyntaxError(fmt::format("unterminated '${{' at {} in template", i));
      flush();
      expr.segments_.push_back(compile_expression(text.substr(i + 2, j - i - 2), limits));
      i = j + 1;
    } else if (c == '$' && i + 1 < text.size() && is_ident_start(text[i + 1])) {
      // GString short form: $data.a.b (identifiers and dots only).
      std::size_t j = i + 1;
      while (j < text.size() && (is_ident_char(text[j]) ||
                                 (text[j] == '.' && j + 1 < text.size() && is_ident_start(text[j + 1]))))
        ++j;
      flush();
      expr.segments_.push_back(compile_expression(text.substr(i + 1, j - i - 1), limits));
      i = j;
    } else {
      literal += c;
      ++i;
    }
  }
  flush();
  return expr;
}

bool ValueExpr::is_literal() const noexcept {
  for (const Segment &s : segments_)
    if (s.kind != Segment::Kind::literal) return false;
  return true;
}

bool ValueExpr::render(const EventContext &ctx, std::string &out, std::size_t max_bytes) const {
  json::Selection selection;
  for (const Segment &seg : segments_) {
    switch (seg.kind) {
    case Segment::Kind::literal: out += seg.text; break;
    case Segment::Kind::path:
      seg.path->select(ctx.event, selection);
      render_selection(selection, seg.groovy, out, max_bytes);
      break;
    case Segment::Kind::raw: out.append(ctx.delivery.body); break;
    case Segment::Kind::delivery_id: out.append(ctx.delivery.delivery_id); break;
    case Segment::Kind::webhook_name: out.append(ctx.delivery.webhook_name); break;
    case Segment::Kind::project: out.append(ctx.delivery.project); break;
    case Segment::Kind::sender: out.append(ctx.delivery.sender); break;
    case Segment::Kind::timestamp: out += std::to_string(ctx.delivery.received_unix_ms); break;
    case Segment::Kind::header: out.append(ctx.delivery.header(seg.text)); break;
    }
    if (out.size() > max_bytes) {
      out.resize(max_bytes);
      return false;
    }
  }
  return true;
}

} // namespace rdwh::rules
