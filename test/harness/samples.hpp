// What `rdwh-host test` and `rdwh-host lint` share: a directory of deliveries, a webhook config
// read as `handle` reads it, and each rule's outcome on a delivery read from the explanation.
#pragma once

#include "hostkit.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace rdwh::harness {

// One delivery body from a directory (its file name and bytes).
struct Sample {
  std::string name;
  std::string body;
};
// Every *.json file of `dir`, sorted by name. UsageError when `dir` cannot be read.
std::vector<Sample> read_samples(const std::string &dir);

// The options `test` and `lint` both take: --provider, --config, --dir and --key PATH=VALUE.
struct SampleOptions {
  std::string provider, config_file, dir;
  host::MemoryKeyStorage keys;
};
// Takes argv[i] into `o` when it is one of those options (advancing i past its value); false
// when it is not.
bool take_sample_option(int argc, char **argv, int &i, SampleOptions &o);

// A webhook config as given: --config FILE (a config or a whole Rundeck webhook export) and
// --provider (or the export's eventPlugin).
struct Webhook {
  std::string provider;
  std::string config;
};
Webhook read_webhook(const std::string &config_file, std::string provider);

// How one rule came out on one delivery, from the result and its explanation.
struct RuleOutcome {
  std::string rule;
  enum class Kind { fired, not_matched, not_run, disabled } kind = Kind::not_matched;
  std::string reason;                                        // why it did not fire or not run
  std::string job_id;                                        // fired
  std::vector<std::pair<std::string, std::string>> options;  // fired
};
const char *kind_name(RuleOutcome::Kind kind);

// Every rule's outcome on the delivery `result` answered (for its first event); the jobs come
// from result.jobs, the reasons from its explanation.
std::vector<RuleOutcome> rule_outcomes(const rdwh_result_t &result);

} // namespace rdwh::harness
