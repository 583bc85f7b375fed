// What a console use case did: done, with a value, or refused, with why. The API renders a
// refusal as Rundeck's JSON, the pages next to the field it names; neither reads the other's form.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rdwh::gateway {

enum class Refusal {
  invalid,     // the request is wrong: a field, the config
  not_found,   // what it names is not there (or not served now)
  conflict,    // its state does not allow it (read-only, running, changed meanwhile)
  failed,      // the plugin failed
  unavailable, // the database is not available
};

// The HTTP status the console's API and pages answer a refusal with.
inline int status_of(Refusal kind) {
  switch (kind) {
  case Refusal::invalid: return 400;
  case Refusal::not_found: return 404;
  case Refusal::conflict: return 409;
  case Refusal::failed: return 500;
  case Refusal::unavailable: return 503;
  }
  return 500;
}

struct Refused {
  Refusal kind = Refusal::invalid;
  std::string reason;      // a sentence for people
  std::string field;       // the field it is about ("" when none)
  std::string field_error; // what is wrong with that field, shown next to it ("" when only `reason` says)
  // More fields, each with what is wrong with it, when the refusal is about several.
  std::vector<std::pair<std::string, std::string>> more;
};

// The value of a use case that has none.
struct Done {};

template <class T> class Outcome {
public:
  Outcome(T value) : v_(std::move(value)) {}
  Outcome(Refused refused) : v_(std::move(refused)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T &value() const { return std::get<0>(v_); }
  const T &operator*() const { return value(); }
  const T *operator->() const { return &value(); }
  const Refused &refused() const { return std::get<1>(v_); }

private:
  std::variant<T, Refused> v_;
};

inline Refused refuse(Refusal kind, std::string reason, std::string field = "", std::string field_error = "") {
  return {kind, std::move(reason), std::move(field), std::move(field_error), {}};
}

} // namespace rdwh::gateway
