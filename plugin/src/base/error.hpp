// Errors of a failed call (the ABI's rdwh_status). A rejected delivery is not an error: it is a
// base::Rejection (reject.hpp). Messages never hold secrets, signatures or payload bytes.
#pragma once

#include <stdexcept>
#include <string>

namespace rdwh {

// Mirrors rdwh_status (checked by static_asserts in abi/).
enum class Status : int {
  ok = 0,
  invalid_argument = 1,
  version_mismatch = 2,
  not_found = 3,
  buffer_too_small = 4,
  no_memory = 5,
  host_failure = 6,
  internal = 7,
  invalid_config = 8,
};

class Error : public std::runtime_error {
public:
  Error(Status status, const std::string &message) : std::runtime_error(message), status_(status) {}
  Status status() const noexcept { return status_; }

private:
  Status status_;
};

// A config that cannot be compiled. `field` names where, e.g. "rules[2].conditions[0].condition".
class ConfigError : public Error {
public:
  ConfigError(const std::string &field, const std::string &message)
      : Error(Status::invalid_config, field.empty() ? message : field + ": " + message) {}
};

// A malformed JsonPath or template, reported without a field; the config reader adds the field.
class SyntaxError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace rdwh
