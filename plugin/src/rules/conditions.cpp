#include "rules/conditions.hpp"

#include "base/error.hpp"
#include "base/secret.hpp"
#include "base/text.hpp"
#include "json/text.hpp"
#include "rules/datetime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace rdwh::rules {
namespace {

using Kind = json::Selection::Kind;

// The field as text, the way Rundeck stringifies it for equals; nullopt when nothing is there.
// A list stops once longer than `max_bytes`: it then cannot equal a value that long, and rendering
// every value of `$..*` whole could take far more memory than the body.
std::optional<std::string> field_text(const json::Selection &field,
                                      std::size_t max_bytes = static_cast<std::size_t>(-1)) {
  if (field.kind == Kind::missing) return std::nullopt;
  if (field.kind == Kind::single && field.single->IsNull()) return std::nullopt;
  std::string text;
  json::append_selection(field, text, max_bytes);
  return text;
}

// The field when it is one string, read in place (the common case: no copy).
std::optional<std::string_view> string_in_place(const json::Value &v) {
  if (!v.IsString()) return std::nullopt;
  return std::string_view(v.GetString(), v.GetStringLength());
}
std::optional<std::string_view> string_in_place(const json::Selection &field) {
  if (field.kind != Kind::single) return std::nullopt;
  return string_in_place(*field.single);
}

// equals (and its old name, matches): the field, stringified, is exactly the value.
class Equals final : public Matcher {
public:
  explicit Equals(std::string_view value) : value_(value) {}
  MatchOutcome test(const json::Selection &field, int64_t) const override {
    if (auto s = string_in_place(field)) return {*s == value_.view(), {}};
    auto text = field_text(field, value_.size());
    return {text && *text == value_.view(), {}};
  }

private:
  Secret value_;
};

// contains: a list holds an element equal to the value; anything else, stringified, contains the
// value as a substring.
class Contains final : public Matcher {
public:
  explicit Contains(std::string_view value) : value_(value) {}
  MatchOutcome test(const json::Selection &field, int64_t) const override {
    const json::Value *list = nullptr;
    if (field.kind == Kind::single && field.single->IsArray()) list = field.single;
    if (list || field.kind == Kind::list) {
      std::string element;
      auto equal = [&](const json::Value &v) {
        if (auto s = string_in_place(v)) return *s == value_.view();
        element.clear();
        json::append_text(v, element);
        return !v.IsNull() && element == value_.view();
      };
      if (list) {
        for (const auto &v : list->GetArray())
          if (equal(v)) return {true, {}};
      } else {
        for (const json::Value *v : field.list)
          if (equal(*v)) return {true, {}};
      }
      return {false, {}};
    }
    if (auto s = string_in_place(field)) return {s->find(value_.view()) != std::string_view::npos, {}};
    auto text = field_text(field);
    return {text && text->find(value_.view()) != std::string::npos, {}};
  }

private:
  Secret value_;
};

// exists: the field is there and not null (Rundeck: "non-null"). A path that can select several
// values gives a list, and a list, even empty, is not null. Rundeck requires a value but ignores it.
class Exists final : public Matcher {
public:
  MatchOutcome test(const json::Selection &field, int64_t) const override {
    if (field.kind == Kind::single) return {!field.single->IsNull(), {}};
    return {field.kind == Kind::list, {}};
  }
};

// isA: the field's type is one of the listed names (string, number, map, list, null); a missing
// field reads as null, as Jayway's DEFAULT_PATH_LEAF_TO_NULL gives it.
class IsA final : public Matcher {
public:
  explicit IsA(std::string_view value) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(',', start);
      if (end == std::string_view::npos) end = value.size();
      std::string_view name = text::trim(value.substr(start, end - start));
      static const std::string_view known[] = {"string", "number", "map", "list", "null"};
      if (std::find(std::begin(known), std::end(known), name) == std::end(known))
        throw SyntaxError("isA value must be in [string, number, map, list, null]");
      types_.emplace_back(name);
      start = end + 1;
    }
  }
  MatchOutcome test(const json::Selection &field, int64_t) const override {
    std::string_view type = field.kind == Kind::missing ? "null"
                            : field.kind == Kind::list  ? "list"
                                                        : json::type_name(*field.single);
    return {std::find(types_.begin(), types_.end(), type) != types_.end(), {}};
  }

private:
  std::vector<std::string> types_;
};

// The comparison point of dateTimeAfter/Before: a fixed date-time, or (an rdwh extension) the
// host clock at delivery, `now`, optionally shifted: `now-15m`, `now+2h`, `now-1d`, `now-30s`.
struct TimePoint {
  bool relative = false;
  int64_t ms = 0; // absolute time, or offset from now

  static TimePoint parse(std::string_view text) {
    if (auto point = text.substr(0, 3) == "now" ? relative_to_now(text.substr(3)) : absolute(text)) return *point;
    throw SyntaxError(fmt::format("'{}' is not a date-time (expected ISO-8601 such as "
                                  "2024-05-01T12:00:00Z, epoch milliseconds, or now-<N><s|m|h|d>)", text));
  }

  // What follows "now": nothing, or a sign, a number and a unit.
  static std::optional<TimePoint> relative_to_now(std::string_view rest) {
    if (rest.empty()) return TimePoint{true, 0};
    const int sign = rest[0] == '-' ? -1 : rest[0] == '+' ? 1 : 0;
    std::size_t i = 1;
    int64_t n = 0;
    while (sign && i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])) && n < 1000000000)
      n = n * 10 + (rest[i++] - '0');
    static const std::pair<char, int64_t> units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
    if (sign && i > 1 && i + 1 == rest.size())
      for (auto [unit, scale] : units)
        if (rest[i] == unit) return TimePoint{true, sign * n * scale};
    return std::nullopt;
  }

  static std::optional<TimePoint> absolute(std::string_view text) {
    if (auto ms = parse_datetime(text)) return TimePoint{false, *ms};
    return std::nullopt;
  }

  int64_t at(int64_t now_unix_ms) const { return relative ? now_unix_ms + ms : ms; }
};

class DateTimeCompare final : public Matcher {
public:
  DateTimeCompare(std::string_view value, bool after) : point_(TimePoint::parse(value)), after_(after) {}
  MatchOutcome test(const json::Selection &field, int64_t now_unix_ms) const override {
    if (field.kind != Kind::single || field.single->IsNull()) return {false, {}};
    std::optional<int64_t> when;
    if (field.single->IsNumber()) {
      when = epoch_number_to_ms(field.single->GetDouble());
    } else if (field.single->IsString()) {
      when = parse_datetime({field.single->GetString(), field.single->GetStringLength()});
    }
    if (!when) return {false, "the field is not a date-time"};
    int64_t reference = point_.at(now_unix_ms);
    return {after_ ? *when > reference : *when < reference, {}};
  }

private:
  TimePoint point_;
  bool after_;
};

template <class M> std::unique_ptr<Matcher> make_with_value(std::string_view value) {
  return std::make_unique<M>(value);
}
std::unique_ptr<Matcher> make_exists(std::string_view) { return std::make_unique<Exists>(); }
std::unique_ptr<Matcher> make_after(std::string_view v) { return std::make_unique<DateTimeCompare>(v, true); }
std::unique_ptr<Matcher> make_before(std::string_view v) { return std::make_unique<DateTimeCompare>(v, false); }

} // namespace

const std::vector<ConditionType> &condition_types() {
  static const std::vector<ConditionType> types = {
      {"equals", "equals", &make_with_value<Equals>, "the field, as text, equals the value"},
      {"contains", "contains", &make_with_value<Contains>,
       "a list field has an element equal to the value; any other field contains it as a substring"},
      {"exists", "exists", &make_exists, "the field is present and not null (the value is ignored)"},
      {"isA", "isA", &make_with_value<IsA>, "the field's type is the value: string, number, map, list or null"},
      {"dateTimeAfter", "dateTimeAfter", &make_after, "the field, read as a date-time, is after the value"},
      {"dateTimeBefore", "dateTimeBefore", &make_before, "the field, read as a date-time, is before the value"},
      {"matches", "equals", &make_with_value<Equals>, "old name of equals (Rundeck before 3.2)"},
  };
  return types;
}

const ConditionType *find_condition_type(std::string_view name) {
  for (const ConditionType &t : condition_types())
    if (t.name == name) return &t;
  return nullptr;
}

std::string condition_type_names() {
  std::string out;
  for (const ConditionType &t : condition_types()) {
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

} // namespace rdwh::rules
