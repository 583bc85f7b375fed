// JsonPath compiler, filters: `[?(...)]` expressions, their operators and literals (Jayway's
// FilterCompiler grammar), and regexes.
//   or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | '(' or ')' | comparison
//   comparison := operand [operator operand] ; operand := path | literal | /regex/flags
#include "base/error.hpp"
#include "base/text.hpp"
#include "json/jsonpath_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace rdwh::json {

std::size_t Parser::add_expr(Expr expr) {
  impl_.exprs.push_back(std::move(expr));
  return impl_.exprs.size() - 1;
}

// term (op term)*: one n-ary node of `kind` (so chains do not nest), or the term alone.
template <class Term> std::size_t Parser::parse_chain(std::string_view op, Expr::Kind kind, Term term) {
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

std::size_t Parser::parse_or(std::size_t at) {
  Nest nest(*this, at);
  return parse_chain("||", Expr::Kind::any_of, [this] { return parse_and(); });
}

std::size_t Parser::parse_and() {
  return parse_chain("&&", Expr::Kind::all_of, [this] { return parse_unary(); });
}

std::size_t Parser::parse_unary() {
  skip_space();
  if (peek() == '!' && peek(1) != '=') {
    Nest nest(*this, pos_);
    const std::size_t bang = pos_++;
    skip_space();
    const bool before_path = peek() == '@' || peek() == '$';
    Expr expr;
    expr.kind = Expr::Kind::negate;
    expr.children.push_back(parse_unary());
    // Jayway reads `!@.a == 'x'` as `@.a == 'x'`: refuse rather than differ silently.
    if (before_path && impl_.exprs[expr.children.front()].kind == Expr::Kind::compare)
      fail("'!' before a path in a comparison is ignored by Jayway: write !(...) or !=", bang);
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

std::size_t Parser::parse_comparison() {
  const std::size_t start = pos_;
  Expr expr;
  std::optional<Regex> left_regex, right_regex;
  expr.left = parse_operand(&left_regex);
  skip_space();
  const std::size_t op_at = pos_;
  const std::optional<Op> op = parse_operator();
  if (!op) {
    // A bare path tests existence; anything else must be followed by an operator.
    if (left_regex) fail("a regex is only allowed with '=~'", start);
    if (expr.left.kind != Operand::Kind::path) {
      if (at_end() || peek() == ')' || looking_at("&&") || looking_at("||"))
        fail("a filter term must be a path or a comparison", start);
      unexpected(pos_);
    }
    expr.kind = Expr::Kind::exists;
    return add_expr(std::move(expr));
  }
  expr.kind = Expr::Kind::compare;
  expr.op = *op;
  skip_space();
  expr.right = parse_operand(&right_regex);
  if (*op != Op::match && (left_regex || right_regex)) fail("a regex is only allowed with '=~'", start);
  if (*op == Op::match) {
    // Jayway matches whichever side is not the pattern.
    if (left_regex.has_value() == right_regex.has_value()) fail("'=~' needs one /regex/ and one value", op_at);
    expr.regex = std::move(left_regex ? left_regex : right_regex);
    if (left_regex) expr.left = std::move(expr.right);
  }
  check_operands(expr, start, op_at);
  return add_expr(std::move(expr));
}

// Literal operands an operator can never use: refused here rather than failing every delivery
// (Jayway throws on them at evaluation).
void Parser::check_operands(const Expr &expr, std::size_t start, std::size_t op_at) {
  const auto literal = [](const Operand &o) { return o.kind == Operand::Kind::value; };
  const auto list = [&](const Operand &o) { return !literal(o) || o.value.IsArray(); };
  switch (expr.op) {
  case Op::in:
  case Op::nin:
    if (!list(expr.right)) fail("'in'/'nin' needs a list like ['a','b'] or a path", op_at);
    break;
  case Op::subsetof:
  case Op::anyof:
  case Op::noneof:
    if (!list(expr.left) || !list(expr.right)) fail("'subsetof', 'anyof' and 'noneof' compare two lists", start);
    break;
  case Op::empty:
    if (literal(expr.right) && !expr.right.value.IsBool()) fail("'empty' takes true or false", op_at);
    break;
  case Op::size:
    if (literal(expr.right) && !expr.right.value.IsNumber()) fail("'size' takes a number", op_at);
    break;
  default:
    break;
  }
}

std::optional<Op> Parser::parse_operator() {
  struct Symbol {
    std::string_view text;
    Op op;
  };
  // Longest first.
  static constexpr Symbol symbols[] = {
      {"===", Op::strict_eq}, {"!==", Op::strict_ne}, {"==", Op::eq}, {"!=", Op::ne}, {"<=", Op::le},
      {">=", Op::ge},         {"=~", Op::match},      {"<", Op::lt},  {">", Op::gt},
  };
  for (const Symbol &symbol : symbols) {
    if (looking_at(symbol.text)) {
      pos_ += symbol.text.size();
      return symbol.op;
    }
  }
  // Word operators, any case (Jayway's RelationalOperator.fromString).
  static constexpr Symbol words[] = {
      {"in", Op::in},       {"nin", Op::nin},           {"contains", Op::contains}, {"size", Op::size},
      {"empty", Op::empty}, {"subsetof", Op::subsetof}, {"anyof", Op::anyof},       {"noneof", Op::noneof},
  };
  const std::size_t start = pos_;
  while (is_alpha(peek())) ++pos_;
  std::string word(s_.substr(start, pos_ - start));
  std::transform(word.begin(), word.end(), word.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  for (const Symbol &symbol : words)
    if (word == symbol.text) return symbol.op;
  if (word == "all" || word == "exists" || word == "type" || word == "matches")
    fail("filter operator '" + word + "' is not supported (Jayway cannot evaluate it from a path's text)", start);
  pos_ = start;
  return std::nullopt;
}

// A path, a literal, or (into *regex) a /regex/.
Operand Parser::parse_operand(std::optional<Regex> *regex) {
  skip_space();
  Operand operand;
  if (at_end()) unexpected(pos_);
  const char c = peek();
  if (c == '@' || c == '$') {
    operand.kind = Operand::Kind::path;
    operand.path = parse_path(Context::filter);
  } else if (c == '/') {
    regex->emplace(parse_regex());
  } else {
    operand.value = parse_literal();
  }
  return operand;
}

// A string, number, true, false, null, or a JSON list [...] / map {...} of those (single quotes
// allowed, as Jayway's permissive JSON reader takes them).
Value Parser::parse_literal() {
  const std::size_t start = pos_;
  const char c = peek();
  if (at_end()) unexpected(pos_);
  if (c == '\'' || c == '"') {
    const Secret text = parse_quoted();
    return Value(text.view().data(), static_cast<rapidjson::SizeType>(text.size()), impl_.pool);
  }
  if (c == '-' || is_digit(c)) return parse_number();
  if (c == '[') return parse_json_list();
  if (c == '{') return parse_json_map();
  while (is_alpha(peek()) || is_digit(peek()) || peek() == '_') ++pos_;
  const std::string_view word = s_.substr(start, pos_ - start);
  if (word == "true") return Value(true);
  if (word == "false") return Value(false);
  if (word == "null") return Value();
  unexpected(start);
}

template <class Item> void Parser::parse_json_items(char close, Item &&item) {
  ++pos_;
  skip_space();
  if (peek() == close) {
    ++pos_;
    return;
  }
  for (;;) {
    skip_space();
    item();
    skip_space();
    if (peek() == ',') {
      ++pos_;
      continue;
    }
    if (at_end()) unexpected(pos_);
    expect(close);
    return;
  }
}

Value Parser::parse_json_list() {
  Nest nest(*this, pos_);
  Value list(rapidjson::kArrayType);
  parse_json_items(']', [&] { list.PushBack(parse_literal(), impl_.pool); });
  return list;
}

Value Parser::parse_json_map() {
  Nest nest(*this, pos_);
  Value map(rapidjson::kObjectType);
  parse_json_items('}', [&] {
    if (peek() != '\'' && peek() != '"') fail("expected a quoted key in a JSON map", pos_);
    const Secret key = parse_quoted();
    skip_space();
    expect(':');
    skip_space();
    Value value = parse_literal();
    map.AddMember(Value(key.view().data(), static_cast<rapidjson::SizeType>(key.size()), impl_.pool), value, impl_.pool);
  });
  return map;
}

// JSON-style number: -?digits(.digits)?([eE][+-]?digits)?
Value Parser::parse_number() {
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
    if (auto r = std::from_chars(first, last, i); r.ec == std::errc() && r.ptr == last) return Value(i);
    std::uint64_t u = 0;
    if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) return Value(u);
  }
  double d = 0;
  if (auto r = std::from_chars(first, last, d); r.ec != std::errc() || r.ptr != last) fail("number out of range", start);
  return Value(d);
}

// `/pattern/flags`. The pattern goes to RE2 as written (`\/` is an escaped `/` there too); the
// flags are the letters after the closing slash.
Regex Parser::parse_regex() {
  const std::size_t start = pos_;
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
  const std::size_t flags_at = pos_;
  while (is_alpha(peek())) ++pos_;
  try {
    return Regex(pattern, s_.substr(flags_at, pos_ - flags_at));
  } catch (const SyntaxError &e) {
    fail(e.what(), start);
  }
}

} // namespace rdwh::json
