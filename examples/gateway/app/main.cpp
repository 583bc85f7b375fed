// rdwh-gateway: an HTTP server PagerDuty calls, which runs Rundeck jobs through Rundeck's API and
// loses none. See README.md.
//
//   rdwh-gateway --config FILE            serve (SIGHUP reloads FILE, SIGTERM/SIGINT stop)
//   rdwh-gateway --config FILE --check    validate FILE (plugins, handlers, secrets); exit 0/1
//   rdwh-gateway --config FILE --jobs [--status S]   list the outbox's jobs as JSON lines
//   rdwh-gateway --config FILE --requeue [--status S] [--webhook NAME] [--id N]   queue jobs again
//   rdwh-gateway --config FILE --import PATH [--with-tokens]   merge Rundeck's webhooks.yaml into FILE
//   rdwh-gateway --config FILE --export PATH [--with-tokens]   write the webhooks table as webhooks.yaml
#include "config/config.hpp"
#include "console/console.hpp"
#include "dispatch/dispatcher.hpp"
#include "app/export.hpp"
#include "http/server.hpp"
#include "app/import.hpp"
#include "runtime/loader.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "store/outbox.hpp"
#include "runtime/runtime.hpp"
#include "intake/listener.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <curl/curl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

using namespace rdwh::gateway;

namespace {

constexpr const char *kUsage =
    "usage: rdwh-gateway --config FILE [--check | --jobs [--status S] |\n"
    "                    --requeue [--status S] [--webhook NAME] [--id N] |\n"
    "                    --import PATH [--with-tokens] | --export PATH [--with-tokens]]\n";

constexpr const char *kHelp = R"(usage: rdwh-gateway --config FILE [--check | --jobs [--status S] |
                    --requeue [--status S] [--webhook NAME] [--id N] |
                    --import PATH [--with-tokens] | --export PATH [--with-tokens]]

An HTTP server PagerDuty calls: POST /api/{version}/webhook/{authToken}, as Rundeck's webhook
URL. Each delivery goes to the rdwh plugin (signature, rules); the job requests it returns are
committed to a SQLite outbox before the answer, then run on Rundeck (POST /api/{v}/job/{id}/run)
with retries. Redeliveries never run a job twice.

  --config FILE     the gateway config (JSON): listen, pluginDir, stateDir, keyStorageDir,
                    rundeck {url, apiVersion, authTokenFile}, webhooks [...] in the shape of
                    Rundeck's webhook export (name, project, eventPlugin, config, enabled,
                    user, authToken). Relative paths resolve against FILE's directory.
  --check           load and validate everything (plugins, rules, secrets), print OK or every
                    problem with its field named; also refuses unknown config keys (with a "did
                    you mean") and enabled rules without a job, which the server only warns
                    about; exit 0 or 1
  --jobs            list the outbox's jobs as JSON lines (safe while the server runs)
  --requeue         put jobs back in the queue, due now, and print them as JSON lines; a
                    running gateway picks them up within a second. Without --status: the
                    refused, skipped and queued (waiting for a retry) jobs. Running jobs are
                    never requeued: their gateway holds a lease on them
  --status S        with --jobs or --requeue: queued, running, done, refused or skipped
  --webhook NAME    with --requeue: only this webhook's jobs
  --id N            with --requeue: only the job with this id (from --jobs)
  --import PATH     merge the webhooks of Rundeck's project export (webhooks.yaml, or the project
                    archive .jar/.zip holding it) into FILE: same uuid, else same project and
                    name, updates; anything else is added. FILE is rewritten atomically; run
                    --check next, and SIGHUP a running gateway to apply it
  --export PATH     write every webhook the gateway serves (the config file's and those created
                    through the console's API) as Rundeck's webhooks.yaml to PATH ("-": standard
                    output); --import it into a config file, or into a Rundeck project
  --with-tokens     with --import: keep the exported auth tokens (the Post URLs stay the same);
                    without it every webhook added gets a new token, as Rundeck's importer does;
                    with --export: include the tokens (the file is then written mode 0600)
  --version         print the version (and the rdwh ABI it speaks)
  -h, --help        this text

Routes: POST /api/{v}/webhook/{token}, GET /healthz, GET /metrics (Prometheus). With "console"
in the config, a second listener serves Rundeck's webhook API, its debug API and the console's
pages (docs/console.md).
Signals: SIGHUP reloads FILE (a bad config keeps the running one), SIGTERM/SIGINT drain and exit.
Exit status: 0 on a clean stop or a valid --check, 1 for a bad config or a failure, 2 for usage.
Reference: examples/gateway/README.md (installed: /usr/share/doc/rdwh/gateway.md).
)";

struct Args {
  std::string config;
  bool check = false, jobs = false, requeue = false, with_tokens = false;
  std::string status, webhook, id, import, export_to;
};

bool parse_args(int argc, char **argv, Args &a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("rdwh-gateway %s (rdwh ABI %d.%d.%d)\n", RDWH_VERSION, RDWH_ABI_VERSION_MAJOR, RDWH_ABI_VERSION_MINOR,
                  RDWH_ABI_VERSION_PATCH);
      std::exit(0);
    }
    auto value = [&](std::string &out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--config") {
      if (!value(a.config)) return false;
    } else if (arg == "--check") {
      a.check = true;
    } else if (arg == "--jobs") {
      a.jobs = true;
    } else if (arg == "--requeue") {
      a.requeue = true;
    } else if (arg == "--status") {
      if (!value(a.status)) return false;
    } else if (arg == "--webhook") {
      if (!value(a.webhook)) return false;
    } else if (arg == "--id") {
      if (!value(a.id) || a.id.empty() || a.id.find_first_not_of("0123456789") != std::string::npos) return false;
    } else if (arg == "--import") {
      if (!value(a.import)) return false;
    } else if (arg == "--export") {
      if (!value(a.export_to)) return false;
    } else if (arg == "--with-tokens") {
      a.with_tokens = true;
    } else {
      return false;
    }
  }
  const int modes = int(a.check) + int(a.jobs) + int(a.requeue) + int(!a.import.empty()) + int(!a.export_to.empty());
  return !a.config.empty() && modes <= 1 && (a.status.empty() || a.jobs || a.requeue) &&
         (a.webhook.empty() && a.id.empty() ? true : a.requeue) &&
         (!a.with_tokens || !a.import.empty() || !a.export_to.empty());
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int import_into(const std::string &config, const std::string &source, bool with_tokens) {
  ImportOptions options;
  options.with_tokens = with_tokens;
  try {
    const ImportReport report = import_webhooks(config, source, options);
    for (const auto &w : report.added) std::printf("added %s\n", w.c_str());
    for (const auto &w : report.updated) std::printf("updated %s\n", w.c_str());
    for (const auto &w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("%s: %zu added, %zu updated; check it with: rdwh-gateway --config %s --check\n", config.c_str(),
                report.added.size(), report.updated.size(), config.c_str());
    return 0;
  } catch (const ImportError &e) {
    std::fprintf(stderr, "rdwh-gateway: import failed, %s is unchanged\n%s\n", config.c_str(), e.what());
    return 1;
  }
}

int check(const std::string &path) {
  try {
    Loader loader(path);
    auto rt = loader.load(nullptr);
    if (const std::vector<std::string> refusals = rt->check_refusals(); !refusals.empty()) {
      std::fprintf(stderr, "%s: invalid config\n", path.c_str());
      for (const std::string &r : refusals) std::fprintf(stderr, "%s\n", r.c_str());
      return 1;
    }
    std::printf("%s: OK (%zu webhooks)\n", path.c_str(), rt->config().webhooks.size());
    return 0;
  } catch (const ConfigError &e) {
    std::fprintf(stderr, "%s: invalid config\n%s\n", path.c_str(), e.what());
    return 1;
  }
}

void print_job(const OutboxJob &j) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("id"), w.Int64(j.id);
  w.Key("webhook"), w.String(j.webhook_name);
  w.Key("project"), w.String(j.project);
  w.Key("deliveryKey"), w.String(j.delivery_key);
  w.Key("ruleKey"), w.String(j.rule_key);
  w.Key("rule"), w.String(j.rule);
  w.Key("eventId"), w.String(j.event_id);
  w.Key("resourceId"), w.String(j.resource_id);
  w.Key("eventTimeMs"), w.Int64(j.event_time_ms);
  w.Key("jobId"), w.String(j.job_id);
  w.Key("request"), w.RawValue(j.request_json.data(), j.request_json.size(), rapidjson::kObjectType);
  w.Key("status"), w.String(j.status);
  w.Key("uncertain"), w.Bool(j.uncertain);
  w.Key("attempts"), w.Int64(j.attempts);
  w.Key("executionId"), w.String(j.execution_id);
  w.Key("httpStatus"), w.Int64(j.http_status);
  w.Key("reason"), w.String(j.reason);
  w.Key("owner"), w.String(j.owner);
  w.Key("leaseUntilMs"), w.Int64(j.lease_until_ms);
  w.Key("sentMs"), w.Int64(j.sent_ms);
  w.Key("nextAttemptMs"), w.Int64(j.next_attempt_ms);
  w.Key("createdMs"), w.Int64(j.created_ms);
  w.Key("updatedMs"), w.Int64(j.updated_ms);
  w.EndObject();
  std::printf("%s\n", buf.GetString());
}

// --export: the webhooks table as webhooks.yaml, written whole (a temporary file renamed).
void export_to(Outbox &outbox, const std::string &path, bool with_tokens) {
  const std::string yaml = webhooks_yaml(outbox.webhooks().list(""), with_tokens);
  if (path == "-") {
    std::fputs(yaml.c_str(), stdout);
    return;
  }
  const std::string tmp = path + ".tmp";
  {
    std::FILE *f = std::fopen(tmp.c_str(), "w");
    if (!f) throw std::runtime_error(tmp + ": " + std::strerror(errno));
    if (with_tokens) std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const bool ok = std::fwrite(yaml.data(), 1, yaml.size(), f) == yaml.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error(tmp + ": cannot write");
  }
  std::filesystem::rename(tmp, path);
  std::fprintf(stderr, "rdwh-gateway: wrote %s\n", path.c_str());
}

// --jobs, --requeue and --export: work on the outbox beside a running gateway (no state directory lock).
int outbox_command(const Args &a) {
  try {
    const Config c = load_config(a.config);
    std::unique_ptr<Outbox> outbox = open_outbox(c);
    if (!a.export_to.empty()) {
      export_to(*outbox, a.export_to, a.with_tokens);
      return 0;
    }
    if (a.jobs) {
      for (const OutboxJob &j : outbox->list(a.status)) print_job(j);
      return 0;
    }
    RequeueFilter f;
    f.status = a.status;
    f.webhook = a.webhook;
    f.id = a.id.empty() ? 0 : std::stoll(a.id);
    const std::vector<OutboxJob> jobs = outbox->requeue(f, now_ms());
    for (const OutboxJob &j : jobs) print_job(j);
    std::fprintf(stderr, "rdwh-gateway: requeued %zu job(s)\n", jobs.size());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "rdwh-gateway: %s\n", e.what());
    return 1;
  }
}

// SIGHUP: the file again (and the webhooks table); a bad one keeps the running config.
void reload(Loader &loader, CurrentRuntime &current, HttpServer &server, Dispatcher &dispatcher, Metrics &metrics) {
  const std::shared_ptr<const Runtime> old = current.get();
  if (!loader.reload()) {
    metrics.config_reload(false);
    return;
  }
  const Config &old_cfg = old->config();
  const Config &new_cfg = current.get()->config();
  const auto &a = old_cfg.http, &b = new_cfg.http;
  const auto &ca = old_cfg.console, &cb = new_cfg.console;
  if (a.listen.host != b.listen.host || a.listen.port != b.listen.port || a.threads != b.threads ||
      a.connection_timeout_s != b.connection_timeout_s || a.max_connections != b.max_connections ||
      a.max_connections_per_ip != b.max_connections_per_ip || a.header_timeout_s != b.header_timeout_s ||
      a.body_timeout_s != b.body_timeout_s || old_cfg.state_dir != new_cfg.state_dir ||
      old_cfg.outbox.postgresql != new_cfg.outbox.postgresql ||
      old_cfg.rundeck.max_concurrent_calls != new_cfg.rundeck.max_concurrent_calls || ca.enabled != cb.enabled ||
      ca.http.listen.host != cb.http.listen.host || ca.http.listen.port != cb.http.listen.port)
    log::warn("listen, http threads/timeouts/connections, stateDir, outbox.postgresql, "
              "rundeck.maxConcurrentCalls and console.listen changes take effect at the next restart");
  server.set_max_body(b.max_body_bytes);
  dispatcher.notify_reloaded();
  metrics.config_reload(true);
  log::info("config reloaded", {{"config", loader.path()}, {"webhooks", new_cfg.webhooks.size()}});
}

int serve(const std::string &path) {
  // Signals are taken synchronously by this thread (sigwait): block them before any thread
  // starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Config cfg; // the parts that only a restart changes
  try {
    cfg = load_config(path);
  } catch (const ConfigError &e) {
    log::error("invalid config; not starting", {{"config", path}, {"error", e.what()}});
    return 1;
  }

  std::unique_ptr<Outbox> outbox;
  try {
    // The outbox holds incident data: a state directory made here is for its owner only.
    if (std::filesystem::create_directories(cfg.state_dir))
      std::filesystem::permissions(cfg.state_dir, std::filesystem::perms::owner_all);
    outbox = open_outbox(cfg, OpenFor::serve); // with SQLite, also the state directory's lock
  } catch (const std::exception &e) {
    log::error("cannot open the outbox; not starting", {{"stateDir", cfg.state_dir}, {"error", e.what()}});
    return 1;
  }

  Loader loader(path);
  std::shared_ptr<const Runtime> first;
  try {
    first = loader.load(outbox.get());
  } catch (const std::exception &e) {
    log::error("invalid config; not starting", {{"config", path}, {"error", e.what()}});
    return 1;
  }
  cfg = first->config();
  CurrentRuntime current(std::move(first));
  Metrics metrics;

  // An exclusive outbox (SQLite's locked state directory) proves every other owner of a running
  // job dead: take them over now.
  Dispatcher dispatcher(*outbox, metrics, current, make_owner_id(), outbox->exclusive());
  outbox->on_wakeup([&dispatcher] { dispatcher.notify(); });
  // The delivery store's background writer (deliveries without jobs); it writes what is left when
  // it goes, after the HTTP servers have stopped.
  std::unique_ptr<DeliveryRecorder> recorder;
  if (cfg.console.enabled) recorder = std::make_unique<DeliveryRecorder>(*outbox, metrics);
  Service service(current, *outbox, metrics, [&dispatcher] { dispatcher.notify(); },
                  [&dispatcher] { return dispatcher.degraded_reason(); }, recorder.get());
  loader.start(*outbox, current, [&dispatcher] { dispatcher.notify(); });
  std::unique_ptr<HttpServer> server, console_server;
  std::unique_ptr<Console> console;
  try {
    server = std::make_unique<HttpServer>(cfg.http, [&service](const HttpRequest &r) { return service.handle(r); });
    if (cfg.console.enabled) {
      console = std::make_unique<Console>(current, *outbox, loader, [&dispatcher] { dispatcher.notify(); });
      console->webhooks().set_listener_port(server->port());
      console_server = std::make_unique<HttpServer>(cfg.console.http,
                                                    [&console](const HttpRequest &r) { return console->handle(r); });
    }
  } catch (const std::exception &e) {
    log::error("cannot start the HTTP server", {{"error", e.what()}});
    return 1;
  }
  dispatcher.start();
  log::info("listening", {{"host", cfg.http.listen.host}, {"port", server->port()}, {"webhooks", cfg.webhooks.size()},
                          {"outbox", outbox->describe()}});
  if (console_server)
    log::info("console listening", {{"host", cfg.console.http.listen.host}, {"port", console_server->port()},
                                    {"deliveryStore", cfg.console.deliveries.enabled}});

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reload(loader, current, *server, dispatcher, metrics);
      continue;
    }
    log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  // Stop taking deliveries first (answering those in flight, up to shutdownGraceSeconds), then
  // the dispatcher: calls in flight are cut off and queued again for reconciliation (about two
  // seconds at most). Queued jobs stay in the outbox for the next start or another gateway.
  if (console_server) console_server->stop(std::chrono::seconds(1));
  server->stop(std::chrono::seconds(cfg.http.shutdown_grace_s));
  if (recorder) recorder->flush();
  loader.stop();
  dispatcher.stop();
  outbox->on_wakeup(nullptr);
  log::info("stopped");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (args.check) return check(args.config);
  if (args.jobs || args.requeue || !args.export_to.empty()) return outbox_command(args);
  if (!args.import.empty()) return import_into(args.config, args.import, args.with_tokens);
  curl_global_init(CURL_GLOBAL_DEFAULT); // before any thread starts
  const int rc = serve(args.config);
  curl_global_cleanup();
  return rc;
}
