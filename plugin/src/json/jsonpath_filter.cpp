// The relations of JsonPath filters, as current Jayway evaluates them (EvaluatorFactory and
// ValueNodes): which operands compare, how a number and a string coerce, what each operator does
// with lists, maps and missing values.
#include "json/jsonpath_values.hpp"
#include "json/text.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace rdwh::json {
namespace {

enum class Order : std::uint8_t { less, equal, greater, unordered };

template <class T> Order order3(T a, T b) { return a < b ? Order::less : (b < a ? Order::greater : Order::equal); }

// Integers compare exactly (int64 and uint64 both); anything involving a double as doubles.
Order compare_numbers(const Value &a, const Value &b) {
  if (a.IsInt64() && b.IsInt64()) return order3(a.GetInt64(), b.GetInt64());
  if (a.IsUint64() && b.IsUint64()) return order3(a.GetUint64(), b.GetUint64());
  // The remaining integer pairs: one is above INT64_MAX, the other negative.
  if (a.IsUint64() && b.IsInt64()) return Order::greater;
  if (a.IsInt64() && b.IsUint64()) return Order::less;
  return order3(a.GetDouble(), b.GetDouble());
}

std::string_view text_of(const Value &v) { return {v.GetString(), v.GetStringLength()}; }

// Java's String.compareTo: by UTF-16 code units. UTF-8 byte order agrees except between a
// character above U+FFFF (a surrogate pair, D800-DBFF first) and one from U+E000 to U+FFFF.
Order compare_strings(std::string_view a, std::string_view b, Budget &budget) {
  budget.charge(1 + std::min(a.size(), b.size()) / 64);
  const auto mismatch = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (mismatch.first == a.end() || mismatch.second == b.end()) return order3(a.size(), b.size());
  // Lead bytes of the differing characters: F0-F4 starts a character above U+FFFF, EE-EF one
  // from U+E000 to U+FFFF (continuation bytes differing means both are in the same range).
  const auto lead = [](std::string_view s, std::string_view::const_iterator at) {
    while (at != s.begin() && (static_cast<unsigned char>(*at) & 0xC0U) == 0x80U) --at;
    return static_cast<unsigned char>(*at);
  };
  const unsigned char la = lead(a, mismatch.first), lb = lead(b, mismatch.second);
  const bool a_pair = la >= 0xF0, b_pair = lb >= 0xF0;
  if (a_pair != b_pair && (a_pair ? lb >= 0xEE : la >= 0xEE)) return a_pair ? Order::less : Order::greater;
  return static_cast<unsigned char>(*mismatch.first) < static_cast<unsigned char>(*mismatch.second) ? Order::less
                                                                                                   : Order::greater;
}

// A decimal number as digits and a power of ten, normalised (no leading or trailing zeros), so
// two numbers are equal exactly when their forms are.
struct Decimal {
  bool negative = false;
  std::string digits; // empty for zero
  long exponent = 0;  // value = 0.digits * 10^exponent
  bool operator==(const Decimal &) const = default;
};

// Java's BigDecimal(String) grammar: [+-] digits [. digits] [e [+-] digits], at least one digit.
std::optional<Decimal> parse_decimal(std::string_view s) {
  Decimal d;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  long point = -1, count = 0;
  std::string digits;
  for (; i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && point < 0)); ++i) {
    if (s[i] == '.') point = count;
    else digits += s[i], ++count;
  }
  if (digits.empty()) return std::nullopt;
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    const bool minus = j < s.size() && s[j] == '-';
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j == s.size()) return std::nullopt;
    for (; j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])); ++j)
      if ((exponent = exponent * 10 + (s[j] - '0')) > 100000000) return std::nullopt;
    if (j != s.size()) return std::nullopt;
    exponent = minus ? -exponent : exponent;
    i = s.size();
  }
  if (i != s.size()) return std::nullopt;
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Decimal{}; // zero
  const std::size_t last = digits.find_last_not_of('0');
  d.exponent = (point < 0 ? count : point) - static_cast<long>(first) + exponent;
  d.digits = digits.substr(first, last - first + 1);
  return d;
}

// The number as Java's Number.toString writes it (what Jayway's NumberNode is made from).
std::string java_number_text(const Value &v) {
  std::string out;
  append_text(v, out);
  return out;
}

// BigDecimal(text).toString(): plain unless the exponent is large, then d.dddE+n (Jayway turns a
// number into a string this way to compare it with a string or match it against a regex).
std::string big_decimal_text(std::string_view text) {
  std::string unscaled;
  long scale = 0;
  bool negative = false, fraction = false;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    if (text[i] == '.') fraction = true;
    else unscaled += text[i], scale += fraction ? 1 : 0;
  }
  if (i < text.size()) scale -= std::stol(std::string(text.substr(i + 1)));
  unscaled.erase(0, std::min(unscaled.find_first_not_of('0'), unscaled.size() - 1));
  const long adjusted = -scale + static_cast<long>(unscaled.size()) - 1;
  std::string out = negative && unscaled != "0" ? "-" : "";
  if (scale >= 0 && adjusted >= -6) {
    if (scale == 0) return out + unscaled;
    if (static_cast<long>(unscaled.size()) <= scale)
      return out + "0." + std::string(static_cast<std::size_t>(scale) - unscaled.size(), '0') + unscaled;
    const std::size_t point = unscaled.size() - static_cast<std::size_t>(scale);
    return out + unscaled.substr(0, point) + "." + unscaled.substr(point);
  }
  out += unscaled.substr(0, 1);
  if (unscaled.size() > 1) out += "." + unscaled.substr(1);
  return out + "E" + (adjusted > 0 ? "+" : "") + std::to_string(adjusted);
}

// Jayway's ValueNode.equals for two values neither of which is a list or map: a string equals a
// number written the same way; a number equals a string holding the same number. (Asymmetric,
// as in Jayway: '1.0' == 1 is false, 1 == '1.0' is true.)
bool scalar_equal(const Value &l, const Value &r, Budget &budget) {
  if (l.IsString() && r.IsString()) return compare_strings(text_of(l), text_of(r), budget) == Order::equal;
  if (l.IsString() && r.IsNumber()) return text_of(l) == big_decimal_text(java_number_text(r));
  if (l.IsNumber() && r.IsNumber()) return compare_numbers(l, r) == Order::equal;
  if (l.IsNumber() && r.IsString()) {
    const std::optional<Decimal> text = parse_decimal(text_of(r));
    return text && text == parse_decimal(java_number_text(l));
  }
  if (l.IsBool() && r.IsBool()) return l.GetBool() == r.GetBool();
  return l.IsNull() && r.IsNull();
}

bool is_json(const Value &v) { return v.IsArray() || v.IsObject(); }

// Jayway's `left.equals(right)` on two operands.
bool node_equal(const Term &l, const Term &r, Budget &budget) {
  if (l.kind == Term::Kind::undefined || r.kind == Term::Kind::undefined) return false;
  if (l.is_json() || r.is_json()) return false;
  return scalar_equal(*l.value, *r.value, budget);
}

// `==` between two lists or maps (JsonNode.equals: Java's List/Map equality).
bool json_equal(const Term &l, const Term &r, Budget &budget) {
  if (l.kind == Term::Kind::value && r.kind == Term::Kind::value) return deep_equal(*l.value, *r.value, budget);
  if (!l.is_array() || !r.is_array() || l.size() != r.size()) return false;
  for (std::size_t i = 0; i < l.size(); ++i)
    if (!deep_equal(l.at(i), r.at(i), budget)) return false;
  return true;
}

bool equal(const Term &l, const Term &r, Budget &budget) {
  if (l.is_json() && r.is_json()) return json_equal(l, r, budget);
  return node_equal(l, r, budget);
}

// `===`: the same kind of node (string, number, boolean, null, list/map), then `==`.
bool strictly_equal(const Term &l, const Term &r, Budget &budget) {
  const auto node_class = [](const Term &t) {
    if (t.kind == Term::Kind::undefined) return 0;
    if (t.is_json()) return 1;
    return 2 + static_cast<int>(t.value->IsTrue() ? rapidjson::kFalseType : t.value->GetType());
  };
  return node_class(l) == node_class(r) && equal(l, r, budget);
}

// < <= > >=: numbers with numbers, strings with strings; nothing else is ordered.
bool ordered(Op op, const Term &l, const Term &r, Budget &budget) {
  if (l.kind != Term::Kind::value || r.kind != Term::Kind::value) return false;
  Order o = Order::unordered;
  if (l.value->IsNumber() && r.value->IsNumber()) o = compare_numbers(*l.value, *r.value);
  else if (l.value->IsString() && r.value->IsString()) o = compare_strings(text_of(*l.value), text_of(*r.value), budget);
  switch (op) {
  case Op::lt: return o == Order::less;
  case Op::le: return o == Order::less || o == Order::equal;
  case Op::gt: return o == Order::greater;
  case Op::ge: return o == Order::greater || o == Order::equal;
  default: return false;
  }
}

// The elements of a list operand as Jayway's ValueListNode makes them: it cannot make a node of
// a list or map element, and throws. nullopt when `t` is a map (Jayway: undefined). Not a list or
// map at all (a text, a number, a missing member): InvalidPathException, so the element does not
// match.
std::optional<Term> value_list(const Term &t, Budget &budget) {
  if (!t.is_json()) throw InvalidPath{"Expected value list node"};
  if (!t.is_array()) return std::nullopt;
  budget.charge(1 + t.size());
  for (std::size_t i = 0; i < t.size(); ++i)
    if (is_json(t.at(i))) throw PathFailure{"Could not determine value type (a list or map inside a list)"};
  return t;
}

// Whether `list` has an element `needle` equals (needle.equals(element), as ArrayList.contains).
bool list_has(const Term &list, const Term &needle, Budget &budget) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (node_equal(needle, Term::of(list.at(i)), budget)) return true;
  return false;
}

bool in(const Term &l, const Term &r, Budget &budget) {
  const std::optional<Term> list = value_list(r, budget);
  return list && list_has(*list, l, budget);
}

bool contains(const Term &l, const Term &r, Budget &budget) {
  if (l.kind == Term::Kind::value && r.kind == Term::Kind::value && l.value->IsString() && r.value->IsString()) {
    budget.charge(1 + l.value->GetStringLength() / 64);
    return text_of(*l.value).find(text_of(*r.value)) != std::string_view::npos;
  }
  if (!l.is_json()) return false;
  const std::optional<Term> list = value_list(l, budget);
  return list && list_has(*list, r, budget);
}

// A string's length as Java counts it (UTF-16 code units).
std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0U) != 0x80U) n += b >= 0xF0 ? 2 : 1;
  }
  return n;
}

bool size(const Term &l, const Term &r) {
  if (r.kind != Term::Kind::value || !r.value->IsNumber()) return false;
  const auto expected = static_cast<long long>(r.value->GetDouble());
  if (l.kind == Term::Kind::value && l.value->IsString())
    return static_cast<long long>(utf16_length(text_of(*l.value))) == expected;
  if (l.is_json()) return (l.is_array() ? static_cast<long long>(l.size()) : -1) == expected;
  return false;
}

// EmptyEvaluator: a text or a list; a map fails (JsonNode.isEmpty casts it to a Collection); the
// right side is read only then, and must be a boolean (else InvalidPathException: no match).
bool empty(const Term &l, const Term &r) {
  const bool text = l.kind == Term::Kind::value && l.value->IsString();
  if (!text && !l.is_json()) return false;
  if (!l.is_array() && !text)
    throw PathFailure{"class java.util.LinkedHashMap cannot be cast to class java.util.Collection"};
  if (r.kind != Term::Kind::value || !r.value->IsBool()) throw InvalidPath{"Expected boolean node"};
  const bool want = r.value->GetBool();
  if (text) return (l.value->GetStringLength() == 0) == want;
  return (l.size() == 0) == want;
}

// subsetof / anyof / noneof: both sides lists; false when either is a map.
enum class SetOp { subset, any, none };
bool set_relation(SetOp op, const Term &l, const Term &r, Budget &budget) {
  const std::optional<Term> right = value_list(r, budget);
  if (!right) return false;
  const std::optional<Term> left = value_list(l, budget);
  if (!left) return false;
  budget.charge(left->size() * right->size());
  for (std::size_t i = 0; i < left->size(); ++i) {
    const bool found = list_has(*right, Term::of(left->at(i)), budget);
    if (op == SetOp::subset && !found) return false;
    if (op != SetOp::subset && found) return op == SetOp::any;
  }
  return op != SetOp::any;
}

// The text a regex is matched against (RegexpEvaluator.getInput): a string, a number as
// BigDecimal writes it, true/false; anything else is the empty string.
std::string regex_input(const Value &v) {
  if (v.IsString()) return std::string(text_of(v));
  if (v.IsNumber()) return big_decimal_text(java_number_text(v));
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return {};
}

bool matches(const Term &subject, const Regex &re, Budget &budget) {
  const auto one = [&](const Value &v) {
    const std::string input = regex_input(v);
    // Charged before matching, at the worst case (RE2's NFA: every byte against every
    // instruction), so a pattern whose DFA blows up is stopped by limits.maxPathWork.
    budget.charge(1 + input.size() * re.cost_per_byte() / 4);
    return re.matches(input);
  };
  if (subject.is_array()) {
    const std::optional<Term> list = value_list(subject, budget);
    for (std::size_t i = 0; i < list->size(); ++i)
      if (one(list->at(i))) return true;
    return false;
  }
  if (subject.kind == Term::Kind::value) return one(*subject.value);
  return re.matches("");
}

} // namespace

// RapidJSON's operator== looks each member of one map up in the other, so two maps of n members
// cost n * n unchecked: this one charges every lookup to the budget as it goes.
bool deep_equal(const Value &a, const Value &b, Budget &budget) {
  budget.charge(1);
  if (a.IsObject()) {
    if (!b.IsObject() || a.MemberCount() != b.MemberCount()) return false;
    for (const auto &m : a.GetObject()) {
      budget.charge(b.MemberCount());
      const auto other = b.FindMember(m.name);
      if (other == b.MemberEnd() || !deep_equal(m.value, other->value, budget)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    if (!b.IsArray() || a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
      if (!deep_equal(a[i], b[i], budget)) return false;
    return true;
  }
  if (a.IsNumber() && b.IsNumber()) return compare_numbers(a, b) == Order::equal;
  if (a.IsString() && b.IsString()) return compare_strings(text_of(a), text_of(b), budget) == Order::equal;
  if (a.IsBool() && b.IsBool()) return a.GetBool() == b.GetBool();
  return a.IsNull() && b.IsNull();
}

bool relate(Op op, const Term &left, const Term &right, const Regex *regex, Budget &budget) {
  budget.charge(1);
  switch (op) {
  case Op::eq: return equal(left, right, budget);
  case Op::ne: return !equal(left, right, budget);
  case Op::strict_eq: return strictly_equal(left, right, budget);
  case Op::strict_ne: return !strictly_equal(left, right, budget);
  case Op::lt:
  case Op::le:
  case Op::gt:
  case Op::ge: return ordered(op, left, right, budget);
  case Op::match: return matches(left, *regex, budget);
  case Op::in: return in(left, right, budget);
  case Op::nin: return !in(left, right, budget);
  case Op::contains: return contains(left, right, budget);
  case Op::size: return size(left, right);
  case Op::empty: return empty(left, right);
  case Op::subsetof: return set_relation(SetOp::subset, left, right, budget);
  case Op::anyof: return set_relation(SetOp::any, left, right, budget);
  case Op::noneof: return set_relation(SetOp::none, left, right, budget);
  }
  return false;
}

} // namespace rdwh::json
