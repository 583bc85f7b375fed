// Jayway's path functions (com.jayway.jsonpath.internal.function, 2.10), quirks included so a
// config gives what Rundeck gives: length() of a string is null, max() starts from Java's
// Double.MIN_VALUE (so the max of negative numbers is 4.9E-324), last() of a one-element list
// fails, aggregations yield doubles (sum of [1,2] is 3.0), keys() renders as Java prints a set.
#include "json/jsonpath_values.hpp"
#include "json/text.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace rdwh::json {
namespace {

// Calls f(element) for the model's elements when it is a list, then for every argument's value
// (a list argument element by element), as Jayway's aggregations and concat() read them.
template <class F> void each_input(const Value &model, const std::vector<ArgValue> &args, F f) {
  if (model.IsArray())
    for (const Value &v : model.GetArray()) f(v, true);
  for (const ArgValue &arg : args) {
    const auto one = [&](const Value &v) {
      if (v.IsArray())
        for (const Value &e : v.GetArray()) f(e, false);
      else
        f(v, false);
    };
    if (arg.value) one(*arg.value);
    else
      for (const Value *v : arg.list) f(*v, false);
  }
}

const Value &number(Maker &maker, double d) { return maker.make(Value(d)); }

// min, max, avg, sum, stddev (AbstractAggregation): the numbers of a list model and of the
// arguments; none is an error.
const Value &aggregate(Function fn, const Value &model, const std::vector<ArgValue> &args, Maker &maker,
                       Budget &budget) {
  double sum = 0, squares = 0, min = std::numeric_limits<double>::max(), max = std::numeric_limits<double>::denorm_min();
  std::size_t count = 0;
  each_input(model, args, [&](const Value &v, bool) {
    budget.charge(1);
    if (!v.IsNumber()) return;
    const double d = v.GetDouble();
    ++count, sum += d, squares += d * d;
    if (d < min) min = d;
    if (max < d) max = d;
  });
  if (count == 0) throw PathFailure{"Aggregation function attempted to calculate value using empty array"};
  const double n = static_cast<double>(count);
  switch (fn) {
  case Function::min: return number(maker, min);
  case Function::max: return number(maker, max);
  case Function::avg: return number(maker, sum / n);
  case Function::stddev: return number(maker, std::sqrt(squares / n - sum * sum / n / n));
  default: return number(maker, sum);
  }
}

// first, last, index(n) (AbstractSequenceAggregation): an element of a list model.
const Value &element(Function fn, const Value &model, const std::vector<ArgValue> &args) {
  if (!model.IsArray()) throw PathFailure{"Aggregation function attempted to calculate value using empty array"};
  long long target = fn == Function::last ? -1 : 0;
  if (fn == Function::index) {
    bool found = false;
    each_input(Value(rapidjson::kNullType), args, [&](const Value &v, bool) {
      if (!found && v.IsNumber()) target = static_cast<long long>(v.GetDouble()), found = true;
    });
    if (!found) throw PathFailure{"index() needs a number"};
  }
  const auto size = static_cast<long long>(model.Size());
  // As Jayway: a negative index counts from the end, but must land above 0.
  const long long at = target >= 0 ? target : size + target;
  // Past the end is Java's IndexOutOfBoundsException (List.get), which an upstream array step
  // swallows; at or before the start Jayway throws its own exception, which nothing does.
  if (target >= 0 && at >= size)
    throw IndexOutOfRange{"Index " + std::to_string(target) + " out of bounds for length " + std::to_string(size)};
  if (target < 0 && at <= 0)
    throw PathFailure{"Target index:" + std::to_string(target) + " larger than object count:" + std::to_string(size)};
  return model[static_cast<rapidjson::SizeType>(at)];
}

// concat(...): the strings of a list model, then every argument value as text.
const Value &concat(const Value &model, const std::vector<ArgValue> &args, Maker &maker, Budget &budget) {
  std::string out;
  each_input(model, args, [&](const Value &v, bool from_model) {
    budget.charge(1);
    if (from_model && !v.IsString()) return;
    if (!v.IsNull()) append_java(v, out);
  });
  budget.charge(out.size() / 64);
  return maker.make(Value(out.data(), static_cast<rapidjson::SizeType>(out.size()), maker.allocator()));
}

// append(...): a copy of a list model with the arguments' values added (Jayway adds them to the
// document itself); anything else unchanged.
const Value &append(const Value &model, const std::vector<ArgValue> &args, Maker &maker, Budget &budget) {
  if (!model.IsArray()) return model;
  Value &copy = maker.make(Value(model, maker.allocator()));
  budget.charge(1 + model.Size());
  for (const ArgValue &arg : args) {
    if (arg.value) {
      copy.PushBack(Value(*arg.value, maker.allocator()), maker.allocator());
      continue;
    }
    Value list(rapidjson::kArrayType);
    for (const Value *v : arg.list) list.PushBack(Value(*v, maker.allocator()), maker.allocator());
    copy.PushBack(list, maker.allocator());
  }
  return copy;
}

// length() / size(): the elements of a list, the members of a map, else null. With an argument
// path, the children of everything it selects (Jayway adds a wildcard to that path).
const Value &length(const Value &model, const std::vector<ArgValue> &args, Maker &maker) {
  if (!args.empty()) {
    std::size_t children = 0;
    const auto count = [&](const Value &v) {
      children += v.IsArray() ? v.Size() : v.IsObject() ? v.MemberCount() : 0;
    };
    if (args.front().value) count(*args.front().value);
    else
      for (const Value *v : args.front().list) count(*v);
    return maker.make(Value(static_cast<uint64_t>(children)));
  }
  if (model.IsArray()) return maker.make(Value(static_cast<uint64_t>(model.Size())));
  if (model.IsObject()) return maker.make(Value(static_cast<uint64_t>(model.MemberCount())));
  return maker.make();
}

// keys(): a map's member names, rendered as Java prints the key set ([a, b]); else null.
const Value &keys(const Value &model, Maker &maker) {
  if (!model.IsObject()) return maker.make();
  std::string out = "[";
  for (const auto &m : model.GetObject()) {
    if (out.size() > 1) out += ", ";
    out.append(m.name.GetString(), m.name.GetStringLength());
  }
  out += ']';
  return maker.make(Value(out.data(), static_cast<rapidjson::SizeType>(out.size()), maker.allocator()));
}

} // namespace

const Value &apply_function(Function fn, const Value &model, const std::vector<ArgValue> &args, Maker &maker,
                            Budget &budget) {
  budget.charge(1);
  switch (fn) {
  case Function::length: return length(model, args, maker);
  case Function::first:
  case Function::last:
  case Function::index: return element(fn, model, args);
  case Function::keys: return keys(model, maker);
  case Function::concat: return concat(model, args, maker, budget);
  case Function::append: return append(model, args, maker, budget);
  default: return aggregate(fn, model, args, maker, budget);
  }
}

} // namespace rdwh::json
