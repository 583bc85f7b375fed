#include "rules/value_expr.hpp"

#include "base/error.hpp"
#include "base/text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>
#include <system_error>

namespace rdwh::rules {

namespace {

using Segment = ValueExpr::Segment;

constexpr std::string_view not_groovy =
    "rdwh does not run Groovy code; a template may use data.<field>, data['key'], data[0], ?., path('<JsonPath>'), "
    "raw, webhook.<field> and webhook['Header']";

// Groovy's names take Unicode letters too (`data.d.ü`): every byte of a UTF-8 sequence counts.
bool is_ident_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool is_ident_char(char c) { return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Parses a quoted string literal at s[i] ('...' or "..."), advancing i past it.
Secret parse_quoted(std::string_view s, std::size_t &i, std::string_view whole) {
  char quote = s[i++];
  Secret out;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.append(s.substr(i++, 1));
  }
  if (i >= s.size()) throw SyntaxError(fmt::format("unterminated string in template expression '{}'", whole));
  ++i;
  return out;
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// `[...]` at rest[i]: a quoted key or an integer index.
GroovyStep parse_subscript(std::string_view rest, std::size_t &i, std::string_view whole) {
  GroovyStep step;
  i = skip_spaces(rest, i + 1);
  if (i < rest.size() && (rest[i] == '\'' || rest[i] == '"')) {
    step.kind = GroovyStep::Kind::key;
    step.name = parse_quoted(rest, i, whole);
  } else {
    const std::size_t start = i;
    if (i < rest.size() && rest[i] == '-') ++i;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
    if (std::from_chars(rest.data() + start, rest.data() + i, step.index).ec != std::errc() || i == start)
      throw SyntaxError(fmt::format("expected an index or a quoted name in '[...]' of template expression '{}'", whole));
    step.kind = GroovyStep::Kind::index;
  }
  i = skip_spaces(rest, i);
  if (i >= rest.size() || rest[i] != ']') throw SyntaxError(fmt::format("missing ']' in template expression '{}'", whole));
  ++i;
  return step;
}

// A property named by a string after `.`: `data.d.'s'` or `data.d."s"` (Groovy's quoted property
// names). A double-quoted name with `$` in it is a GString that Groovy would evaluate: refused.
Secret parse_quoted_property(std::string_view rest, std::size_t &i, std::string_view whole) {
  const bool gstring = rest[i] == '"';
  const std::size_t start = i;
  Secret name = parse_quoted(rest, i, whole);
  if (gstring && rest.substr(start, i - start).find('$') != std::string_view::npos)
    throw SyntaxError(fmt::format("a property name with '$' in it ('{}') is Groovy code: {}", whole, not_groovy));
  return name;
}

// What follows `data`: accessors `.name`, `.'name'`, `."name"`, `?.name`, `['key']`, `[0]`, with
// spaces between.
std::vector<GroovyStep> parse_accessors(std::string_view rest, std::string_view whole) {
  std::vector<GroovyStep> steps;
  std::size_t i = skip_spaces(rest, 0);
  while (i < rest.size()) {
    const bool safe = rest[i] == '?' && i + 1 < rest.size() && rest[i + 1] == '.';
    if (rest[i] == '.' || safe) {
      i = skip_spaces(rest, i + (safe ? 2 : 1));
      GroovyStep step;
      step.safe = safe;
      if (i < rest.size() && (rest[i] == '\'' || rest[i] == '"')) {
        step.name = parse_quoted_property(rest, i, whole);
      } else {
        const std::size_t start = i;
        while (i < rest.size() && is_ident_char(rest[i])) ++i;
        if (i == start) throw SyntaxError(fmt::format("expected a name after '.' in template expression '{}'", whole));
        step.name = Secret(rest.substr(start, i - start));
      }
      steps.push_back(std::move(step));
    } else if (rest[i] == '[') {
      steps.push_back(parse_subscript(rest, i, whole));
    } else if (rest[i] == '(') {
      throw SyntaxError(fmt::format("method calls ('{}') are Groovy code: {}", whole, not_groovy));
    } else {
      throw SyntaxError(fmt::format("unexpected '{}' in template expression '{}': {}", rest[i], whole, not_groovy));
    }
    i = skip_spaces(rest, i);
  }
  return steps;
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
  i = skip_spaces(rest, i);
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
    std::size_t i = skip_spaces(rest, 1);
    if (i >= rest.size() || (rest[i] != '\'' && rest[i] != '"'))
      throw SyntaxError(fmt::format("expected webhook['Header-Name'] in template expression '{}'", whole));
    seg.text = parse_quoted(rest, i, whole);
    if (text::trim(rest.substr(i)) != "]") throw SyntaxError(fmt::format("expected ']' in template expression '{}'", whole));
    seg.kind = Segment::Kind::header;
    return seg;
  }
  static const std::pair<std::string_view, Segment::Kind> fields[] = {
      {".id", Segment::Kind::delivery_id}, {".name", Segment::Kind::webhook_name}, {".project", Segment::Kind::project},
      {".sender", Segment::Kind::sender},  {".timestamp", Segment::Kind::timestamp}};
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
  if (head == "data") {
    Segment seg;
    seg.kind = Segment::Kind::data;
    seg.steps = parse_accessors(rest, whole);
    return seg;
  }
  if (head == "path") return compile_path_call(rest, whole, limits);
  if (head == "webhook") return compile_webhook(rest, whole);
  if (head == "raw" && text::trim(rest).empty()) {
    Segment seg;
    seg.kind = Segment::Kind::raw;
    return seg;
  }
  throw SyntaxError(fmt::format("unsupported template expression '{}': {}", whole, not_groovy));
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
  while (j < text.size() && (is_ident_char(text[j]) || (text[j] == '.' && j + 1 < text.size() && is_ident_start(text[j + 1]))))
    ++j;
  return j;
}

void append_utf8(Secret &out, unsigned cp) {
  char bytes[3];
  std::size_t n = 0;
  if (cp < 0x80) bytes[n++] = static_cast<char>(cp);
  else if (cp < 0x800) bytes[n++] = static_cast<char>(0xC0 | (cp >> 6)), bytes[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  else
    bytes[n++] = static_cast<char>(0xE0 | (cp >> 12)), bytes[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
    bytes[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  out.append({bytes, n});
}

// A backslash escape of the template's text at text[i] (Groovy's GString escapes: the text sits
// in a """...""" string): appends what it stands for, returns where it ends.
std::size_t escape(std::string_view text, std::size_t i, Secret &literal) {
  if (i + 1 >= text.size()) throw SyntaxError("a template cannot end with '\\' (a Groovy syntax error): write \\\\");
  const char c = text[i + 1];
  static constexpr std::string_view from = "btnfr'$\\", to = "\b\t\n\f\r'$\\";
  if (const std::size_t k = from.find(c); k != std::string_view::npos) {
    literal.append(to.substr(k, 1));
  } else if (c == '"') {
    // The engine escapes quotes itself, so \" keeps its backslash; last in the text, that escaped
    // backslash leaves the engine's closing """ one quote too many (a Groovy syntax error).
    if (i + 2 == text.size()) throw SyntaxError("a template cannot end with \\\" (a Groovy syntax error in Rundeck)");
    literal.append("\\\"");
  } else if (c == '\n') {
    // a line continuation
  } else if (c == 'u') {
    unsigned cp = 0;
    if (i + 6 > text.size() || std::from_chars(text.data() + i + 2, text.data() + i + 6, cp, 16).ptr != text.data() + i + 6)
      throw SyntaxError(fmt::format("invalid \\u escape at {} in template", i));
    append_utf8(literal, cp);
    return i + 5;
  } else if (c >= '0' && c <= '7') {
    std::size_t end = i + 1, max = c <= '3' ? 3 : 2;
    unsigned value = 0;
    while (end < text.size() && end < i + 1 + max && text[end] >= '0' && text[end] <= '7') value = value * 8 + (text[end++] - '0');
    append_utf8(literal, value);
    return end - 1;
  } else {
    throw SyntaxError(fmt::format("'\\{}' at {} is not a Groovy escape (a syntax error in Rundeck): write \\\\{} for a "
                                  "backslash", c, i, c));
  }
  return i + 1;
}

// What Rundeck's Groovy engine cannot compile, or would run as code, is refused.
void refuse_non_templates(std::string_view text) {
  if (text.find("<%") != std::string_view::npos)
    throw SyntaxError("Groovy scriptlets (<% ... %>, <%= ... %>) are code, which rdwh does not run: use ${data...} "
                      "expressions");
}

} // namespace

namespace {

// A template's text into literal and expression segments.
std::vector<Segment> compile_template(std::string_view text, const json::PathLimits &limits) {
  std::vector<Segment> segments;
  Secret literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Segment seg;
    seg.text = std::move(literal);
    segments.push_back(std::move(seg));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\\') {
      i = escape(text, i, literal) + 1;
    } else if (c == '$' && next == '{') {
      const std::size_t close = closing_brace(text, i);
      if (close == std::string_view::npos) throw SyntaxError(fmt::format("unterminated '${{' at {} in template", i));
      flush();
      segments.push_back(compile_expression(text.substr(i + 2, close - i - 2), limits));
      i = close + 1;
    } else if (c == '$' && is_ident_start(next)) {
      const std::size_t end = short_form_end(text, i);
      flush();
      segments.push_back(compile_expression(text.substr(i + 1, end - i - 1), limits));
      i = end;
    } else if (c == '$') {
      throw SyntaxError(fmt::format("a '$' at {} starts neither ${{...}} nor a name (a Groovy syntax error in Rundeck): "
                                    "write \\$ for a dollar sign", i));
    } else {
      literal.append(text.substr(i++, 1));
    }
  }
  flush();
  return segments;
}

} // namespace

ValueExpr ValueExpr::compile(std::string_view text, const TemplateOptions &options) {
  auto compiled = std::make_shared<Compiled>();
  compiled->text.append(text);
  compiled->empty_for_missing = options.empty_for_missing;
  compiled->from_key_storage = options.from_key_storage;
  compiled->always_template = options.always_template;
  // A leading `$` means JsonPath, except `${`, which no JsonPath can start with: that is a
  // template whose first character is an expression (Rundeck would fail on it).
  if (!options.always_template && !text.empty() && text[0] == '$' && !(text.size() > 1 && text[1] == '{')) {
    Segment seg = path_segment(json::JsonPath::compile(text, options.limits));
    seg.groovy = false;
    compiled->segments.push_back(std::move(seg));
  } else {
    refuse_non_templates(text);
    // A leading `\$` before an expression only says "template, not JsonPath": Rundeck's
    // documentation drops that backslash, so `\${data.a}` expands. (Elsewhere `\$` is a literal
    // dollar, as in Groovy.)
    if (!options.always_template && text.size() > 2 && text[0] == '\\' && text[1] == '$' &&
        (text[2] == '{' || is_ident_start(text[2])))
      text.remove_prefix(1);
    compiled->segments = compile_template(text, options.limits);
  }
  if (options.paths)
    for (Segment &seg : compiled->segments)
      if (seg.path) seg.path = options.paths->intern(std::move(*seg.path));
  return ValueExpr(std::move(compiled));
}

ValueExpr::ValueExpr(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {
  const std::vector<Segment> &segments = compiled_->segments;
  // Literal text is one segment: compile_template joins adjacent text.
  is_literal_ = segments.empty() || (segments.size() == 1 && segments[0].kind == Segment::Kind::literal);
  if (!segments.empty() && is_literal_) literal_text_ = segments[0].text.view();
}

ValueExpr ValueTable::intern(ValueExpr value) {
  if (value.is_literal()) return value;
  const ValueExpr::Compiled &c = *value.compiled_;
  const auto same_options = [&](const ValueExpr &kept) {
    const ValueExpr::Compiled &k = *kept.compiled_;
    return k.empty_for_missing == c.empty_for_missing && k.from_key_storage == c.from_key_storage &&
           k.always_template == c.always_template;
  };
  if (const ValueExpr *kept = table_.find(c.text.view(), same_options)) return *kept;
  value.slot_ = table_.next_slot();
  table_.keep(c.text.view(), value); // the key views the text the kept copy shares
  return value;
}

} // namespace rdwh::rules
