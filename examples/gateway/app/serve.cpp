#include "app/serve.hpp"

#include "config/config.hpp"
#include "console/console.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/follower.hpp"
#include "dispatch/note_sender.hpp"
#include "http/server.hpp"
#include "intake/listener.hpp"
#include "intake/recorder.hpp"
#include "runtime/loader.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "store/outbox.hpp"
#include "runtime/runtime.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <pthread.h>

namespace rdwh::gateway {

namespace {

// The running gateway's parts, declared in the order they are built: destroyed in reverse.
struct Gateway {
  explicit Gateway(const std::string &path) : loader(path) {}
  Config cfg; // the parts that only a restart changes
  std::unique_ptr<Outbox> outbox;
  Loader loader;
  std::unique_ptr<CurrentRuntime> current;
  Metrics metrics;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Follower> follower;
  std::unique_ptr<NoteSender> notes;
  std::unique_ptr<DeliveryRecorder> recorder;
  std::unique_ptr<Service> service;
  std::unique_ptr<HttpServer> server, console_server;
  std::unique_ptr<Console> console;
};

// Signals are taken synchronously by the serving thread (sigwait): blocked before any thread
// starts so every thread inherits the mask.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

// The config file, the state directory and the outbox (with SQLite, its lock), then the runtime.
bool open_store(Gateway &g, const std::string &path) {
  try {
    g.cfg = load_config(path);
  } catch (const ConfigError &e) {
    log::error("invalid config; not starting", {{"config", path}, {"error", e.what()}});
    return false;
  }
  const Config &cfg = g.cfg;
  try {
    // The outbox holds incident data: a state directory made here is for its owner only.
    if (std::filesystem::create_directories(cfg.state_dir))
      std::filesystem::permissions(cfg.state_dir, std::filesystem::perms::owner_all);
    g.outbox = open_outbox(cfg, OpenFor::serve); // with SQLite, also the state directory's lock
  } catch (const std::exception &e) {
    log::error("cannot open the outbox; not starting", {{"stateDir", cfg.state_dir}, {"error", e.what()}});
    return false;
  }
  std::shared_ptr<const Runtime> first;
  try {
    first = g.loader.load(g.outbox.get());
  } catch (const std::exception &e) {
    log::error("invalid config; not starting", {{"config", path}, {"error", e.what()}});
    return false;
  }
  g.cfg = first->config();
  g.current = std::make_unique<CurrentRuntime>(std::move(first));
  return true;
}

// The dispatcher, the delivery store's writer, the listener and the console, wired together.
bool build_parts(Gateway &g) {
  const Config &cfg = g.cfg;
  Outbox &outbox = *g.outbox;
  CurrentRuntime &current = *g.current;
  // An exclusive outbox (SQLite's locked state directory) proves every other owner of a running
  // job dead: take them over now.
  const std::string owner = make_owner_id();
  g.dispatcher = std::make_unique<Dispatcher>(outbox, g.metrics, current, owner, outbox.exclusive());
  g.follower = std::make_unique<Follower>(outbox, g.metrics, current, owner, outbox.exclusive());
  g.notes = std::make_unique<NoteSender>(outbox, g.metrics, current, owner, outbox.exclusive());
  Dispatcher &dispatcher = *g.dispatcher;
  outbox.on_wakeup([&dispatcher] { dispatcher.notify(); });
  // The delivery store's background writer (deliveries without jobs); it writes what is left when
  // it goes, after the HTTP servers have stopped.
  // Made even with the console off: it keeps the store within its bounds (old rows purged).
  g.recorder = std::make_unique<DeliveryRecorder>(
      outbox, g.metrics, [&current] { return current.get()->config().console.deliveries; });
  g.service = std::make_unique<Service>(current, outbox, g.metrics, [&dispatcher] { dispatcher.notify(); },
                                        [&dispatcher] { return dispatcher.degraded_reason(); }, g.recorder.get());
  g.loader.start(outbox, current, [&dispatcher] { dispatcher.notify(); });
  try {
    Service &service = *g.service;
    g.server = std::make_unique<HttpServer>(cfg.http, [&service](const HttpRequest &r) { return service.handle(r); });
    if (cfg.console.enabled) {
      g.console = std::make_unique<Console>(current, outbox, g.loader, [&dispatcher] { dispatcher.notify(); });
      g.console->webhooks().set_listener_port(g.server->port());
      Console &console = *g.console;
      g.console_server = std::make_unique<HttpServer>(cfg.console.http,
                                                      [&console](const HttpRequest &r) { return console.handle(r); });
      console.set_port(g.console_server->port());
    }
  } catch (const std::exception &e) {
    log::error("cannot start the HTTP server", {{"error", e.what()}});
    return false;
  }
  return true;
}

// Whether a reload changed what only a restart applies.
bool needs_restart(const Config &old_cfg, const Config &new_cfg) {
  const auto &a = old_cfg.http, &b = new_cfg.http;
  const auto &ca = old_cfg.console, &cb = new_cfg.console;
  return a.listen.host != b.listen.host || a.listen.port != b.listen.port || a.threads != b.threads ||
         a.connection_timeout_s != b.connection_timeout_s || a.max_connections != b.max_connections ||
         a.max_connections_per_ip != b.max_connections_per_ip || a.header_timeout_s != b.header_timeout_s ||
         a.body_timeout_s != b.body_timeout_s || old_cfg.state_dir != new_cfg.state_dir ||
         old_cfg.outbox.postgresql != new_cfg.outbox.postgresql ||
         old_cfg.rundeck.max_concurrent_calls != new_cfg.rundeck.max_concurrent_calls || ca.enabled != cb.enabled ||
         ca.http.listen.host != cb.http.listen.host || ca.http.listen.port != cb.http.listen.port;
}

// SIGHUP: the file again (and the webhooks table); a bad one keeps the running config.
void reload(Gateway &g) {
  const std::shared_ptr<const Runtime> old = g.current->get();
  if (!g.loader.reload()) {
    g.metrics.config_reload(false);
    return;
  }
  const Config &new_cfg = g.current->get()->config();
  if (needs_restart(old->config(), new_cfg))
    log::warn("listen, http threads/timeouts/connections, stateDir, outbox.postgresql, "
              "rundeck.maxConcurrentCalls and console.listen changes take effect at the next restart");
  g.server->set_max_body(new_cfg.http.max_body_bytes);
  g.dispatcher->notify_reloaded();
  g.metrics.config_reload(true);
  log::info("config reloaded", {{"config", g.loader.path()}, {"webhooks", new_cfg.webhooks.size()}});
}

// Serves until SIGTERM or SIGINT, reloading on SIGHUP.
void run_until_stopped(Gateway &g, const sigset_t &signals) {
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reload(g);
      continue;
    }
    log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
}

// Stop taking deliveries first (answering those in flight, up to shutdownGraceSeconds), then
// the dispatcher: calls in flight are cut off and queued again for reconciliation (about two
// seconds at most). Queued jobs stay in the outbox for the next start or another gateway.
void stop(Gateway &g) {
  if (g.console_server) g.console_server->stop(std::chrono::seconds(1));
  g.server->stop(std::chrono::seconds(g.cfg.http.shutdown_grace_s));
  if (g.recorder) g.recorder->flush();
  g.loader.stop();
  g.notes->stop();
  g.follower->stop();
  g.dispatcher->stop();
  g.outbox->on_wakeup(nullptr);
}

} // namespace

int serve(const std::string &path) {
  const sigset_t signals = block_signals();
  Gateway g(path);
  if (!open_store(g, path) || !build_parts(g)) return 1;
  g.dispatcher->start();
  g.follower->start();
  g.notes->start();
  const Config &cfg = g.cfg;
  log::info("listening", {{"host", cfg.http.listen.host}, {"port", g.server->port()}, {"webhooks", cfg.webhooks.size()},
                          {"outbox", g.outbox->describe()}});
  if (g.console_server)
    log::info("console listening", {{"host", cfg.console.http.listen.host}, {"port", g.console_server->port()},
                                    {"deliveryStore", cfg.console.deliveries.enabled}});
  run_until_stopped(g, signals);
  stop(g);
  log::info("stopped");
  return 0;
}

} // namespace rdwh::gateway
