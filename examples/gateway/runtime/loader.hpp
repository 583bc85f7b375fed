// Builds the runtime from the config file and the webhooks table, and builds it again when either
// changes: SIGHUP (the file), a change through this gateway's console (at once), or a change by
// another gateway sharing the database (seen within a second: the table's version is polled).
#pragma once

#include "store/outbox.hpp"
#include "runtime/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rdwh::gateway {

// The webhooks created through the console's API, as the table holds them.
std::vector<WebhookConfig> api_webhooks(Outbox &outbox);

class Loader {
public:
  explicit Loader(std::string config_path);
  ~Loader() { stop(); }
  Loader(const Loader &) = delete;
  Loader &operator=(const Loader &) = delete;

  // Reads the file; with an outbox, gives its webhooks their rows (ids, uuids) and adds the
  // webhooks created through the API. Sets the log level once all is good. Throws ConfigError
  // (every problem of the file, a webhook conflict) or OutboxError.
  std::shared_ptr<const Runtime> load(Outbox *outbox);

  // From now on: keeps `current` up to date with the webhooks table (poll and rebuild()), and
  // calls `changed` after each swap. Call once, after the first load.
  void start(Outbox &outbox, CurrentRuntime &current, std::function<void()> changed);
  // The webhooks table changed (this gateway's console wrote it): rebuild now, with the file's
  // config as last loaded; only the handlers of the webhooks that changed are built again. Logs
  // and keeps the running runtime when the table cannot be read.
  void rebuild();
  // SIGHUP: load the file again (and the table) and swap it in; false (logged, old one kept) on error.
  bool reload();
  void stop();

  const std::string &path() const { return path_; }
  // The file's absolute path, for messages that tell a user where to change a webhook.
  const std::string &absolute_path() const { return absolute_; }

private:
  std::shared_ptr<const Runtime> load_locked(Outbox *outbox); // load(), mu_ held
  // `reuse`: the runtime in force, whose unchanged webhooks' handlers are kept (Runtime::build).
  std::shared_ptr<const Runtime> build_with_table(Config config, Outbox &outbox, const Runtime *reuse = nullptr);
  void watch();

  const std::string path_, absolute_;
  Outbox *outbox_ = nullptr;
  CurrentRuntime *current_ = nullptr;
  std::function<void()> changed_;
  std::mutex mu_;            // one load or rebuild at a time
  int64_t version_ = -1;     // the table's version the current runtime was built from
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread watcher_;
};

} // namespace rdwh::gateway
