// The commands that do their work and exit: --check, --import, and --jobs, --requeue and
// --export, which work on the outbox beside a running gateway (they take no state directory lock).
// Each prints what it did and returns the process's exit status (0, or 1 with the reason on stderr).
#pragma once

#include <string>

namespace rdwh::gateway {

// The command line, parsed (app/main.cpp): at most one command.
struct Args {
  std::string config;
  bool check = false, file_only = false, online = false, jobs = false, requeue = false, with_tokens = false;
  std::string status, webhook, id, import, export_to;
};

// --check: loads and validates everything (plugins, rules, secrets), and refuses what the server
// only warns about; the webhooks created through the console too, with `with_database`. With
// `online`, then the preflight of every webhook's rules against Rundeck (rundeck/preflight.hpp):
// exit 1 when a job does not exist in its webhook's project or a required option is missing;
// the rest (Rundeck unreachable or slow, the token refused) are warnings.
int check(const std::string &config, bool with_database, bool online);
// --import: merges Rundeck's export into the config file.
int import_into(const std::string &config, const std::string &source, bool with_tokens);
// --jobs, --requeue, --export.
int outbox_command(const Args &args);

} // namespace rdwh::gateway
