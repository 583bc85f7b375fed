// JsonPath, Jayway dialect: a recursive-descent compiler into a flat step list plus an evaluator
// that walks the document without re-parsing. See jsonpath.hpp for the supported syntax.
//
// Layout: every path (the main one and each `@...` / `$...` operand inside a filter) is a
// PathSpec; every filter sub-expression is an Expr. Both live in flat vectors in Impl and refer to
// each other by index, so nesting needs no pointers and a compiled path is immutable (and so safe
// to evaluate from many threads at once).
#include "json/jsonpath.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace rdwh::json {
namespace {

constexpr std::size_t kMaxQuoted = 80;          // path text quoted in error messages
constexpr std::size_t kMaxRegexSubject = 8192;  // longer strings never match `=~` (bounds cost)

// libstdc++'s default regex executor backtracks recursively, one stack frame chain per subject
// character: an 8192-byte subject needs several MB of stack (a crash on a host thread) and some
// patterns take exponential time. Its `__polynomial` extension selects the Thompson-NFA executor
// instead: stack bounded by the pattern, time polynomial; the price is no back-references.
#if defined(__GLIBCXX__)
constexpr auto kRegexSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto kRegexSyntax = std::regex::ECMAScript;
#endif

enum class StepKind : std::uint8_t { name, names, index, indices, slice, wildcard, filter };

struct Step {
  StepKind kind = StepKind::name;
  bool deep = false;                   // preceded by `..`
  std::vector<std::string> names;      // name (exactly one) / names
  std::vector<std::int64_t> indices;   // index (exactly one) / indices
  std::optional<std::int64_t> from;    // slice start, absent = 0
  std::optional<std::int64_t> to;      // slice end (exclusive), absent = size
  std::size_t filter = 0;              // Impl::exprs index (kind == filter)
};

struct PathSpec {
  bool relative = false;  // starts at `@` (the filter's current node) rather than `$`
  bool definite = true;   // only non-deep name / index steps
  std::vector<Step> steps;
};

enum class Op : std::uint8_t { eq, ne, lt, le, gt, ge, match, in, nin };

struct Operand {
  enum class Kind : std::uint8_t { path, literal, list, regex };
  Kind kind = Kind::literal;
  std::size_t path = 0;  // Impl::paths index (kind == path)
  Value value;           // scalar (literal) or array (list); strings live in Impl::pool
};

struct Expr {
  enum class Kind : std::uint8_t { any_of, all_of, negate, exists, compare };
  Kind kind = Kind::compare;
  std::vector<std::size_t> children;  // any_of / all_of (n-ary, so chains do not nest), negate (1)
  Op op = Op::eq;
  Operand left;                       // compare, exists
  Operand right;                      // compare
  std::optional<std::regex> regex;    // op == match
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// Path text for a message: whole if short, else ~kMaxQuoted characters around `at` (never cutting
// a UTF-8 sequence in half).
std::string excerpt(std::string_view text, std::size_t at) {
  if (text.size() <= kMaxQuoted) return std::string(text);
  std::size_t begin = at > kMaxQuoted / 2 ? at - kMaxQuoted / 2 : 0;
  begin = std::min(begin, text.size() - kMaxQuoted);
  std::size_t end = begin + kMaxQuoted;
  while (begin > 0 && isUtf8Continuation(text[begin])) --begin;
  while (end < text.size() && isUtf8Continuation(text[end])) ++end;
  std::string out = begin > 0 ? "..." : "";
  out.append(text.substr(begin, end - begin));
  if (end < text.size()) out += "...";
  return out;
}

void appendUtf8(std::string &out, std::uint32_t cp) {
  auto byte = [&out](std::uint32_t b) { out.push_back(static_cast<char>(b)); };
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
}

} // namespace

struct JsonPath::Impl {
  std::string text;
  PathLimits limits;
  // Literal strings of filters. Small chunks: most paths have few or no literals.
  rapidjson::MemoryPoolAllocator<> pool{256};
  std::vector<PathSpec> paths;
  std::vector<Expr> exprs;
  std::size_t main = 0;  // paths index of the path itself (filter operands are compiled first)
};

namespace {

// ---------------------------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------------------------

class Parser {
public:
  Parser(std::string_view text, JsonPath::Impl &impl) : s_(text), impl_(impl) {}

  std::size_t parseTop() {
    std::size_t path = parsePath(false);
    if (!atEnd()) unexpected(pos_);
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

  bool atEnd() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  bool lookingAt(std::string_view token) const { return s_.substr(pos_, token.size()) == token; }
  void skipWs() {
    while (!atEnd() && isSpace(s_[pos_])) ++pos_;
  }

  [[noreturn]] void fail(const std::string &what, std::size_t at) const {
    throw SyntaxError(what + " at " + std::to_string(at) + " in JsonPath '" + excerpt(s_, at) +
                      "'");
  }
  [[noreturn]] void unexpected(std::size_t at) const {
    if (at >= s_.size()) fail("unexpected end", at);
    const auto c = static_cast<unsigned char>(s_[at]);
    if (c >= 0x20 && c < 0x7F) fail(std::string("unexpected '") + static_cast<char>(c) + "'", at);
    static constexpr char kHex[] = "0123456789abcdef";
    fail(std::string("unexpected byte 0x") + kHex[c >> 4] + kHex[c & 0xF], at);
  }
  void expect(char c) {
    if (peek() != c || atEnd()) unexpected(pos_);
    ++pos_;
  }

  // --- paths ------------------------------------------------------------------------------------

  // At `$` or `@`. In a filter the path ends at the first character that cannot continue it
  // (an operator, space, `)`); at top level everything must be consumed.
  std::size_t parsePath(bool in_filter) {
    PathSpec path;
    path.relative = s_[pos_] == '@';
    ++pos_;
    while (!atEnd()) {
      const char c = s_[pos_];
      if (c == '[') {
        parseBracket(path, false);
      } else if (c == '.' && peek(1) == '.') {
        const std::size_t dots = pos_;
        pos_ += 2;
        if (atEnd()) fail("path must not end with '..'", dots);
        parseStepAfterDot(path, true, in_filter);
      } else if (c == '.') {
        const std::size_t dot = pos_;
        ++pos_;
        if (atEnd()) fail("path must not end with '.'", dot);
        parseStepAfterDot(path, false, in_filter);
      } else {
        break;
      }
    }
    impl_.paths.push_back(std::move(path));
    return impl_.paths.size() - 1;
  }

  void parseStepAfterDot(PathSpec &path, bool deep, bool in_filter) {
    const char c = s_[pos_];
    if (c == '[') return parseBracket(path, deep);  // Jayway accepts `.['a']` and `..['a']`
    if (c == '*') {
      Step step;
      step.kind = StepKind::wildcard;
      step.deep = deep;
      addStep(path, std::move(step), pos_++);
      return;
    }
    if (c == '.') unexpected(pos_);
    parseDotName(path, deep, in_filter);
  }

  // Dot-notation names take any byte but the terminators (Jayway: `.`, `[`, `(`; a space is an
  // error at top level). Inside a filter operators, spaces and `)` also end the name.
  static bool endsDotName(char c, bool in_filter) {
    if (c == '.' || c == '[' || c == '(' || isSpace(c)) return true;
    if (!in_filter) return false;
    switch (c) {
    case ')': case ']': case '=': case '!': case '<': case '>': case '~': case '&': case '|':
      return true;
    default:
      return false;
    }
  }

  void parseDotName(PathSpec &path, bool deep, bool in_filter) {
    const std::size_t start = pos_;
    while (!atEnd() && !endsDotName(s_[pos_], in_filter)) ++pos_;
    if (pos_ == start) unexpected(pos_);
    if (peek() == '(' && !atEnd()) fail("JsonPath functions are not supported", start);
    if (!in_filter && !atEnd() && isSpace(s_[pos_])) {
      fail("a name with spaces needs bracket notation, e.g. ['my name'],", pos_);
    }
    Step step;
    step.kind = StepKind::name;
    step.deep = deep;
    step.names.emplace_back(s_.substr(start, pos_ - start));
    addStep(path, std::move(step), start);
  }

  void parseBracket(PathSpec &path, bool deep) {
    const std::size_t open = pos_;
    ++pos_;
    skipWs();
    if (atEnd()) fail("unterminated '['", open);
    Step step;
    step.deep = deep;
    const char c = s_[pos_];
    if (c == '*') {
      ++pos_;
      step.kind = StepKind::wildcard;
    } else if (c == '?') {
      ++pos_;
      skipWs();
      expect('(');
      skipWs();
      if (peek() == ')') fail("empty filter", pos_);
      step.kind = StepKind::filter;
      step.filter = parseOr(open);
      skipWs();
      if (atEnd()) fail("unterminated filter", open);
      expect(')');
    } else if (c == '\'' || c == '"') {
      step.names.push_back(parseQuoted());
      skipWs();
      while (peek() == ',') {
        ++pos_;
        skipWs();
        if (peek() != '\'' && peek() != '"') unexpected(pos_);
        step.names.push_back(parseQuoted());
        skipWs();
      }
      step.kind = step.names.size() == 1 ? StepKind::name : StepKind::names;
    } else if (c == '-' || c == ':' || isDigit(c)) {
      parseIndexOrSlice(step);
    } else {
      unexpected(pos_);
    }
    skipWs();
    if (atEnd()) fail("unterminated '['", open);
    expect(']');
    addStep(path, std::move(step), open);
  }

  void parseIndexOrSlice(Step &step) {
    const std::size_t start = pos_;
    std::optional<std::int64_t> first;
    if (peek() != ':') first = parseInt();
    skipWs();
    if (peek() == ':') {
      ++pos_;
      skipWs();
      step.kind = StepKind::slice;
      step.from = first;
      if (peek() == '-' || isDigit(peek())) step.to = parseInt();
      skipWs();
      if (peek() == ':') fail("slice steps ([a:b:c]) are not supported", pos_);
      if (!step.from && !step.to) fail("a slice needs a start or an end", start);
      return;
    }
    step.indices.push_back(*first);
    while (peek() == ',') {
      ++pos_;
      skipWs();
      step.indices.push_back(parseInt());
      skipWs();
    }
    step.kind = step.indices.size() == 1 ? StepKind::index : StepKind::indices;
  }

  std::int64_t parseInt() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!isDigit(peek())) unexpected(pos_);
    while (isDigit(peek())) ++pos_;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, value);
    if (ec != std::errc() || end != s_.data() + pos_) fail("integer out of range", start);
    return value;
  }

  void addStep(PathSpec &path, Step step, std::size_t at) {
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
  std::string parseQuoted() {
    const std::size_t start = pos_;
    const char quote = s_[pos_++];
    std::string out;
    for (;;) {
      if (atEnd()) fail("unterminated string", start);
      const char c = s_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (atEnd()) fail("unterminated string", start);
      const char e = s_[pos_++];
      switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': appendUtf8(out, parseUnicodeEscape(pos_ - 2)); break;
      default: out.push_back(e); break;
      }
    }
  }

  // After `\u`: four hex digits, or a surrogate pair written as two escapes.
  std::uint32_t parseUnicodeEscape(std::size_t at) {
    std::uint32_t cp = parseHex4(at);
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("invalid \\u escape (lone low surrogate)", at);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!lookingAt("\\u")) fail("invalid \\u escape (lone high surrogate)", at);
      pos_ += 2;
      const std::uint32_t low = parseHex4(at);
      if (low < 0xDC00 || low > 0xDFFF) fail("invalid \\u escape (bad surrogate pair)", at);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp;
  }

  std::uint32_t parseHex4(std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      std::uint32_t digit = 0;
      if (isDigit(c)) digit = static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') digit = static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') digit = static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("invalid \\u escape", at);
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  // --- filter expressions -----------------------------------------------------------------------
  // or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | primary ;
  // primary := '(' or ')' | operand [op operand]

  std::size_t addExpr(Expr expr) {
    impl_.exprs.push_back(std::move(expr));
    return impl_.exprs.size() - 1;
  }

  std::size_t parseOr(std::size_t at) {
    Nest nest(*this, at);
    std::vector<std::size_t> terms{parseAnd()};
    skipWs();
    while (lookingAt("||")) {
      pos_ += 2;
      terms.push_back(parseAnd());
      skipWs();
    }
    if (terms.size() == 1) return terms.front();
    Expr expr;
    expr.kind = Expr::Kind::any_of;
    expr.children = std::move(terms);
    return addExpr(std::move(expr));
  }

  std::size_t parseAnd() {
    std::vector<std::size_t> terms{parseUnary()};
    skipWs();
    while (lookingAt("&&")) {
      pos_ += 2;
      terms.push_back(parseUnary());
      skipWs();
    }
    if (terms.size() == 1) return terms.front();
    Expr expr;
    expr.kind = Expr::Kind::all_of;
    expr.children = std::move(terms);
    return addExpr(std::move(expr));
  }

  std::size_t parseUnary() {
    skipWs();
    if (peek() == '!' && peek(1) != '=') {
      Nest nest(*this, pos_);
      ++pos_;
      Expr expr;
      expr.kind = Expr::Kind::negate;
      expr.children.push_back(parseUnary());
      return addExpr(std::move(expr));
    }
    if (peek() == '(') {
      const std::size_t open = pos_++;
      skipWs();
      if (peek() == ')') fail("empty parentheses", pos_);
      const std::size_t inner = parseOr(open);
      skipWs();
      if (atEnd()) fail("unbalanced '('", open);
      expect(')');
      return inner;
    }
    return parseComparison();
  }

  std::size_t parseComparison() {
    const std::size_t start = pos_;
    Expr expr;
    expr.left = parseOperand();
    skipWs();
    const std::size_t op_at = pos_;
    const std::optional<Op> op = parseOperator();
    if (!op) {
      // A bare path tests existence; anything else must be followed by an operator.
      if (expr.left.kind != Operand::Kind::path) {
        if (atEnd() || peek() == ')' || lookingAt("&&") || lookingAt("||")) {
          fail("a filter term must be a path or a comparison", start);
        }
        unexpected(pos_);
      }
      expr.kind = Expr::Kind::exists;
      return addExpr(std::move(expr));
    }
    expr.kind = Expr::Kind::compare;
    expr.op = *op;
    skipWs();
    if (*op == Op::match) {
      expr.right.kind = Operand::Kind::regex;
      expr.regex = parseRegex();
    } else {
      expr.right = parseOperand();
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
    return addExpr(std::move(expr));
  }

  std::optional<Op> parseOperator() {
    struct Symbol {
      std::string_view text;
      Op op;
    };
    // Longest first. Jayway's type-safe `===` / `!==` are what `==` / `!=` already do here.
    static constexpr Symbol kSymbols[] = {
        {"===", Op::eq}, {"!==", Op::ne}, {"==", Op::eq}, {"!=", Op::ne}, {"<=", Op::le},
        {">=", Op::ge},  {"=~", Op::match}, {"<", Op::lt}, {">", Op::gt},
    };
    for (const Symbol &symbol : kSymbols) {
      if (lookingAt(symbol.text)) {
        pos_ += symbol.text.size();
        return symbol.op;
      }
    }
    const std::size_t start = pos_;
    while (isAlpha(peek())) ++pos_;
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

  Operand parseOperand() {
    skipWs();
    Operand operand;
    const std::size_t start = pos_;
    const char c = peek();
    if (atEnd()) unexpected(pos_);
    if (c == '@' || c == '$') {
      operand.kind = Operand::Kind::path;
      operand.path = parsePath(true);
    } else if (c == '[') {
      operand.kind = Operand::Kind::list;
      operand.value = parseList();
    } else if (c == '/') {
      fail("a regex is only allowed after '=~'", start);
    } else {
      operand.kind = Operand::Kind::literal;
      operand.value = parseLiteral();
    }
    return operand;
  }

  Value parseList() {
    Value list(rapidjson::kArrayType);
    ++pos_;
    skipWs();
    if (peek() == ']') {
      ++pos_;
      return list;
    }
    for (;;) {
      skipWs();
      list.PushBack(parseLiteral(), impl_.pool);
      skipWs();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (atEnd()) unexpected(pos_);
      expect(']');
      return list;
    }
  }

  // String, number, true, false or null.
  Value parseLiteral() {
    const std::size_t start = pos_;
    const char c = peek();
    if (atEnd()) unexpected(pos_);
    if (c == '\'' || c == '"') {
      const std::string text = parseQuoted();
      return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), impl_.pool);
    }
    if (c == '-' || isDigit(c)) return parseNumber();
    while (isAlpha(peek()) || isDigit(peek()) || peek() == '_') ++pos_;
    const std::string_view word = s_.substr(start, pos_ - start);
    if (word == "true") return Value(true);
    if (word == "false") return Value(false);
    if (word == "null") return Value();
    unexpected(start);
  }

  // JSON-style number: -?digits(.digits)?([eE][+-]?digits)?
  Value parseNumber() {
    const std::size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (!isDigit(peek())) unexpected(pos_);
    while (isDigit(peek())) ++pos_;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!isDigit(peek())) unexpected(pos_);
      while (isDigit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!isDigit(peek())) unexpected(pos_);
      while (isDigit(peek())) ++pos_;
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

  // Repetition counts (`{n,m}`) and escaped numbers (`\12`) over 4 digits are refused: libstdc++'s
  // regex compiler overflows a signed integer on huge ones (undefined behaviour), and a count in
  // the thousands already builds an automaton as large as the count.
  void checkRegexCounts(const std::string &pattern, std::size_t start) {
    bool in_braces = false, after_escape = false;
    std::size_t digits = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      const bool counted = in_braces || after_escape;
      if (c >= '0' && c <= '9' && counted) {
        if (++digits > 4) fail("regex repetition counts and escaped numbers are limited to 4 digits", start);
        continue;
      }
      digits = 0;
      after_escape = false;
      if (c == '\\' && i + 1 < pattern.size()) {
        if (pattern[i + 1] >= '0' && pattern[i + 1] <= '9') after_escape = true;
        else ++i; // an escaped character: never a brace or a count
      } else if (c == '{') {
        in_braces = true;
      } else if (c == '}') {
        in_braces = false;
      }
    }
  }

  // `/pattern/flags` after `=~`. The pattern is passed to std::regex as written (`\/` is an
  // ECMAScript identity escape for `/`). Only the `i` flag is supported.
  std::regex parseRegex() {
    const std::size_t start = pos_;
    if (peek() != '/' || atEnd()) fail("expected /regex/ after '=~'", pos_);
    ++pos_;
    std::string pattern;
    for (;;) {
      if (atEnd()) fail("unterminated regex", start);
      const char c = s_[pos_++];
      if (c == '/') break;
      pattern.push_back(c);
      if (c == '\\') {
        if (atEnd()) fail("unterminated regex", start);
        pattern.push_back(s_[pos_++]);
      }
    }
    checkRegexCounts(pattern, start);
    auto flags = kRegexSyntax;
    while (isAlpha(peek())) {
      if (peek() != 'i') fail(std::string("unsupported regex flag '") + peek() + "'", pos_);
      flags |= std::regex::icase;
      ++pos_;
    }
    try {
      return std::regex(pattern, flags);
    } catch (const std::regex_error &e) {
      if (e.code() == std::regex_constants::error_complexity) {
        fail("regex back-references are not supported", start);
      }
      fail(std::string("invalid regex (") + e.what() + ")", start);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------

const Value *member(const Value &node, const std::string &name) {
  if (!node.IsObject()) return nullptr;
  const auto it = node.FindMember(name);
  return it == node.MemberEnd() ? nullptr : &it->value;
}

const Value *element(const Value &node, std::int64_t index) {
  if (!node.IsArray()) return nullptr;
  const auto size = static_cast<std::int64_t>(node.Size());
  if (index < 0) index += size;  // Jayway: negative counts from the end
  if (index < 0 || index >= size) return nullptr;
  return &node[static_cast<rapidjson::SizeType>(index)];
}

enum class Order : std::uint8_t { less, equal, greater, unordered };

template <class T> Order order3(T a, T b) {
  return a < b ? Order::less : (b < a ? Order::greater : Order::equal);
}

// Integers compare exactly (int64 and uint64 both); anything involving a double as doubles.
Order compareNumbers(const Value &a, const Value &b) {
  if (a.IsInt64() && b.IsInt64()) return order3(a.GetInt64(), b.GetInt64());
  if (a.IsUint64() && b.IsUint64()) return order3(a.GetUint64(), b.GetUint64());
  // The remaining integer pairs: one is above INT64_MAX, the other negative.
  if (a.IsUint64() && b.IsInt64()) return Order::greater;
  if (a.IsInt64() && b.IsUint64()) return Order::less;
  return order3(a.GetDouble(), b.GetDouble());
}

// The work one evaluation has done, against PathLimits::max_work (see there).
class Budget {
public:
  Budget(const JsonPath::Impl &impl) : impl_(impl) {}
  void charge(std::size_t units) {
    used_ += units;
    if (used_ > impl_.limits.max_work) {
      throw LimitError("JsonPath '" + excerpt(impl_.text, 0) + "' needs more than " +
                       std::to_string(impl_.limits.max_work) + " steps of work on this document");
    }
  }

private:
  const JsonPath::Impl &impl_;
  std::size_t used_ = 0;
};

bool deepEqual(const Value &a, const Value &b, Budget &budget);

// Numbers numerically, strings by bytes; bools and nulls only (in)equal; objects and arrays
// equal when deeply equal. Mixed types are unordered: `==` and orderings false, `!=` true.
Order compare(const Value &a, const Value &b, Budget &budget) {
  if (a.IsNumber() && b.IsNumber()) return compareNumbers(a, b);
  if (a.IsString() && b.IsString()) {
    const std::size_t la = a.GetStringLength();
    const std::size_t lb = b.GetStringLength();
    budget.charge(1 + std::min(la, lb) / 64);
    const int c = std::memcmp(a.GetString(), b.GetString(), std::min(la, lb));
    if (c != 0) return c < 0 ? Order::less : Order::greater;
    return order3(la, lb);
  }
  if (a.IsBool() && b.IsBool()) return a.GetBool() == b.GetBool() ? Order::equal : Order::unordered;
  if (a.IsNull() && b.IsNull()) return Order::equal;
  if ((a.IsObject() && b.IsObject()) || (a.IsArray() && b.IsArray())) {
    return deepEqual(a, b, budget) ? Order::equal : Order::unordered;
  }
  return Order::unordered;
}

// RapidJSON's operator== looks each member of one map up in the other, so two maps of n members
// cost n * n unchecked: this one charges every lookup to the budget as it goes.
bool deepEqual(const Value &a, const Value &b, Budget &budget) {
  budget.charge(1);
  if (a.IsObject()) {
    if (!b.IsObject() || a.MemberCount() != b.MemberCount()) return false;
    for (const auto &m : a.GetObject()) {
      budget.charge(b.MemberCount());
      const auto other = b.FindMember(m.name);
      if (other == b.MemberEnd() || !deepEqual(m.value, other->value, budget)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    if (!b.IsArray() || a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!deepEqual(a[i], b[i], budget)) return false;
    }
    return true;
  }
  return compare(a, b, budget) == Order::equal;
}

bool holds(Op op, Order o) {
  switch (op) {
  case Op::eq: return o == Order::equal;
  case Op::lt: return o == Order::less;
  case Op::le: return o == Order::less || o == Order::equal;
  case Op::gt: return o == Order::greater;
  case Op::ge: return o == Order::greater || o == Order::equal;
  default: return false;
  }
}

// `in`: the right side is a list (literal or an array found by a path); a scalar found by an
// indefinite right path counts as one candidate.
bool contains(const Value &haystack, const Value &needle, Budget &budget) {
  if (!haystack.IsArray()) return compare(needle, haystack, budget) == Order::equal;
  for (const Value &candidate : haystack.GetArray()) {
    if (compare(needle, candidate, budget) == Order::equal) return true;
  }
  return false;
}

// Jayway matches the whole string (Matcher.matches()). Only strings match.
bool matches(const Value &subject, const std::regex &re, Budget &budget) {
  if (!subject.IsString() || subject.GetStringLength() > kMaxRegexSubject) return false;
  budget.charge(1 + subject.GetStringLength());
  const char *begin = subject.GetString();
  try {
    return std::regex_match(begin, begin + subject.GetStringLength(), re);
  } catch (const std::regex_error &) {
    return false;  // e.g. error_complexity: treat as no match rather than failing the event
  }
}

// All evaluation state is on the stack; the compiled Impl is only read.
class Evaluator {
public:
  Evaluator(const JsonPath::Impl &impl, const Value &root) : impl_(impl), root_(root), budget_(impl) {}

  // A definite path: no allocation, nullptr when any step does not resolve.
  const Value *resolve(const PathSpec &path, const Value &start) const {
    budget_.charge(1 + path.steps.size());
    const Value *node = &start;
    for (const Step &step : path.steps) {
      node = step.kind == StepKind::name ? member(*node, step.names.front())
                                         : element(*node, step.indices.front());
      if (node == nullptr) return nullptr;
    }
    return node;
  }

  // Calls f(value) for each value `path` selects from `node`, in document order, starting at
  // step `i`. f returns false to stop early; visit then returns false too.
  template <class F> bool visit(const PathSpec &path, std::size_t i, const Value &node, F &f) const {
    budget_.charge(1);
    if (i == path.steps.size()) return f(node);
    auto next = [&](const Value &v) { return visit(path, i + 1, v, f); };
    const Step &step = path.steps[i];
    return step.deep ? scan(step, node, next) : apply(step, node, next);
  }

private:
  const JsonPath::Impl &impl_;
  const Value &root_;
  mutable Budget budget_;  // one evaluation's work; the Evaluator lives for one select()

  // One step on one node; values that do not fit the step (wrong type, out of range, missing
  // member) are skipped, as Jayway does inside indefinite paths.
  template <class F> bool apply(const Step &step, const Value &node, F &f) const {
    switch (step.kind) {
    case StepKind::name:
    case StepKind::names:
      for (const std::string &name : step.names) {
        if (const Value *v = member(node, name); v != nullptr && !f(*v)) return false;
      }
      return true;
    case StepKind::index:
    case StepKind::indices:
      for (const std::int64_t index : step.indices) {
        if (const Value *v = element(node, index); v != nullptr && !f(*v)) return false;
      }
      return true;
    case StepKind::slice: {
      if (!node.IsArray()) return true;
      const auto size = static_cast<std::int64_t>(node.Size());
      std::int64_t from = step.from.value_or(0);
      std::int64_t to = step.to.value_or(size);
      if (from < 0) from += size;
      if (to < 0) to += size;
      from = std::clamp<std::int64_t>(from, 0, size);
      to = std::clamp<std::int64_t>(to, 0, size);
      for (std::int64_t i = from; i < to; ++i) {
        if (!f(node[static_cast<rapidjson::SizeType>(i)])) return false;
      }
      return true;
    }
    case StepKind::wildcard:
      return eachChild(node, f);
    case StepKind::filter:
      // Jayway: on an array the predicate picks elements; on an object it is tested on the
      // object itself; scalars never match.
      if (node.IsArray()) {
        for (const Value &v : node.GetArray()) {
          if (test(step.filter, v) && !f(v)) return false;
        }
      } else if (node.IsObject() && test(step.filter, node)) {
        return f(node);
      }
      return true;
    }
    return true;
  }

  template <class F> static bool eachChild(const Value &node, F &f) {
    if (node.IsObject()) {
      for (const auto &m : node.GetObject()) {
        if (!f(m.value)) return false;
      }
    } else if (node.IsArray()) {
      for (const Value &v : node.GetArray()) {
        if (!f(v)) return false;
      }
    }
    return true;
  }

  // Deep scan, pre-order: the step applied to this node first, then to every descendant.
  // Recursion is by document depth (bounded where documents are parsed).
  template <class F> bool scan(const Step &step, const Value &node, F &f) const {
    budget_.charge(1);
    if (step.kind == StepKind::filter) {
      // Jayway's scan tests the predicate on each object it walks (array elements are reached
      // as nodes themselves, so they are not selected twice).
      if (node.IsObject() && test(step.filter, node) && !f(node)) return false;
    } else if (!apply(step, node, f)) {
      return false;
    }
    auto down = [&](const Value &child) { return scan(step, child, f); };
    return eachChild(node, down);
  }

  // Each value an operand stands for: a literal is one value; a definite path one or none; an
  // indefinite path (e.g. `@.tags[*]`) every value it selects. f returns false to stop.
  template <class F> bool each(const Operand &operand, const Value &current, F &&f) const {
    if (operand.kind != Operand::Kind::path) return f(operand.value);
    const PathSpec &path = impl_.paths[operand.path];
    const Value &start = path.relative ? current : root_;
    if (path.definite) {
      const Value *v = resolve(path, start);
      return v == nullptr || f(*v);
    }
    return visit(path, 0, start, f);
  }

  struct Pairs {
    bool seen = false;  // both operands had at least one value
    bool hit = false;   // some pair satisfied the predicate
  };

  // Best effort for indefinite operands: the comparison holds if ANY (left, right) pair of
  // selected values satisfies it. For definite operands that is just the single pair.
  template <class Pred> Pairs anyPair(const Expr &expr, const Value &current, Pred pred) const {
    Pairs result;
    each(expr.left, current, [&](const Value &l) {
      each(expr.right, current, [&](const Value &r) {
        result.seen = true;
        result.hit = pred(l, r);
        return !result.hit;
      });
      return !result.hit;
    });
    return result;
  }

  bool present(const Operand &operand, const Value &current) const {
    bool found = false;
    each(operand, current, [&](const Value &) {
      found = true;
      return false;
    });
    return found;
  }

  bool test(std::size_t index, const Value &current) const {
    budget_.charge(1);
    const Expr &expr = impl_.exprs[index];
    switch (expr.kind) {
    case Expr::Kind::any_of:
      return std::any_of(expr.children.begin(), expr.children.end(),
                         [&](std::size_t child) { return test(child, current); });
    case Expr::Kind::all_of:
      return std::all_of(expr.children.begin(), expr.children.end(),
                         [&](std::size_t child) { return test(child, current); });
    case Expr::Kind::negate:
      return !test(expr.children.front(), current);
    case Expr::Kind::exists:
      // Jayway: null counts as present. An indefinite path exists when it selects anything.
      return present(expr.left, current);
    case Expr::Kind::compare:
      break;
    }
    Budget &budget = budget_;
    const auto equal = [&budget](const Value &l, const Value &r) {
      return compare(l, r, budget) == Order::equal;
    };
    switch (expr.op) {
    case Op::match: {
      const std::regex &re = *expr.regex;
      bool hit = false;
      each(expr.left, current, [&](const Value &l) {
        hit = matches(l, re, budget);
        return !hit;
      });
      return hit;
    }
    case Op::in:
      return anyPair(expr, current,
                     [&budget](const Value &l, const Value &r) { return contains(r, l, budget); })
          .hit;
    case Op::nin: {
      // A missing operand makes `nin` false too (Jayway: comparisons with a missing path fail).
      const Pairs p = anyPair(
          expr, current, [&budget](const Value &l, const Value &r) { return contains(r, l, budget); });
      return p.seen && !p.hit;
    }
    case Op::ne: {
      // Both present and not equal; a missing operand gives false, not true.
      const Pairs p = anyPair(expr, current, equal);
      return p.seen && !p.hit;
    }
    default: {
      const Op op = expr.op;
      return anyPair(expr, current,
                     [op, &budget](const Value &l, const Value &r) {
                       return holds(op, compare(l, r, budget));
                     })
          .hit;
    }
    }
  }
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

} // namespace

JsonPath::JsonPath(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonPath::JsonPath(JsonPath &&) noexcept = default;
JsonPath &JsonPath::operator=(JsonPath &&) noexcept = default;
JsonPath::~JsonPath() = default;

JsonPath JsonPath::compile(std::string_view text, const PathLimits &limits) {
  text = trim(text);  // Jayway trims too
  if (text.empty()) throw SyntaxError("empty JsonPath");
  if (text.size() > limits.max_path_length) {
    throw SyntaxError("JsonPath longer than " + std::to_string(limits.max_path_length) +
                      " characters: '" + excerpt(text, 0) + "'");
  }
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  // Jayway: a path starting with neither `$` nor `@` is relative to the root.
  if (text.front() != '$' && text.front() != '@') impl->text = "$.";
  impl->text.append(text);
  if (const auto nul = impl->text.find('\0'); nul != std::string::npos) {
    throw SyntaxError("NUL byte at " + std::to_string(nul) + " in JsonPath");
  }
  Parser parser(impl->text, *impl);
  impl->main = parser.parseTop();
  return JsonPath(std::move(impl));
}

bool JsonPath::definite() const noexcept { return impl_->paths[impl_->main].definite; }

const std::string &JsonPath::text() const noexcept { return impl_->text; }

Selection JsonPath::select(const Value &root) const {
  Selection out;
  select(root, out);
  return out;
}

void JsonPath::select(const Value &root, Selection &out) const {
  out.list.clear();  // keeps capacity
  out.single = nullptr;
  const PathSpec &path = impl_->paths[impl_->main];
  const Evaluator evaluator(*impl_, root);
  if (path.definite) {
    out.single = evaluator.resolve(path, root);
    out.kind = out.single != nullptr ? Selection::Kind::single : Selection::Kind::missing;
    return;
  }
  out.kind = Selection::Kind::list;
  const std::size_t max = impl_->limits.max_results;
  auto collect = [&](const Value &v) {
    if (out.list.size() >= max) {
      out.list.clear();
      throw LimitError("JsonPath '" + excerpt(impl_->text, 0) + "' selected more than " +
                       std::to_string(max) + " values");
    }
    out.list.push_back(&v);
    return true;
  };
  evaluator.visit(path, 0, root, collect);
}

} // namespace rdwh::json
