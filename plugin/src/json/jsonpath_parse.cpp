// JsonPath compiler, paths: steps, names, indexes, slices and function calls (see jsonpath.hpp for
// the syntax). Filter expressions are in jsonpath_parse_filter.cpp.
#include "base/error.hpp"
#include "base/text.hpp"
#include "json/jsonpath_parser.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>
#include <utility>

namespace rdwh::json {
namespace {

constexpr std::size_t max_quoted = 80; // path text quoted in error messages

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

void append_utf8(Secret &out, std::uint32_t cp) {
  char bytes[4];
  std::size_t n = 0;
  auto byte = [&](std::uint32_t b) { bytes[n++] = static_cast<char>(b); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
  out.append({bytes, n});
}

struct FunctionName {
  std::string_view name;
  Function function;
};
constexpr std::array<FunctionName, 13> function_names = {{
    {"length", Function::length}, {"size", Function::length}, {"min", Function::min},   {"max", Function::max},
    {"avg", Function::avg},       {"sum", Function::sum},     {"stddev", Function::stddev}, {"first", Function::first},
    {"last", Function::last},     {"index", Function::index}, {"keys", Function::keys},  {"concat", Function::concat},
    {"append", Function::append},
}};

// Literals may hold a key-storage value: wipe them before the pool is freed.
void wipe_strings(const Value &v) {
  if (v.IsString()) OPENSSL_cleanse(const_cast<char *>(v.GetString()), v.GetStringLength());
  if (v.IsArray())
    for (const Value &e : v.GetArray()) wipe_strings(e);
  if (v.IsObject())
    for (const auto &m : v.GetObject()) {
      wipe_strings(m.name);
      wipe_strings(m.value);
    }
}

} // namespace

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Parser::Nest::Nest(Parser &p, std::size_t at) : p_(p) {
  if (++p_.depth_ > p_.impl_.limits.max_steps) p_.fail("filter nests too deeply", at);
}

std::size_t Parser::parse_top() {
  std::size_t path = parse_path(Context::top);
  if (!at_end()) unexpected(pos_);
  return path;
}

void Parser::skip_space() {
  while (!at_end() && text::is_space(s_[pos_])) ++pos_;
}

void Parser::fail(const std::string &what, std::size_t at) const {
  throw SyntaxError(what + " at " + std::to_string(at) + " in JsonPath '" + excerpt(s_, at) + "'");
}

void Parser::unexpected(std::size_t at) const {
  if (at >= s_.size()) fail("unexpected end", at);
  const auto c = static_cast<unsigned char>(s_[at]);
  if (c >= 0x20 && c < 0x7F) fail(std::string("unexpected '") + static_cast<char>(c) + "'", at);
  fail("unexpected byte 0x" + text::to_hex(s_.substr(at, 1)), at);
}

void Parser::expect(char c) {
  if (peek() != c || at_end()) unexpected(pos_);
  ++pos_;
}

// At `$` or `@`. Inside a filter or an argument the path ends at the first character that cannot
// continue it (an operator, a space, `)`, `,`); at top level everything must be consumed.
std::size_t Parser::parse_path(Context context) {
  PathSpec path;
  path.relative = s_[pos_] == '@';
  ++pos_;
  while (!at_end()) {
    const char c = s_[pos_];
    if (c == '[') {
      parse_bracket(path, false);
    } else if (c == '.') {
      const std::size_t dots = pos_;
      const bool deep = peek(1) == '.';
      pos_ += deep ? 2 : 1;
      if (at_end()) fail(deep ? "path must not end with '..'" : "path must not end with '.'", dots);
      parse_step_after_dot(path, deep, context);
    } else {
      break;
    }
  }
  finish_path(path);
  return add_path(std::move(path));
}

std::size_t Parser::add_path(PathSpec path) {
  impl_.paths.push_back(std::move(path));
  return impl_.paths.size() - 1;
}

// Which steps are definite, as Jayway's tokens are: a single name or index, a member list at the
// end (a map), a function. `$..a.fn()` becomes fn applied to the node with the scan as its
// argument (Jayway's CompiledPath inverts it so).
void Parser::finish_path(PathSpec &path) {
  std::vector<Step> &steps = path.steps;
  if (steps.size() > 1 && steps.front().deep && steps.back().kind == StepKind::function) {
    PathSpec scan;
    scan.relative = path.relative;
    scan.steps.assign(std::make_move_iterator(steps.begin()), std::make_move_iterator(steps.end() - 1));
    Step call = std::move(steps.back());
    finish_path(scan);
    call.args.clear();
    call.args.push_back(Argument{true, add_path(std::move(scan)), Value()});
    steps.clear();
    steps.push_back(std::move(call));
  }
  path.definite_prefix = steps.size();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step &s = steps[i];
    const bool definite = !s.deep && (s.kind == StepKind::name || s.kind == StepKind::index ||
                                      s.kind == StepKind::function || (s.kind == StepKind::names && i + 1 == steps.size()));
    if (!definite) {
      path.definite_prefix = i;
      break;
    }
  }
  path.definite = path.definite_prefix == steps.size();
}

void Parser::parse_step_after_dot(PathSpec &path, bool deep, Context context) {
  const char c = s_[pos_];
  if (c == '[') return parse_bracket(path, deep); // Jayway accepts `.['a']` and `..['a']`
  if (c == '*') {
    Step step;
    step.kind = StepKind::wildcard;
    step.deep = deep;
    add_step(path, std::move(step), pos_++);
    return;
  }
  if (c == '.') unexpected(pos_);
  parse_dot_name(path, deep, context);
}

namespace {
// Dot-notation names take any byte but the terminators (Jayway: `.`, `[`, `(`; a space is an
// error at top level). Inside a filter operators, spaces and `)` also end the name; inside a
// function argument a comma too.
bool ends_dot_name(char c, bool nested, bool argument) {
  if (c == '.' || c == '[' || c == '(' || text::is_space(c)) return true;
  if (!nested) return false;
  switch (c) {
  case ')': case ']': case '=': case '!': case '<': case '>': case '~': case '&': case '|':
    return true;
  default:
    return argument && c == ',';
  }
}
} // namespace

void Parser::parse_dot_name(PathSpec &path, bool deep, Context context) {
  const std::size_t start = pos_;
  while (!at_end() && !ends_dot_name(s_[pos_], context != Context::top, context == Context::argument)) ++pos_;
  if (pos_ == start) unexpected(pos_);
  const std::string_view name = s_.substr(start, pos_ - start);
  if (peek() == '(' && !at_end()) return parse_function(path, name, start, deep);
  if (context == Context::top && !at_end() && text::is_space(s_[pos_]))
    fail("a name with spaces needs bracket notation, e.g. ['my name'],", pos_);
  Step step;
  step.kind = StepKind::name;
  step.deep = deep;
  step.names.emplace_back(name);
  add_step(path, std::move(step), start);
}

// `.name(args)`: one of Jayway's functions, its arguments paths or JSON values.
void Parser::parse_function(PathSpec &path, std::string_view name, std::size_t at, bool deep) {
  const auto known = std::find_if(function_names.begin(), function_names.end(),
                                  [&](const FunctionName &f) { return f.name == name; });
  if (known == function_names.end())
    fail("unknown JsonPath function '" + std::string(name) +
             "()' (Jayway's are length, size, min, max, avg, sum, stddev, first, last, index, keys, concat, append)",
         at);
  if (deep) fail("a function cannot follow '..'", at);
  Nest nest(*this, at);
  Step step;
  step.kind = StepKind::function;
  step.function = known->function;
  ++pos_; // (
  const bool bare = peek() == ')'; // exactly "()"
  skip_space();
  while (peek() != ')') {
    step.args.push_back(parse_argument());
    skip_space();
    if (peek() == ',') ++pos_;
    else if (peek() != ')') fail("expected ',' or ')' after a function argument", pos_);
  }
  const std::size_t close = pos_;
  expect(')');
  add_step(path, std::move(step), at);
  // Jayway's PathCompiler stops on the ')' of "()" and reads it as the start of the next step:
  // `first().s` is first(), then the member ")", then `s`, which finds nothing.
  if (bare && (peek() == '.' || peek() == '[') && !at_end()) {
    Step paren;
    paren.names.emplace_back(")");
    add_step(path, std::move(paren), close);
  }
}

// One argument: a path ($..., @...) or what Jayway reads as JSON (an object, a number, a
// "string"); Jayway silently drops anything else, so it is refused here.
Argument Parser::parse_argument() {
  skip_space();
  const std::size_t start = pos_;
  const char c = peek();
  if (at_end()) fail("unterminated function call", start);
  if (c == '$' || c == '@') return Argument{true, parse_path(Context::argument), Value()};
  if (c != '{' && c != '"' && c != '-' && !is_digit(c))
    fail("a function argument must be a path ($..., @...), a number, a \"string\" or a {...} object", start);
  return Argument{false, 0, parse_literal()};
}

void Parser::parse_bracket(PathSpec &path, bool deep) {
  const std::size_t open = pos_;
  ++pos_;
  skip_space();
  if (at_end()) fail("unterminated '['", open);
  Step step;
  step.deep = deep;
  const char c = s_[pos_];
  if (c == '*') {
    ++pos_;
    step.kind = StepKind::wildcard;
  } else if (c == '?') {
    ++pos_;
    skip_space();
    expect('(');
    skip_space();
    if (peek() == ')') fail("empty filter", pos_);
    step.kind = StepKind::filter;
    step.filter = parse_or(open);
    skip_space();
    if (at_end()) fail("unterminated filter", open);
    expect(')');
  } else if (c == '\'' || c == '"') {
    step.names.push_back(parse_quoted());
    skip_space();
    while (peek() == ',') {
      ++pos_;
      skip_space();
      if (peek() != '\'' && peek() != '"') unexpected(pos_);
      step.names.push_back(parse_quoted());
      skip_space();
    }
    step.kind = step.names.size() == 1 ? StepKind::name : StepKind::names;
  } else if (c == '-' || c == ':' || is_digit(c)) {
    parse_index_or_slice(step);
  } else {
    unexpected(pos_);
  }
  skip_space();
  if (at_end()) fail("unterminated '['", open);
  expect(']');
  add_step(path, std::move(step), open);
}

void Parser::parse_index_or_slice(Step &step) {
  const std::size_t start = pos_;
  std::optional<std::int64_t> first;
  if (peek() != ':') first = parse_int();
  skip_space();
  if (peek() == ':') {
    ++pos_;
    skip_space();
    step.kind = StepKind::slice;
    step.from = first;
    if (peek() == '-' || is_digit(peek())) step.to = parse_int();
    skip_space();
    if (peek() == ':') fail("slice steps ([a:b:c]) are not supported", pos_);
    if (!step.from && !step.to) fail("a slice needs a start or an end", start);
    return;
  }
  step.indices.push_back(*first);
  while (peek() == ',') {
    ++pos_;
    skip_space();
    step.indices.push_back(parse_int());
    skip_space();
  }
  step.kind = step.indices.size() == 1 ? StepKind::index : StepKind::indices;
}

std::int64_t Parser::parse_int() {
  const std::size_t start = pos_;
  if (peek() == '-') ++pos_;
  if (!is_digit(peek())) unexpected(pos_);
  while (is_digit(peek())) ++pos_;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, value);
  if (ec != std::errc() || end != s_.data() + pos_) fail("integer out of range", start);
  return value;
}

void Parser::add_step(PathSpec &path, Step step, std::size_t at) {
  if (++steps_ > impl_.limits.max_steps)
    fail("JsonPath has more than " + std::to_string(impl_.limits.max_steps) + " steps", at);
  path.steps.push_back(std::move(step));
}

// Quoted string with Jayway's escapes (Utils.unescape): \' \" \\ \/ \b \f \n \r \t \uXXXX;
// any other escaped character stands for itself.
Secret Parser::parse_quoted() {
  const std::size_t start = pos_;
  const char quote = s_[pos_++];
  Secret out;
  for (;;) {
    if (at_end()) fail("unterminated string", start);
    const char c = s_[pos_++];
    if (c == quote) return out;
    if (c != '\\') {
      out.append({&c, 1});
      continue;
    }
    if (at_end()) fail("unterminated string", start);
    const char e = s_[pos_++];
    switch (e) {
    case 'b': out.append("\b"); break;
    case 'f': out.append("\f"); break;
    case 'n': out.append("\n"); break;
    case 'r': out.append("\r"); break;
    case 't': out.append("\t"); break;
    case 'u': append_utf8(out, parse_unicode_escape(pos_ - 2)); break;
    default: out.append({&e, 1}); break;
    }
  }
}

// After `\u`: four hex digits, or a surrogate pair written as two escapes.
std::uint32_t Parser::parse_unicode_escape(std::size_t at) {
  std::uint32_t cp = parse_hex4(at);
  if (cp >= 0xDC00 && cp <= 0xDFFF) fail("invalid \\u escape (lone low surrogate)", at);
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (!looking_at("\\u")) fail("invalid \\u escape (lone high surrogate)", at);
    pos_ += 2;
    const std::uint32_t low = parse_hex4(at);
    if (low < 0xDC00 || low > 0xDFFF) fail("invalid \\u escape (bad surrogate pair)", at);
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  return cp;
}

std::uint32_t Parser::parse_hex4(std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = text::hex_digit_value(peek());
    if (digit < 0 || at_end()) fail("invalid \\u escape", at);
    value = value * 16 + static_cast<std::uint32_t>(digit);
    ++pos_;
  }
  return value;
}

std::string excerpt(std::string_view text, std::size_t at) {
  if (text.size() <= max_quoted) return std::string(text);
  std::size_t begin = at > max_quoted / 2 ? at - max_quoted / 2 : 0;
  begin = std::min(begin, text.size() - max_quoted);
  std::size_t end = begin + max_quoted;
  while (begin > 0 && is_utf8_continuation(text[begin])) --begin;
  while (end < text.size() && is_utf8_continuation(text[end])) ++end;
  std::string out = begin > 0 ? "..." : "";
  out.append(text.substr(begin, end - begin));
  if (end < text.size()) out += "...";
  return out;
}

JsonPath::Impl::~Impl() {
  for (const Expr &e : exprs) {
    wipe_strings(e.left.value);
    wipe_strings(e.right.value);
  }
  for (const PathSpec &p : paths)
    for (const Step &s : p.steps)
      for (const Argument &a : s.args) wipe_strings(a.value);
}

JsonPath::JsonPath(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonPath::JsonPath(const JsonPath &) noexcept = default;
JsonPath &JsonPath::operator=(const JsonPath &) noexcept = default;
JsonPath::JsonPath(JsonPath &&) noexcept = default;
JsonPath &JsonPath::operator=(JsonPath &&) noexcept = default;
JsonPath::~JsonPath() = default;

JsonPath JsonPath::compile(std::string_view text, const PathLimits &limits) {
  text = text::trim(text); // Jayway trims too
  if (text.empty()) throw SyntaxError("empty JsonPath");
  if (text.size() > limits.max_path_length) {
    throw SyntaxError("JsonPath longer than " + std::to_string(limits.max_path_length) + " characters: '" +
                      excerpt(text, 0) + "'");
  }
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  // Jayway: a path starting with neither `$` nor `@` is relative to the root.
  if (text.front() != '$' && text.front() != '@') impl->text.append("$.");
  impl->text.append(text);
  if (const auto nul = impl->text.view().find('\0'); nul != std::string_view::npos) {
    throw SyntaxError("NUL byte at " + std::to_string(nul) + " in JsonPath");
  }
  Parser parser(impl->text, *impl);
  impl->main = parser.parse_top();
  return JsonPath(std::move(impl));
}

JsonPath PathTable::intern(JsonPath path) {
  const PathLimits &limits = path.impl_->limits;
  const auto same_limits = [&](const JsonPath &kept) {
    const PathLimits &k = kept.impl_->limits;
    return k.max_path_length == limits.max_path_length && k.max_steps == limits.max_steps &&
           k.max_results == limits.max_results && k.max_work == limits.max_work &&
           k.missing_leaf_null == limits.missing_leaf_null;
  };
  if (const JsonPath *kept = table_.find(path.text(), same_limits)) return *kept;
  // A definite chain of members: its parent, in bracket notation (names with a quote or a
  // backslash are left alone rather than escaped), a Secret as the path may hold key storage.
  const PathSpec &spec = path.impl_->paths[path.impl_->main];
  const bool chain = !spec.relative && spec.steps.size() >= 2 && std::all_of(spec.steps.begin(), spec.steps.end(), [](const Step &st) {
    return st.kind == StepKind::name && !st.deep && st.names.size() == 1 &&
           st.names[0].view().find_first_of("'\\") == std::string_view::npos;
  });
  if (chain) {
    Secret parent_text("$");
    for (std::size_t i = 0; i + 1 < spec.steps.size(); ++i) {
      parent_text.append("['");
      parent_text.append(spec.steps[i].names[0].view());
      parent_text.append("']");
    }
    PathLimits parent_limits = limits;
    parent_limits.missing_leaf_null = false; // a prefix is never the leaf
    try {
      path.parent_ = std::make_shared<const JsonPath>(intern(JsonPath::compile(parent_text.view(), parent_limits)));
    } catch (const SyntaxError &) { // longer than max_path_length in bracket notation: not shared
    }
  }
  path.slot_ = table_.next_slot();
  table_.keep(path.text(), path); // the key views the text the kept copy shares
  return path;
}

bool JsonPath::definite() const noexcept { return impl_->paths[impl_->main].definite; }

std::string_view JsonPath::text() const noexcept { return impl_->text; }

bool JsonPath::relative() const noexcept { return impl_->paths[impl_->main].relative; }

std::vector<std::string_view> JsonPath::outline(bool *complete) const {
  std::vector<std::string_view> parts;
  const std::vector<Step> &steps = impl_->paths[impl_->main].steps;
  for (const Step &step : steps) {
    if (step.deep) break;
    if (step.kind == StepKind::name) parts.push_back(step.names.front());
    else if (step.kind == StepKind::index || step.kind == StepKind::indices || step.kind == StepKind::slice)
      parts.push_back("[]");
    else if (step.kind == StepKind::filter)
      parts.push_back("?"); // a list's elements, or the map itself
    else
      break;
  }
  if (complete) *complete = parts.size() == steps.size();
  return parts;
}

} // namespace rdwh::json
