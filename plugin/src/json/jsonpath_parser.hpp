// The JsonPath compiler: a recursive-descent parser from the path text into the flat step lists
// of jsonpath_model.hpp. Paths, steps and function calls are in jsonpath_parse.cpp; filter
// expressions, literals and regexes in jsonpath_parse_filter.cpp. Nothing else includes this.
#pragma once

#include "json/jsonpath_model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::json {

class Parser {
public:
  Parser(std::string_view text, JsonPath::Impl &impl) : s_(text), impl_(impl) {}

  // The whole text as one path; returns its Impl::paths index.
  std::size_t parse_top();

private:
  // Where a path is written: the whole text, a filter operand, or a function argument (each
  // decides which characters end a dot-notation name).
  enum class Context : std::uint8_t { top, filter, argument };

  std::string_view s_;
  JsonPath::Impl &impl_;
  std::size_t pos_ = 0;
  std::size_t steps_ = 0;  // steps in all paths so far (PathLimits::max_steps)
  std::size_t depth_ = 0;  // nesting of filters, parentheses, `!` and arguments (bounds recursion)

  // Bounds recursion of the parser (and so of the evaluator) on inputs like "((((((...".
  class Nest {
  public:
    Nest(Parser &p, std::size_t at);
    ~Nest() { --p_.depth_; }
    Nest(const Nest &) = delete;
    Nest &operator=(const Nest &) = delete;

  private:
    Parser &p_;
  };

  // --- scanning (jsonpath_parse.cpp)
  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool looking_at(std::string_view token) const { return s_.substr(pos_, token.size()) == token; }
  void skip_space();
  [[noreturn]] void fail(const std::string &what, std::size_t at) const;
  [[noreturn]] void unexpected(std::size_t at) const;
  void expect(char c);

  // --- paths (jsonpath_parse.cpp)
  std::size_t parse_path(Context context);
  void finish_path(PathSpec &path);
  std::size_t add_path(PathSpec path);
  void parse_step_after_dot(PathSpec &path, bool deep, Context context);
  void parse_dot_name(PathSpec &path, bool deep, Context context);
  void parse_function(PathSpec &path, std::string_view name, std::size_t at, bool deep);
  Argument parse_argument();
  void parse_bracket(PathSpec &path, bool deep);
  void parse_index_or_slice(Step &step);
  std::int64_t parse_int();
  void add_step(PathSpec &path, Step step, std::size_t at);
  Secret parse_quoted();
  std::uint32_t parse_unicode_escape(std::size_t at);
  std::uint32_t parse_hex4(std::size_t at);

  // --- filters (jsonpath_parse_filter.cpp)
  std::size_t add_expr(Expr expr);
  template <class Term> std::size_t parse_chain(std::string_view op, Expr::Kind kind, Term term);
  std::size_t parse_or(std::size_t at);
  std::size_t parse_and();
  std::size_t parse_unary();
  std::size_t parse_comparison();
  void check_operands(const Expr &expr, std::size_t start, std::size_t op_at);
  std::optional<Op> parse_operator();
  Operand parse_operand(std::optional<Regex> *regex);
  Value parse_literal();
  Value parse_json_list();
  Value parse_json_map();
  // The items of a JSON list or map from its opening bracket to `close`, comma-separated, each
  // read by `item`.
  template <class Item> void parse_json_items(char close, Item &&item);
  Value parse_number();
  Regex parse_regex();
};

// Text helpers shared by both halves of the parser.
bool is_digit(char c);
bool is_alpha(char c);

} // namespace rdwh::json
