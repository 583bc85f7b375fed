// rdwh-host's `test` and `lint` commands (test_cmd.cpp, lint_cmd.cpp); main.cpp dispatches.
//
// rdwh-host test --config C --dir D [--expect E [--update]] [--provider P] [--key PATH=VALUE]... [--json]
//   Every *.json delivery of D through the config, every rule's outcome: a matrix (fired, no match,
//   not run, disabled) and the reasons (the condition that failed and what it received, the value
//   that could not render). With --json, the runs in the expectations format instead. With
//   --expect E, a golden test: E says per delivery its status, the rules that fire (exactly, in
//   order) and their jobs (job id, options exactly); --update writes E from this run.
//   A config with a keyStoragePath filled by --key gets each delivery signed as PagerDuty would.
//   Exit: 0 every expectation holds (or none given), 3 some does not, 1 the config or the plugin
//   failed, 2 usage.
//
// rdwh-host lint --config C [--provider P] [--dir D] [--key PATH=VALUE]...
//   One finding a line: what the plugin reports about the config (unknown keys, jobless rules,
//   paths no payload of the provider has, with a "did you mean", rules that can never match),
//   then the options that render empty or null (or not at all) on the sample deliveries in D
//   (default: the samples installed with rdwh, examples/deliveries) where each rule fires (all of
//   them when it fires on none). Key storage answers every path with a placeholder unless --key
//   gives it. Exit: 0 nothing found, 3 findings, 1 the config or the plugin failed, 2 usage.
#pragma once

#include <string>
#include <vector>

namespace rdwh::harness {

int run_test(const std::vector<std::string> &plugin_dirs, int argc, char **argv);
int run_lint(const std::vector<std::string> &plugin_dirs, int argc, char **argv);
// Where lint finds sample deliveries by default.
std::string default_samples_dir();

} // namespace rdwh::harness
