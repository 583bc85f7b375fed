// JsonPath evaluator: walks a document along a compiled path (jsonpath_model.hpp) without
// re-parsing it, within the work and result limits of PathLimits.
#include "json/jsonpath_model.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::json {
namespace {

// Thrown when a limit is reached, deep inside the recursive walk, and caught by select(): it
// never leaves this file (select() turns it into the delivery's rejection).
struct LimitReached {
  std::string message;
};

const Value *member(const Value &node, std::string_view name) {
  if (!node.IsObject()) return nullptr;
  const auto it = node.FindMember(Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
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
Order compare_numbers(const Value &a, const Value &b) {
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
      throw LimitReached{"JsonPath '" + excerpt(impl_.text, 0) + "' needs more than " +
                         std::to_string(impl_.limits.max_work) + " steps of work on this document (limits.maxPathWork)"};
    }
  }

private:
  const JsonPath::Impl &impl_;
  std::size_t used_ = 0;
};

bool deep_equal(const Value &a, const Value &b, Budget &budget);

// Numbers numerically, strings by bytes; bools and nulls only (in)equal; objects and arrays
// equal when deeply equal. Mixed types are unordered: `==` and orderings false, `!=` true.
Order compare(const Value &a, const Value &b, Budget &budget) {
  if (a.IsNumber() && b.IsNumber()) return compare_numbers(a, b);
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
    return deep_equal(a, b, budget) ? Order::equal : Order::unordered;
  }
  return Order::unordered;
}

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
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!deep_equal(a[i], b[i], budget)) return false;
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
bool matches(const Value &subject, const Regex &re, Budget &budget) {
  if (!subject.IsString() || subject.GetStringLength() > Regex::max_subject_bytes) return false;
  budget.charge(1 + subject.GetStringLength());
  return re.matches({subject.GetString(), subject.GetStringLength()});
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
      for (const Secret &name : step.names) {
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
      return each_child(node, f);
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

  template <class F> static bool each_child(const Value &node, F &f) {
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
    return each_child(node, down);
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
  template <class Pred> Pairs any_pair(const Expr &expr, const Value &current, Pred pred) const {
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
    return test_comparison(expr, current);
  }

  bool test_comparison(const Expr &expr, const Value &current) const {
    Budget &budget = budget_;
    const auto equal = [&budget](const Value &l, const Value &r) {
      return compare(l, r, budget) == Order::equal;
    };
    switch (expr.op) {
    case Op::match: {
      const Regex &re = *expr.regex;
      bool hit = false;
      each(expr.left, current, [&](const Value &l) {
        hit = matches(l, re, budget);
        return !hit;
      });
      return hit;
    }
    case Op::in:
      return any_pair(expr, current, [&budget](const Value &l, const Value &r) { return contains(r, l, budget); }).hit;
    case Op::nin: {
      // A missing operand makes `nin` false too (Jayway: comparisons with a missing path fail).
      const Pairs p = any_pair(expr, current, [&budget](const Value &l, const Value &r) { return contains(r, l, budget); });
      return p.seen && !p.hit;
    }
    case Op::ne: {
      // Both present and not equal; a missing operand gives false, not true.
      const Pairs p = any_pair(expr, current, equal);
      return p.seen && !p.hit;
    }
    default: {
      const Op op = expr.op;
      return any_pair(expr, current, [op, &budget](const Value &l, const Value &r) { return holds(op, compare(l, r, budget)); })
          .hit;
    }
    }
  }
};

} // namespace

Checked<Selection> JsonPath::select(const Value &root) const {
  Selection out;
  if (Checked<void> done = select(root, out); !done) return std::move(done.rejection());
  return out;
}

Checked<void> JsonPath::select(const Value &root, Selection &out) const {
  out.list.clear(); // keeps capacity
  out.single = nullptr;
  const PathSpec &path = impl_->paths[impl_->main];
  const Evaluator evaluator(*impl_, root);
  try {
    if (path.definite) {
      out.single = evaluator.resolve(path, root);
      out.kind = out.single != nullptr ? Selection::Kind::single : Selection::Kind::missing;
      return {};
    }
    out.kind = Selection::Kind::list;
    const std::size_t max = impl_->limits.max_results;
    auto collect = [&](const Value &v) {
      if (out.list.size() >= max)
        throw LimitReached{"JsonPath '" + excerpt(impl_->text, 0) + "' selected more than " + std::to_string(max) +
                           " values (limits.maxPathResults)"};
      out.list.push_back(&v);
      return true;
    };
    evaluator.visit(path, 0, root, collect);
    return {};
  } catch (LimitReached &limit) {
    out.list.clear();
    out.single = nullptr;
    out.kind = Selection::Kind::missing;
    return over_limit(std::move(limit.message));
  }
}

} // namespace rdwh::json
