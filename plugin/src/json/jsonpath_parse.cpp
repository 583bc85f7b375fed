// JsonPath compiler: a recursive-descent parser from the path text into the flat step lists of
// jsonpath_model.hpp. See jsonpath.hpp for the supported syntax.
#include "base/error.hpp"
#include "base/text.hpp"
#include "json/jsonpath_model.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace rdwh::json {
namespace {

constexpr std::size_t max_quoted = 80; // path text quoted in error messages

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
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

class Parser {
public:
  Parser(std::string_view text, JsonPath::Impl &impl) : s_(text), impl_(impl) {}

  std::size_t parse_top() {
    std::size_t path = parse_path(false);
    if (!at_end()) unexpected(pos_);
    return path;
  }

private:
  std::string_view s_;
  JsonPath::Impl &impl_;
  std::size_t pos_ = 0;
  std::size_t steps_ = 0;  // steps in all paths so far (PathLimits::max_steps)
  std::size_t depth_ = 0;  // nesting of filters, parentheses and `!` (bounds parser recursion)

  // Bounds recursion of the parser (and so of the evaluator) on inputs like "((((((...".
  class Nest {
  public:
    Nest(Parser &p, std::size_t at) : p_(p) {
      if (++p_.depth_ > p_.impl_.limits.max_steps) p_.fail("filter nests too deeply", at);
    }
    ~Nest() { --p_.depth_; }
    Nest(const Nest &) = delete;
    Nest &operator=(const Nest &) = delete;

  private:
    Parser &p_;
  };

  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  bool looking_at(std::string_view token) const { return s_.substr(pos_, token.size()) == token; }
  void skip_space() {
    while (!at_end() && text::is_space(s_[pos_])) ++pos_;
  }

  [[noreturn]] void fail(const std::string &what, std::size_t at) const {
    throw SyntaxError(what + " at " + std::to_string(at) + " in JsonPath '" + excerpt(s_, at) +
                      "'");
  }
  [[noreturn]] void unexpected(std::size_t at) const {
    if (at >= s_.size()) fail("unexpected end", at);
    const auto c = static_cast<unsigned char>(s_[at]);
    if (c >= 0x20 && c < 0x7F) fail(std::string("unexpected '") + static_cast<char>(c) + "'", at);
    fail("unexpected byte 0x" + text::to_hex(s_.substr(at, 1)), at);
  }
  void expect(char c) {
    if (peek() != c || at_end()) unexpected(pos_);
    ++pos_;
  }

  // --- paths ------------------------------------------------------------------------------------

  // At `$` or `@`. In a filter the path ends at the first character that cannot continue it
  // (an operator, space, `)`); at top level everything must be consumed.
  std::size_t parse_path(bool in_filter) {
    PathSpec path;
    path.relative = s_[pos_] == '@';
    ++pos_;
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == '[') {
        parse_bracket(path, false);
      } else if (c == '.' && peek(1) == '.') {
        const std::size_t dots = pos_;
        pos_ += 2;
        if (at_end()) fail("path must not end with '..'", dots);
        parse_step_after_dot(path, true, in_filter);
      } else if (c == '.') {
        const std::size_t dot = pos_;
        ++pos_;
        if (at_end()) fail("path must not end with '.'", dot);
        parse_step_after_dot(path, false, in_filter);
      } else {
        break;
      }
    }
    impl_.paths.push_back(std::move(path));
    return impl_.paths.size() - 1;
  }

  void parse_step_after_dot(PathSpec &path, bool deep, bool in_filter) {
    const char c = s_[pos_];
    if (c == '[') return parse_bracket(path, deep);  // Jayway accepts `.['a']` and `..['a']`
    if (c == '*') {
      Step step;
      step.kind = StepKind::wildcard;
      step.deep = deep;
      add_step(path, std::move(step), pos_++);
      return;
    }
    if (c == '.') unexpected(pos_);
    parse_dot_name(path, deep, in_filter);
  }

  // Dot-notation names take any byte but the terminators (Jayway: `.`, `[`, `(`; a space is an
  // error at top level). Inside a filter operators, spaces and `)` also end the name.
  static bool ends_dot_name(char c, bool in_filter) {
    if (c == '.' || c == '[' || c == '(' || text::is_space(c)) return true;
    if (!in_filter) return false;
    switch (c) {
    case ')': case ']': case '=': case '!': case '<': case '>': case '~': case '&': case '|':
      return true;
    default:
      return false;
    }
  }

  void parse_dot_name(PathSpec &path, bool deep, bool in_filter) {
    const std::size_t start = pos_;
    while (!at_end() && !ends_dot_name(s_[pos_], in_filter)) ++pos_;
    if (pos_ == start) unexpected(pos_);
    if (peek() == '(' && !at_end()) fail("JsonPath functions are not supported", start);
    if (!in_filter && !at_end() && text::is_space(s_[pos_])) {
      fail("a name with spaces needs bracket notation, e.g. ['my name'],", pos_);
    }
    Step step;
    step.kind = StepKind::name;
    step.deep = deep;
    step.names.emplace_back(s_.substr(start, pos_ - start));
    add_step(path, std::move(step), start);
  }

  void parse_bracket(PathSpec &path, bool deep) {
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

  void parse_index_or_slice(Step &step) {
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

  std::int64_t parse_int() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!is_digit(peek())) unexpected(pos_);
    while (is_digit(peek())) ++pos_;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, value);
    if (ec != std::errc() || end != s_.data() + pos_) fail("integer out of range", start);
    return value;
  }

  void add_step(PathSpec &path, Step step, std::size_t at) {
    if (++steps_ > impl_.limits.max_steps) {
      fail("JsonPath has more than " + std::to_string(impl_.limits.max_steps) + " steps", at);
    }
    if (step.deep || (step.kind != StepKind::name && step.kind != StepKind::index)) {
      path.definite = false;
    }
    path.steps.push_back(std::move(step));
  }

  // Quoted string with Jayway's escapes (Utils.unescape): \' \" \\ \/ \b \f \n \r \t \uXXXX;
  // any other escaped character stands for itself.
  Secret parse_quoted() {
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
  std::uint32_t parse_unicode_escape(std::size_t at) {
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

  std::uint32_t parse_hex4(std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = text::hex_digit_value(peek());
      if (digit < 0 || at_end()) fail("invalid \\u escape", at);
      value = value * 16 + static_cast<std::uint32_t>(digit);
      ++pos_;
    }
    return value;
  }


  // --- filter expressions -----------------------------------------------------------------------
  // or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | primary ;
  // primary := '(' or ')' | operand [op operand]

  std::size_t add_expr(Expr expr) {
    impl_.exprs.push_back(std::move(expr));
    return impl_.exprs.size() - 1;
  }

  // term (op term)*: one n-ary node of `kind` (so chains do not nest), or the term alone.
  template <class Term> std::size_t parse_chain(std::string_view op, Expr::Kind kind, Term term) {
    std::vector<std::size_t> terms{term()};
    skip_space();
    while (looking_at(op)) {
      pos_ += op.size();
      terms.push_back(term());
      skip_space();
    }
    if (terms.size() == 1) return terms.front();
    Expr expr;
    expr.kind = kind;
    expr.children = std::move(terms);
    return add_expr(std::move(expr));
  }

  std::size_t parse_or(std::size_t at) {
    Nest nest(*this, at);
    return parse_chain("||", Expr::Kind::any_of, [this] { return parse_and(); });
  }

  std::size_t parse_and() { return parse_chain("&&", Expr::Kind::all_of, [this] { return parse_unary(); }); }

  std::size_t parse_unary() {
    skip_space();
    if (peek() == '!' && peek(1) != '=') {
      Nest nest(*this, pos_);
      ++pos_;
      Expr expr;
      expr.kind = Expr::Kind::negate;
      expr.children.push_back(parse_unary());
      return add_expr(std::move(expr));
    }
    if (peek() == '(') {
      const std::size_t open = pos_++;
      skip_space();
      if (peek() == ')') fail("empty parentheses", pos_);
      const std::size_t inner = parse_or(open);
      skip_space();
      if (at_end()) fail("unbalanced '('", open);
      expect(')');
      return inner;
    }
    return parse_comparison();
  }

  std::size_t parse_comparison() {
    const std::size_t start = pos_;
    Expr expr;
    expr.left = parse_operand();
    skip_space();
    const std::size_t op_at = pos_;
    const std::optional<Op> op = parse_operator();
    if (!op) {
      // A bare path tests existence; anything else must be followed by an operator.
      if (expr.left.kind != Operand::Kind::path) {
        if (at_end() || peek() == ')' || looking_at("&&") || looking_at("||")) {
          fail("a filter term must be a path or a comparison", start);
        }
        unexpected(pos_);
      }
      expr.kind = Expr::Kind::exists;
      return add_expr(std::move(expr));
    }
    expr.kind = Expr::Kind::compare;
    expr.op = *op;
    skip_space();
    if (*op == Op::match) {
      expr.right.kind = Operand::Kind::regex;
      expr.regex = parse_regex();
    } else {
      expr.right = parse_operand();
    }
    if (expr.left.kind == Operand::Kind::list) fail("a list is only allowed after 'in'/'nin'", start);
    const bool membership = *op == Op::in || *op == Op::nin;
    if (membership && expr.right.kind != Operand::Kind::list &&
        expr.right.kind != Operand::Kind::path) {
      fail("'in'/'nin' needs a list like ['a','b'] or a path", op_at);
    }
    if (!membership && expr.right.kind == Operand::Kind::list) {
      fail("a list is only allowed after 'in'/'nin'", op_at);
    }
    return add_expr(std::move(expr));
  }

  std::optional<Op> parse_operator() {
    struct Symbol {
      std::string_view text;
      Op op;
    };
    // Longest first. Jayway's type-safe `===` / `!==` are what `==` / `!=` already do here.
    static constexpr Symbol symbols[] = {
        {"===", Op::eq}, {"!==", Op::ne}, {"==", Op::eq}, {"!=", Op::ne}, {"<=", Op::le},
        {">=", Op::ge},  {"=~", Op::match}, {"<", Op::lt}, {">", Op::gt},
    };
    for (const Symbol &symbol : symbols) {
      if (looking_at(symbol.text)) {
        pos_ += symbol.text.size();
        return symbol.op;
      }
    }
    const std::size_t start = pos_;
    while (is_alpha(peek())) ++pos_;
    const std::string_view word = s_.substr(start, pos_ - start);
    if (word == "in") return Op::in;
    if (word == "nin") return Op::nin;
    if (word == "contains" || word == "size" || word == "empty" || word == "subsetof" ||
        word == "anyof" || word == "noneof" || word == "all" || word == "type" ||
        word == "matches") {
      fail("filter operator '" + std::string(word) + "' is not supported", start);
    }
    pos_ = start;
    return std::nullopt;
  }

  Operand parse_operand() {
    skip_space();
    Operand operand;
    const std::size_t start = pos_;
    const char c = peek();
    if (at_end()) unexpected(pos_);
    if (c == '@' || c == '$') {
      operand.kind = Operand::Kind::path;
      operand.path = parse_path(true);
    } else if (c == '[') {
      operand.kind = Operand::Kind::list;
      operand.value = parse_list();
    } else if (c == '/') {
      fail("a regex is only allowed after '=~'", start);
    } else {
      operand.kind = Operand::Kind::literal;
      operand.value = parse_literal();
    }
    return operand;
  }

  Value parse_list() {
    Value list(rapidjson::kArrayType);
    ++pos_;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return list;
    }
    for (;;) {
      skip_space();
      list.PushBack(parse_literal(), impl_.pool);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (at_end()) unexpected(pos_);
      expect(']');
      return list;
    }
  }

  // String, number, true, false or null.
  Value parse_literal() {
    const std::size_t start = pos_;
    const char c = peek();
    if (at_end()) unexpected(pos_);
    if (c == '\'' || c == '"') {
      const Secret text = parse_quoted();
      return Value(text.view().data(), static_cast<rapidjson::SizeType>(text.size()), impl_.pool);
    }
    if (c == '-' || is_digit(c)) return parse_number();
    while (is_alpha(peek()) || is_digit(peek()) || peek() == '_') ++pos_;
    const std::string_view word = s_.substr(start, pos_ - start);
    if (word == "true") return Value(true);
    if (word == "false") return Value(false);
    if (word == "null") return Value();
    unexpected(start);
  }

  // JSON-style number: -?digits(.digits)?([eE][+-]?digits)?
  Value parse_number() {
    const std::size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (!is_digit(peek())) unexpected(pos_);
    while (is_digit(peek())) ++pos_;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!is_digit(peek())) unexpected(pos_);
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) unexpected(pos_);
      while (is_digit(peek())) ++pos_;
    }
    const char *first = s_.data() + start;
    const char *last = s_.data() + pos_;
    if (integral) {
      std::int64_t i = 0;
      if (auto r = std::from_chars(first, last, i); r.ec == std::errc() && r.ptr == last) {
        return Value(i);
      }
      std::uint64_t u = 0;
      if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) {
        return Value(u);
      }
    }
    double d = 0;
    if (auto r = std::from_chars(first, last, d); r.ec != std::errc() || r.ptr != last) {
      fail("number out of range", start);
    }
    return Value(d);
  }

  // `/pattern/flags` after `=~`. The pattern is passed to std::regex as written (`\/` is an
  // ECMAScript identity escape for `/`). Only the `i` flag is supported.
  Regex parse_regex() {
    const std::size_t start = pos_;
    if (peek() != '/' || at_end()) fail("expected /regex/ after '=~'", pos_);
    ++pos_;
    Secret pattern;
    for (;;) {
      if (at_end()) fail("unterminated regex", start);
      const std::size_t from = pos_;
      const char c = s_[pos_++];
      if (c == '/') break;
      if (c == '\\') {
        if (at_end()) fail("unterminated regex", start);
        ++pos_;
      }
      pattern.append(s_.substr(from, pos_ - from));
    }
    bool ignore_case = false;
    while (is_alpha(peek())) {
      if (peek() != 'i') fail(std::string("unsupported regex flag '") + peek() + "'", pos_);
      ignore_case = true;
      ++pos_;
    }
    try {
      return Regex(pattern, ignore_case);
    } catch (const SyntaxError &e) {
      fail(e.what(), start);
    }
  }

};

// Filter literals may hold a key-storage value: wipe them before the pool is freed.
void wipe_strings(const Value &v) {
  if (v.IsString()) OPENSSL_cleanse(const_cast<char *>(v.GetString()), v.GetStringLength());
  if (v.IsArray())
    for (const Value &e : v.GetArray()) wipe_strings(e);
}

} // namespace

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
}

JsonPath::JsonPath(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonPath::JsonPath(JsonPath &&) noexcept = default;
JsonPath &JsonPath::operator=(JsonPath &&) noexcept = default;
JsonPath::~JsonPath() = default;

JsonPath JsonPath::compile(std::string_view text, const PathLimits &limits) {
  text = text::trim(text); // Jayway trims too
  if (text.empty()) throw SyntaxError("empty JsonPath");
  if (text.size() > limits.max_path_length) {
    throw SyntaxError("JsonPath longer than " + std::to_string(limits.max_path_length) +
                      " characters: '" + excerpt(text, 0) + "'");
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

bool JsonPath::definite() const noexcept { return impl_->paths[impl_->main].definite; }

std::string_view JsonPath::text() const noexcept { return impl_->text; }

} // namespace rdwh::json
