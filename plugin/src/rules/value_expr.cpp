#include "rules/value_expr.hpp"

#include "base/error.hpp"
#include "base/text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>

namespace rdwh::rules {

namespace {

using Segment = ValueExpr::Segment;

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void append_quoted_name(Secret &path, std::string_view name) {
  path.append("['");
  for (char c : name) {
    if (c == '\'' || c == '\\') path.append("\\");
    path.append({&c, 1});
  }
  path.append("']");
}

// Parses a quoted string literal at s[i] ('...' or "..."), advancing i past it.
Secret parse_quoted(std::string_view s, std::size_t &i, std::string_view whole) {
  char quote = s[i++];
  Secret out;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.append(s.substr(i++, 1));
  }
  if (i >= s.size())
    throw SyntaxError(fmt::format("unterminated string in template expression '{}'", whole));
  ++i;
  return out;
}

// `data` followed by accessors (.name, ?.name, ['name'], [0]) becomes a JsonPath over the event.
json::JsonPath compile_data_accessors(std::string_view rest, std::string_view whole, const json::PathLimits &limits) {
  Secret path("$");
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
      append_quoted_name(path, rest.substr(start, i - start));
    } else if (rest[i] == '[') {
      ++i;
      if (i < rest.size() && (rest[i] == '\'' || rest[i] == '"')) {
        append_quoted_name(path, parse_quoted(rest, i, whole));
      } else {
        std::size_t start = i;
        if (i < rest.size() && rest[i] == '-') ++i;
        while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
        if (i == start)
          throw SyntaxError(fmt::format("expected an index or a quoted name in '[...]' of template expression '{}'", whole));
        path.append("[");
        path.append(rest.substr(start, i - start));
        path.append("]");
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

Segment path_segment(json::JsonPath path) {
  Segment seg;
  seg.kind = Segment::Kind::path;
  seg.path = std::move(path);
  return seg;
}

// `path('<JsonPath>')`: `rest` is what follows `path`.
Segment compile_path_call(std::string_view rest, std::string_view whole, const json::PathLimits &limits) {
  rest = text::trim(rest);
  std::size_t i = 1;
  if (rest.size() < 4 || rest.front() != '(' || rest.back() != ')' ||
      (text::trim(rest.substr(1))[0] != '\'' && text::trim(rest.substr(1))[0] != '"'))
    throw SyntaxError(fmt::format("expected path('<JsonPath>') in template expression '{}'", whole));
  while (rest[i] == ' ') ++i;
  const Secret p = parse_quoted(rest, i, whole);
  if (text::trim(rest.substr(i)) != ")")
    throw SyntaxError(fmt::format("expected ')' after the path in template expression '{}'", whole));
  return path_segment(json::JsonPath::compile(p, limits));
}

// `webhook.<field>` or `webhook['Header']`: `rest` is what follows `webhook`.
Segment compile_webhook(std::string_view rest, std::string_view whole) {
  Segment seg;
  rest = text::trim(rest);
  if (!rest.empty() && rest.front() == '[') {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i >= rest.size() || (rest[i] != '\'' && rest[i] != '"'))
      throw SyntaxError(fmt::format("expected webhook['Header-Name'] in template expression '{}'", whole));
    seg.text = parse_quoted(rest, i, whole);
    if (text::trim(rest.substr(i)) != "]")
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

Segment compile_expression(std::string_view expr, const json::PathLimits &limits) {
  const std::string_view whole = expr;
  expr = text::trim(expr);
  std::size_t n = 0;
  while (n < expr.size() && is_ident_char(expr[n])) ++n;
  const std::string_view head = expr.substr(0, n);
  const std::string_view rest = expr.substr(n);
  if (head == "data") return path_segment(compile_data_accessors(rest, whole, limits));
  if (head == "path") return compile_path_call(rest, whole, limits);
  if (head == "webhook") return compile_webhook(rest, whole);
  if (head == "raw" && text::trim(rest).empty()) {
    Segment seg;
    seg.kind = Segment::Kind::raw;
    return seg;
  }
  throw SyntaxError(fmt::format("unsupported template expression '{}' (supported: data.<field>, "
                                "path('<JsonPath>'), raw, webhook.<field>, webhook['Header'])", whole));
}

// The '}' closing the `${` at `open`, outside quotes; npos when there is none.
std::size_t closing_brace(std::string_view text, std::size_t open) {
  char quote = 0;
  for (std::size_t j = open + 2; j < text.size(); ++j) {
    if (quote) {
      if (text[j] == '\\') ++j;
      else if (text[j] == quote) quote = 0;
    } else if (text[j] == '\'' || text[j] == '"') {
      quote = text[j];
    } else if (text[j] == '}') {
      return j;
    }
  }
  return std::string_view::npos;
}

// The end of the GString short form `$data.a.b` starting at the `$` at `dollar` (identifiers and
// dots only).
std::size_t short_form_end(std::string_view text, std::size_t dollar) {
  std::size_t j = dollar + 1;
  while (j < text.size() &&
         (is_ident_char(text[j]) || (text[j] == '.' && j + 1 < text.size() && is_ident_start(text[j + 1]))))
    ++j;
  return j;
}

} // namespace

ValueExpr ValueExpr::compile(std::string_view text, const json::PathLimits &limits) {
  ValueExpr expr;
  expr.text_.append(text);
  // A leading `$` means JsonPath, except `${`, which no JsonPath can start with: that is a
  // template whose first character is an expression (Rundeck would fail on it).
  if (!text.empty() && text[0] == '$' && !(text.size() > 1 && text[1] == '{')) {
    Segment seg = path_segment(json::JsonPath::compile(text, limits));
    seg.groovy = false;
    expr.segments_.push_back(std::move(seg));
    return expr;
  }
  // A leading `\$` only says "template, not JsonPath": Rundeck drops that backslash, so
  // `\${data.a}` expands. (Elsewhere `\$` is a literal dollar.)
  if (text.size() > 1 && text[0] == '\\' && text[1] == '$') text.remove_prefix(1);
  Secret literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Segment seg;
    seg.text = std::move(literal);
    expr.segments_.push_back(std::move(seg));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\\' && next == '$') {
      literal.append("$");
      i += 2;
    } else if (c == '$' && next == '{') {
      const std::size_t close = closing_brace(text, i);
      if (close == std::string_view::npos) throw SyntaxError(fmt::format("unterminated '${{' at {} in template", i));
      flush();
      expr.segments_.push_back(compile_expression(text.substr(i + 2, close - i - 2), limits));
      i = close + 1;
    } else if (c == '$' && is_ident_start(next)) {
      const std::size_t end = short_form_end(text, i);
      flush();
      expr.segments_.push_back(compile_expression(text.substr(i + 1, end - i - 1), limits));
      i = end;
    } else {
      literal.append(text.substr(i++, 1));
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

} // namespace rdwh::rules
