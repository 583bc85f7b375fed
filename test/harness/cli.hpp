// What rdwh-host's commands share: usage errors, reading files, option values, the plugin
// directories, and reading a config the way `handle` does (a whole Rundeck webhook export
// included).
#pragma once

#include "hostkit.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rdwh::harness {

// A command line that cannot work: rdwh-host prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The file's bytes; "-" is standard input. UsageError when it cannot be read.
std::string read_file(const std::string &path);
// The value of the option at argv[i] ("--name value"), advancing i.
std::string take_value(int argc, char **argv, int &i);
// "Name: value" as a header.
std::pair<std::string, std::string> split_header(const std::string &text);
// --key PATH=VALUE into `keys`.
void add_key(host::MemoryKeyStorage &keys, const std::string &assignment);

// The plugin directories: --plugin-dir values, else $RDWH_PLUGIN_PATH, else the installed or the
// build's plugin directory.
std::vector<std::string> plugin_dirs(const std::vector<std::string> &given);
// Scans them, printing why anything was skipped.
host::PluginSet load_plugins(const std::vector<std::string> &dirs);

// A whole Rundeck webhook ({"eventPlugin", "config", ...}) is unwrapped to its config, and
// `provider` is set from eventPlugin when empty; anything else is returned as it is.
std::string unwrap_webhook(const std::string &text, std::string &provider);

} // namespace rdwh::harness
