// What the plugin needs from its host, as a C++ interface: one adapter over rdwh_host_t in abi/
// and fakes in the tests.
#pragma once

#include "base/secret.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh {

// Mirrors rdwh_log_level (checked by static_asserts in abi/).
enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };

// Something about a config that does not stop it compiling: logged, or handed to a host that takes
// them as data (rdwh.host.diagnostics/1; a host's --check may refuse some kinds). Never a secret.
struct Diagnostic {
  // Mirrors RDWH_DIAGNOSTIC_* (checked by static_asserts in abi/).
  enum class Kind : int {
    unknown_key = 1,      // a key neither Rundeck nor rdwh knows (a typo?)
    rule_without_job = 2, // an enabled rule with no jobId: it can never run anything
    deprecated = 3,       // an old name (condition `matches`)
    ignored = 4,          // read but without effect (jobArgString, a repeated option, keyStoragePath
                          // on an unsigned provider, no keyStoragePath on a signed one)
    unknown_field = 5,    // lint: a path no payload of the provider has, or one Rundeck's Jayway
                          // reads otherwise than it is written (suggestion: the path meant)
    never_matches = 6,    // lint: a rule whose conditions can never all hold
  };
  Kind kind = Kind::ignored;
  std::string field;      // where: "rules[2].jobid"; empty for the whole config
  std::string rule;       // the rule's name, when it is about a rule
  std::string message;    // the whole sentence, field included, as it is logged
  std::string suggestion; // "did you mean": a key or path; empty when none
};

class Services {
public:
  virtual ~Services() = default;
  virtual void log(LogLevel level, std::string_view message) const = 0;
  // The key-storage entry at `path`; nullopt when there is none. Throws rdwh::Error
  // (Status::host_failure) when storage failed.
  virtual std::optional<Secret> secret(std::string_view path) const = 0;
  virtual int64_t now_unix_ms() const = 0;
  // Hands a config diagnostic to a host that takes them as data; false when it does not (the
  // plugin then logs the message).
  virtual bool report(const Diagnostic &) const { return false; }
  // Whether the host asks for lint diagnostics too (unknown_field, never_matches).
  virtual bool wants_lint() const { return false; }
};

} // namespace rdwh
