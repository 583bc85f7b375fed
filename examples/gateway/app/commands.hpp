// The commands that do their work and exit: --check, --import, and --jobs, --requeue, --export
// and --reverify, which work on the outbox beside a running gateway (they take no state directory
// lock).
// Each prints what it did and returns the process's exit status (0, or 1 with the reason on stderr).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rdwh::gateway {

// The command line, parsed (app/main.cpp): at most one command.
struct Args {
  std::string config;
  bool check = false, file_only = false, online = false, jobs = false, requeue = false, dry_run = false,
       with_tokens = false, reverify = false;
  std::string status, webhook, id, import, export_to, since;
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
// --reverify [--webhook W] [--since T]: verifies again, with the current config and key storage,
// the stored deliveries refused for their signature; one JSON line each. 1 when one could not be
// tried (the database, the plugin) or the arguments are wrong.
int reverify(const Args &args);
// --since's T: an ISO-8601 UTC time (2026-12-05T10:00:00Z, seconds and the Z optional) or a
// duration back from `now_ms` (digits and s, m, h or d: "6h"); nullopt when it is neither.
std::optional<int64_t> since_ms(const std::string &text, int64_t now_ms);

} // namespace rdwh::gateway
