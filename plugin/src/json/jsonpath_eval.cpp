// JsonPath evaluator: walks a document along a compiled path (jsonpath_model.hpp) without
// re-parsing it, within the work and result limits of PathLimits, as Jayway's path tokens do.
#include "json/jsonpath_values.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::json {
namespace {

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

// How the definite beginning of a path went: it reached a node, it found nothing that Jayway
// reports (PathNotFoundException: the path finds nothing at all), or it left nothing to walk on
// without an exception (an index out of range, a missing last member, first() past the end
// behind an index): no more values, though a function before may have given one.
enum class Reach : std::uint8_t { node, not_found, nothing };

// All evaluation state is on the stack; the compiled Impl is only read.
class Evaluator {
public:
  Evaluator(const JsonPath::Impl &impl, const Value &root)
      : impl_(impl), root_(root), budget_(impl), leaf_null_(impl.limits.missing_leaf_null) {}

  // Calls f(value) for each value `path` selects from `start`, in document order; f returns false
  // to stop early. Returns false when the path finds nothing at all (Jayway's PathNotFound).
  template <class F> bool walk(const PathSpec &path, const Value &start, F &&f) {
    const Value *node = &start;
    switch (walk_prefix(path, node, f)) {
    case Reach::not_found: return false;
    case Reach::nothing: return true;
    case Reach::node: break;
    }
    if (path.definite_prefix == path.steps.size()) {
      f(*node);
      return true;
    }
    if (!enters(path.steps[path.definite_prefix], *node)) return false;
    visit(path, path.definite_prefix, *node, f);
    return true;
  }

  Maker &maker() { return maker_; }

private:
  static inline const Value null_{};
  const JsonPath::Impl &impl_;
  const Value &root_;
  Budget budget_;  // one evaluation's work; the Evaluator lives for one select()
  Maker maker_;
  // PathLimits::missing_leaf_null, except inside an existence test (Jayway's PathNode checks
  // existence with REQUIRE_PROPERTIES only).
  bool leaf_null_;

  bool leaf(const PathSpec &path, std::size_t i) const { return i + 1 == path.steps.size(); }

  // The definite steps, one node each: a missing member, or a member or index of the wrong type
  // of node, means not found; a missing last member or an index out of range finds nothing. A
  // function before the last step gives its value too (Jayway's FunctionPathToken adds its result
  // before walking on), so `f` is called with it.
  template <class F> Reach walk_prefix(const PathSpec &path, const Value *&node, F &f) {
    budget_.charge(1 + path.definite_prefix);
    bool behind_index = false; // Jayway's handleArrayIndex swallows first() past the end below it
    for (std::size_t i = 0; i < path.definite_prefix; ++i) {
      const Step &step = path.steps[i];
      switch (step.kind) {
      case StepKind::name:
        if (const Value *v = member(*node, step.names.front())) node = v;
        else if (node->IsObject() && leaf(path, i)) return missing_leaf(*node, f);
        else return Reach::not_found;
        break;
      case StepKind::index:
        if (!node->IsArray()) return Reach::not_found;
        if (!(node = element(*node, step.indices.front()))) return Reach::nothing;
        behind_index = true;
        break;
      case StepKind::names:  // the last step: a map of the members present
        if (!node->IsObject()) return Reach::not_found;
        node = &merge(step, *node);
        break;
      case StepKind::function:
        try {
          node = &call(step, *node);
        } catch (const IndexOutOfRange &) {
          if (!behind_index) throw;
          return Reach::nothing;
        }
        if (!leaf(path, i)) f(*node);
        break;
      default:
        break; // indefinite kinds never appear in the prefix
      }
    }
    return Reach::node;
  }

  // A missing last member of a map: nothing, or null when the path reads missing leaves as null
  // (Jayway's DEFAULT_PATH_LEAF_TO_NULL, which Rundeck's conditions use).
  template <class F> Reach missing_leaf(const Value &, F &f) {
    if (leaf_null_) f(null_);
    return Reach::nothing;
  }

  // Whether the first indefinite step may start on `node`: right after definite steps Jayway
  // refuses a slice, index list or member list on the wrong type (not found) and a filter on a
  // scalar (an error); a wildcard or deep scan just finds nothing.
  bool enters(const Step &step, const Value &node) {
    if (step.deep) return true;
    switch (step.kind) {
    case StepKind::slice:
    case StepKind::indices: return node.IsArray();
    case StepKind::names: return node.IsObject();
    case StepKind::filter:
      if (!node.IsArray() && !node.IsObject()) throw PathFailure{"Filter can not be applied to primitives"};
      return true;
    default: return true;
    }
  }

  // Calls f(value) for each value `path` selects from `node`, starting at step `i`. f returns
  // false to stop early; visit then returns false too.
  template <class F> bool visit(const PathSpec &path, std::size_t i, const Value &node, F &f) {
    budget_.charge(1);
    if (i == path.steps.size()) return f(node);
    auto next = [&](const Value &v) { return visit(path, i + 1, v, f); };
    const Step &step = path.steps[i];
    if (step.kind == StepKind::function && !leaf(path, i)) {
      // Jayway's FunctionPathToken adds its result, then walks on from it.
      const Value &result = call(step, node);
      return f(result) && next(result);
    }
    return step.deep ? scan(step, leaf(path, i), node, next) : apply(step, leaf(path, i), node, next);
  }

  // An element reached through an index, wildcard, slice or filter step: first() or index(n)
  // past a list's end anywhere below it ends only this element's walk (Jayway's
  // PathToken.handleArrayIndex), and so does a function argument that finds nothing below a
  // wildcard (WildcardPathToken catches PathNotFoundException).
  template <class F> static bool element_of(const Value &v, F &f, bool wildcard = false) {
    try {
      return f(v);
    } catch (const IndexOutOfRange &) {
      return true;
    } catch (const NotFound &) {
      if (!wildcard) throw;
      return true;
    }
  }

  // One step on one node; values that do not fit the step (wrong type, out of range, missing
  // member) are skipped, as Jayway does once a path is indefinite. `guard`: elements are reached
  // through Jayway's handleArrayIndex (not so in a deep scan, which walks them itself).
  template <class F> bool apply(const Step &step, bool last, const Value &node, F &f, bool guard = true) {
    const auto one = [&](const Value &v, bool wildcard = false) { return guard ? element_of(v, f, wildcard) : f(v); };
    switch (step.kind) {
    case StepKind::name:
    case StepKind::names:
      if (step.kind == StepKind::names && last) return !node.IsObject() || f(merge(step, node));
      for (const Secret &name : step.names) {
        if (const Value *v = member(node, name)) {
          if (!f(*v)) return false;
        } else if (last && leaf_null_ && node.IsObject() && !f(null_)) {
          return false;
        }
      }
      return true;
    case StepKind::index:
    case StepKind::indices:
      for (const std::int64_t index : step.indices)
        if (const Value *v = element(node, index); v != nullptr && !one(*v)) return false;
      return true;
    case StepKind::slice: return slice(step, node, one);
    case StepKind::wildcard:
      if (node.IsArray()) {
        for (const Value &v : node.GetArray())
          if (!one(v, true)) return false;
        return true;
      }
      return each_child(node, f);
    case StepKind::filter:
      // Jayway: on an array the predicate picks elements; on an object it is tested on the
      // object itself; scalars never match.
      if (node.IsArray()) {
        for (const Value &v : node.GetArray())
          if (accept(step.filter, v) && !one(v)) return false;
      } else if (node.IsObject() && accept(step.filter, node)) {
        return f(node);
      }
      return true;
    case StepKind::function: return f(call(step, node));
    }
    return true;
  }

  // Jayway's ArraySliceToken: `[a:]` and `[:b]` count a negative bound from the end, but `[a:b]`
  // never moves a negative end (so `[0:-1]` is empty) and walks a negative start from the end
  // round to the front (`[-2:2]` of five is d, e, a, b).
  template <class F> bool slice(const Step &step, const Value &node, F &f) {
    if (!node.IsArray()) return true;
    const auto size = static_cast<std::int64_t>(node.Size());
    std::int64_t from = 0, to = size;
    if (step.from && step.to) {
      from = std::max(*step.from, -size); // below -size Jayway's indexes are all out of range
      to = std::min(size, *step.to);
    } else if (step.from) {
      from = std::max<std::int64_t>(0, *step.from < 0 ? size + *step.from : *step.from);
    } else {
      to = std::min(size, *step.to < 0 ? size + *step.to : *step.to);
    }
    budget_.charge(static_cast<std::size_t>(std::max<std::int64_t>(0, to - from)));
    for (std::int64_t i = from; i < to; ++i) {
      const std::int64_t at = i < 0 ? size + i : i;
      if (at >= 0 && at < size && !f(node[static_cast<rapidjson::SizeType>(at)])) return false;
    }
    return true;
  }

  template <class F> static bool each_child(const Value &node, F &f) {
    if (node.IsObject()) {
      for (const auto &m : node.GetObject())
        if (!f(m.value)) return false;
    } else if (node.IsArray()) {
      for (const Value &v : node.GetArray())
        if (!f(v)) return false;
    }
    return true;
  }

  // Deep scan, pre-order: the step applied to this node first, then to every descendant.
  // Recursion is by document depth (bounded where documents are parsed).
  template <class F> bool scan(const Step &step, bool last, const Value &node, F &f) {
    budget_.charge(1);
    if (step.kind == StepKind::filter) {
      // Jayway's scan tests the predicate on each object it walks (array elements are reached
      // as nodes themselves, so they are not selected twice).
      if (node.IsObject() && accept(step.filter, node) && !f(node)) return false;
    } else if (step.kind == StepKind::names && last) {
      // A member list at the end: a map of them from each object that has them all.
      const bool has_all = node.IsObject() && std::all_of(step.names.begin(), step.names.end(),
                                                          [&](const Secret &n) { return member(node, n) != nullptr; });
      if (has_all && !f(merge(step, node))) return false;
    } else if (!apply(step, last, node, f, false)) {
      return false;
    }
    auto down = [&](const Value &child) { return scan(step, last, child, f); };
    return each_child(node, down);
  }

  // `['a','b']` as the last step: a map of the members present (PathToken.handleObjectProperty).
  const Value &merge(const Step &step, const Value &node) {
    Value &map = maker_.make(Value(rapidjson::kObjectType));
    for (const Secret &name : step.names) {
      const Value *v = member(node, name);
      if (!v || member(map, name)) continue;
      budget_.charge(1 + (v->IsObject() || v->IsArray() ? 16 : 0));
      map.AddMember(Value(name.view().data(), static_cast<rapidjson::SizeType>(name.size()), maker_.allocator()),
                    Value(*v, maker_.allocator()), maker_.allocator());
    }
    return map;
  }

  // A function step on `model`, its path arguments evaluated on the root document.
  const Value &call(const Step &step, const Value &model) {
    std::vector<ArgValue> args;
    args.reserve(step.args.size());
    for (const Argument &a : step.args) {
      ArgValue &arg = args.emplace_back();
      if (!a.is_path) {
        arg.value = &a.value;
        continue;
      }
      const PathSpec &path = impl_.paths[a.path];
      Term t = operand_term(path, root_);
      if (t.kind == Term::Kind::undefined) throw NotFound{}; // Jayway evaluates arguments eagerly
      arg.value = t.kind == Term::Kind::value ? t.value : nullptr;
      arg.list = std::move(t.list);
    }
    return apply_function(step.function, model, args, maker_, budget_);
  }

  // What a path operand stands for: its value (definite), the list it selects (indefinite), or
  // undefined when it finds nothing (Jayway's PathNode catches PathNotFoundException).
  Term operand_term(const PathSpec &path, const Value &start) {
    Term t;
    try {
      const bool found = walk(path, start, [&](const Value &v) {
        if (path.definite) t.value = &v;
        else t.list.push_back(&v);
        return true;
      });
      if (!found || (path.definite && !t.value)) return Term{};
    } catch (const NotFound &) {
      return Term{};
    }
    t.kind = path.definite ? Term::Kind::value : Term::Kind::list;
    return t;
  }

  Term term(const Operand &operand, const Value &current) {
    if (operand.kind == Operand::Kind::value) return Term::of(operand.value);
    const PathSpec &path = impl_.paths[operand.path];
    return operand_term(path, path.relative ? current : root_);
  }

  // A filter on one node (PredicatePathToken.accept): a relation Jayway finds invalid (a value
  // list or boolean expected) means no match, not a failure.
  bool accept(std::size_t filter, const Value &current) {
    try {
      return test(filter, current);
    } catch (const InvalidPath &) {
      return false;
    }
  }

  bool test(std::size_t index, const Value &current) {
    budget_.charge(1);
    const Expr &expr = impl_.exprs[index];
    switch (expr.kind) {
    case Expr::Kind::any_of:
      return std::any_of(expr.children.begin(), expr.children.end(), [&](std::size_t c) { return test(c, current); });
    case Expr::Kind::all_of:
      return std::all_of(expr.children.begin(), expr.children.end(), [&](std::size_t c) { return test(c, current); });
    case Expr::Kind::negate: return !test(expr.children.front(), current);
    case Expr::Kind::exists: return exists(impl_.paths[expr.left.path], current);
    case Expr::Kind::compare: break;
    }
    return relate(expr.op, term(expr.left, current), expr.op == Op::match ? Term{} : term(expr.right, current),
                  expr.regex ? &*expr.regex : nullptr, budget_);
  }

  // `[?(@.a)]`: the path resolves with every member it names present (null counts), as Jayway
  // checks with REQUIRE_PROPERTIES; an indefinite path that selects nothing still exists.
  bool exists(const PathSpec &path, const Value &current) {
    const bool leaf_null = std::exchange(leaf_null_, false);
    const bool found = exists_strictly(path, current);
    leaf_null_ = leaf_null;
    return found;
  }

  bool exists_strictly(const PathSpec &path, const Value &current) {
    const Value *node = path.relative ? &current : &root_;
    if (path.definite) return operand_term(path, *node).kind != Term::Kind::undefined;
    try {
      auto ignore = [](const Value &) { return true; };
      const Reach reach = walk_prefix(path, node, ignore);
      if (reach != Reach::node) return reach == Reach::nothing;
      if (!enters(path.steps[path.definite_prefix], *node)) return false;
    } catch (const NotFound &) {
      return false;
    }
    bool complete = true;
    visit_required(path, path.definite_prefix, *node, complete);
    return complete;
  }

  // Clears `complete` when a branch of `path` from `node` lacks a member it names.
  void visit_required(const PathSpec &path, std::size_t i, const Value &node, bool &complete) {
    budget_.charge(1);
    if (!complete || i == path.steps.size()) return;
    const Step &step = path.steps[i];
    if (!step.deep && (step.kind == StepKind::name || step.kind == StepKind::names) && node.IsObject())
      for (const Secret &name : step.names)
        if (!member(node, name)) complete = false;
    auto next = [&](const Value &v) {
      visit_required(path, i + 1, v, complete);
      return complete;
    };
    if (step.deep) scan(step, leaf(path, i), node, next);
    else apply(step, leaf(path, i), node, next);
  }
};

} // namespace

namespace {
void fail(Selection &out, std::string message) {
  out.list.clear();
  out.single = nullptr;
  out.kind = Selection::Kind::failed;
  out.error = std::move(message);
}
} // namespace

Checked<Selection> JsonPath::select(const Value &root) const {
  Selection out;
  if (Checked<void> done = select(root, out); !done) return std::move(done.rejection());
  return out;
}

Checked<void> JsonPath::select(const Value &root, Selection &out) const {
  out.list.clear(); // keeps capacity
  out.single = nullptr;
  out.error.clear();
  out.computed.reset();
  const PathSpec &path = impl_->paths[impl_->main];
  Evaluator evaluator(*impl_, root);
  const std::size_t max = impl_->limits.max_results;
  try {
    bool found = false;
    if (path.definite) {
      found = evaluator.walk(path, root, [&](const Value &v) {
        out.single = &v;
        return true;
      });
      found = found && out.single;
    } else {
      found = evaluator.walk(path, root, [&](const Value &v) {
        if (out.list.size() >= max)
          throw LimitReached{"JsonPath '" + excerpt(impl_->text, 0) + "' selected more than " + std::to_string(max) +
                             " values (limits.maxPathResults)"};
        out.list.push_back(&v);
        return true;
      });
    }
    out.kind = !found ? Selection::Kind::missing : path.definite ? Selection::Kind::single : Selection::Kind::list;
    if (!found) out.list.clear();
  } catch (LimitReached &limit) {
    out.list.clear();
    out.single = nullptr;
    out.kind = Selection::Kind::missing;
    return over_limit(std::move(limit.message));
  } catch (const NotFound &) {
    out.list.clear();
    out.single = nullptr;
    out.kind = Selection::Kind::missing;
  } catch (PathFailure &failure) {
    fail(out, std::move(failure.message));
  } catch (IndexOutOfRange &failure) { // first() past the end with no array step above it
    fail(out, std::move(failure.message));
  } catch (InvalidPath &failure) {
    fail(out, std::move(failure.message));
  }
  out.computed = evaluator.maker().take();
  return {};
}

} // namespace rdwh::json
