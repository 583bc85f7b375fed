// hostkit: the C++ side of an rdwh host, shared by rdwh-host (the test harness) and rdwh-gateway.
// It loads plugins through the public C ABI only (dlopen + rdwh_plugin_get_entry), as any
// third-party host would, and wraps handlers and results in RAII types.
#pragma once

#include <rdwh/rdwh.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::host {

class HostError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One loaded plugin file. Not copyable; dlclose()s on destruction, so every Handler made from it
// must be gone first.
class Plugin {
public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL) and negotiate the ABI major. Throws HostError when the
  // file cannot be loaded, lacks the entry symbol or speaks another ABI major.
  static std::unique_ptr<Plugin> load(const std::string &path);
  ~Plugin();
  Plugin(const Plugin &) = delete;
  Plugin &operator=(const Plugin &) = delete;

  const std::string &path() const { return path_; }
  const rdwh_plugin_entry_t &entry() const { return *entry_; }
  std::vector<const rdwh_provider_info_t *> providers() const;
  // The plugin's table for extension `id` (e.g. RDWH_EXT_PROVIDER_UI), or nullptr when it offers
  // none: always for a 1.0 plugin, whose entry table ends before get_extension.
  const void *extension(const char *id) const;

private:
  Plugin(std::string path, void *dl, const rdwh_plugin_entry_t *entry)
      : path_(std::move(path)), dl_(dl), entry_(entry) {}
  std::string path_;
  void *dl_;
  const rdwh_plugin_entry_t *entry_;
};

// The plugins of a search path: every shared object (*.so) in each directory that has the entry
// symbol. Anything else is skipped with a note in skipped(). Two plugins offering the same
// provider name: the second is refused (noted in skipped()).
class PluginSet {
public:
  // dirs: directories searched in order.
  static PluginSet scan(const std::vector<std::string> &dirs);
  // Directories from a colon-separated list such as RDWH_PLUGIN_PATH.
  static std::vector<std::string> split_path_list(std::string_view list);
  // Where a host finds plugins by default: $RDWH_PLUGIN_PATH when set; else, for the executable
  // still in its build tree (its directory is `build_bin_dir`), the build's `build_plugin_dir`;
  // else `installed_rel` beside the executable (<prefix>/bin/../<installed_rel>). A copied or
  // installed executable never falls back to a build directory.
  static std::vector<std::string> default_dirs(const std::string &installed_rel, const std::string &build_bin_dir,
                                               const std::string &build_plugin_dir);

  const std::vector<std::unique_ptr<Plugin>> &plugins() const { return plugins_; }
  const std::vector<std::string> &skipped() const { return skipped_; }
  // The plugin offering `provider`, with its info; nullptr when none does.
  const Plugin *find(std::string_view provider, const rdwh_provider_info_t **info = nullptr) const;

private:
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<std::string> skipped_;
};

// A file or directory the running executable ships with: `installed_rel` beside it
// (<prefix>/bin/../<installed_rel>) once installed or copied; `in_build_tree` for the executable
// still in its build tree (its directory is `build_bin_dir`). Never a build path for a copy.
std::string beside_executable(const std::string &installed_rel, const std::string &build_bin_dir,
                              const std::string &in_build_tree);

// A config diagnostic the plugin reported (rdwh_diagnostic_t, copied).
struct Diagnostic {
  rdwh_diagnostic_kind kind = 0; // RDWH_DIAGNOSTIC_*
  std::string field, rule, message, suggestion;
};

// Services a host offers the plugin (rdwh_host_t), as C++ callables. All must be thread-safe.
struct Services {
  // level: RDWH_LOG_*; never given secrets by the plugin.
  std::function<void(int level, std::string_view message)> log;
  // Returns the secret at a key-storage path, or nullopt when there is none.
  // Throw to report a storage failure.
  std::function<std::optional<std::string>(std::string_view path)> get_secret;
  // Milliseconds since the epoch; empty: the system clock.
  std::function<int64_t()> now_unix_ms;
  // Set: the host offers rdwh.host.diagnostics/1, so the plugin reports each config diagnostic
  // here (during the Handler's constructor) rather than through `log`; `lint` asks for lint's too.
  std::function<void(const Diagnostic &)> diagnostic;
  bool lint = false;
};

// A key storage held in memory (path -> value), e.g. from --key PATH=VALUE. Thread-safe to read.
struct MemoryKeyStorage {
  std::map<std::string, std::string, std::less<>> keys;
  std::optional<std::string> get(std::string_view path) const;
};

class Result;

// One handler: a provider with a compiled config. Thread-safe to handle() from many threads.
class Handler {
public:
  // Throws HostError with the plugin's message (field named) when create() fails.
  Handler(const Plugin &plugin, const std::string &provider, std::string_view config_json,
          Services services);
  ~Handler();
  Handler(const Handler &) = delete;
  Handler &operator=(const Handler &) = delete;

  struct Request {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string delivery_id, webhook_name, project, sender;
    int64_t received_unix_ms = 0;
    bool explain = false;
  };
  // Throws HostError when the call itself fails (not for a rejected delivery).
  Result handle(const Request &request) const;

private:
  static void RDWH_CALL log_trampoline(const rdwh_host_t *, rdwh_log_level, rdwh_str_t);
  static rdwh_status RDWH_CALL secret_trampoline(const rdwh_host_t *, rdwh_str_t, uint8_t *, size_t,
                                                 size_t *);
  static int64_t RDWH_CALL clock_trampoline(const rdwh_host_t *);
  static const void *RDWH_CALL extension_trampoline(const rdwh_host_t *, const char *);
  static void RDWH_CALL diagnostic_trampoline(const rdwh_host_t *, const rdwh_diagnostic_t *);

  const rdwh_plugin_entry_t *entry_;
  Services services_;
  rdwh_host_diagnostics_t diagnostics_{};
  rdwh_host_t host_{};
  rdwh_handler_t *handler_ = nullptr;
};

// A result, released through the ABI when destroyed. Move-only.
class Result {
public:
  Result(const rdwh_plugin_entry_t *entry, const rdwh_handler_t *handler, const rdwh_result_t *r)
      : entry_(entry), handler_(handler), r_(r) {}
  Result(Result &&o) noexcept : entry_(o.entry_), handler_(o.handler_), r_(o.r_) { o.r_ = nullptr; }
  Result &operator=(Result &&) = delete;
  Result(const Result &) = delete;
  ~Result();
  const rdwh_result_t &operator*() const { return *r_; }
  const rdwh_result_t *operator->() const { return r_; }

private:
  const rdwh_plugin_entry_t *entry_;
  const rdwh_handler_t *handler_;
  const rdwh_result_t *r_;
};

inline std::string_view view(rdwh_str_t s) { return s.size ? std::string_view(s.data, s.size) : std::string_view(); }

// Rundeck's Run Job answer, {"jobId": ..., "executionId": ...} (executionId a string), for a host
// that has started the run of a webhook-run-job result's job before it answers.
std::string run_job_answer(std::string_view job_id, std::string_view execution_id);

// The result as one JSON object: {"status", "verdict", "response": {"contentType","body"},
// "jobs": [{"rule","jobId","options":{},"filter"?,"asUser"?,"eventId"?}], "evaluations": [...]}
// (without "evaluations" when `evaluations` is false).
std::string result_to_json(const rdwh_result_t &result, bool pretty, bool evaluations = true);

} // namespace rdwh::host
