// rdwh-gateway: an HTTP server PagerDuty calls, which runs Rundeck jobs through Rundeck's API and
// loses none. See README.md.
//
//   rdwh-gateway --config FILE            serve (SIGHUP reloads FILE, SIGTERM/SIGINT stop)
//   rdwh-gateway --config FILE --check [--file-only] [--online]   validate FILE and the console's webhooks; exit 0/1
//   rdwh-gateway --config FILE --jobs [--status S]   list the outbox's jobs as JSON lines
//   rdwh-gateway --config FILE --requeue [--status S] [--webhook NAME] [--id N] [--dry-run]   queue jobs again
//   rdwh-gateway --config FILE --import PATH [--with-tokens]   merge Rundeck's webhooks.yaml into FILE
//   rdwh-gateway --config FILE --export PATH [--with-tokens]   write the webhooks table as webhooks.yaml
//   rdwh-gateway --config FILE --reverify [--webhook NAME] [--since T]   verify refused deliveries again
#include "app/commands.hpp"
#include "app/serve.hpp"

#include <rdwh/rdwh.h>

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>

using namespace rdwh::gateway;

namespace {

constexpr const char *kUsage =
    "usage: rdwh-gateway --config FILE [--check [--file-only] [--online] | --jobs [--status S] |\n"
    "                    --requeue [--status S] [--webhook NAME] [--id N] [--dry-run] |\n"
    "                    --import PATH [--with-tokens] | --export PATH [--with-tokens] |\n"
    "                    --reverify [--webhook NAME] [--since T]]\n";

constexpr const char *kHelp = R"(usage: rdwh-gateway --config FILE [--check [--file-only] [--online] | --jobs [--status S] |
                    --requeue [--status S] [--webhook NAME] [--id N] [--dry-run] |
                    --import PATH [--with-tokens] | --export PATH [--with-tokens] |
                    --reverify [--webhook NAME] [--since T]]

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
                    you mean"), enabled rules without a job and a V3 webhook without
                    keyStoragePath, which the server only warns about; checks the webhooks
                    created through the console (in the outbox's database) too; exit 0 or 1
  --file-only       with --check: check FILE alone, not the database's webhooks (the systemd
                    unit's ExecStartPre: a webhook saved through the console never keeps the
                    gateway from starting; the gateway logs its findings)
  --online          with --check: then ask Rundeck (rundeck.url, with the gateway's API token)
                    about each enabled rule whose jobId is written out: the job exists in the
                    webhook's project, and every option it requires without a default value is
                    among the rule's jobOptions; exit 1 when not. Rundeck unreachable or slow, a
                    token it refuses: warnings (exit 0). Not checked: whether the token's user
                    may run the job as the rule's user (runAs)
  --jobs            list the outbox's jobs as JSON lines (safe while the server runs)
  --requeue         put jobs back in the queue, due now, and print them as JSON lines; a
                    running gateway picks them up within a second. Without --status: the
                    refused and queued (waiting for a retry) jobs; skipped jobs (older than
                    maxEventAge when they arrived) only with --status skipped. Running jobs
                    are never requeued: their gateway holds a lease on them
  --status S        with --jobs or --requeue: queued, running, done, refused or skipped
  --webhook NAME    with --requeue: only this webhook's jobs; with --reverify: only this
                    webhook's deliveries
  --id N            with --requeue: only the job with this id (from --jobs)
  --dry-run         with --requeue: print the jobs it would requeue as JSON lines, change nothing
  --import PATH     merge the webhooks of Rundeck's project export (webhooks.yaml, or the project
                    archive .jar/.zip holding it) into FILE: same uuid, else same project and
                    name, updates; anything else is added. The export is read within limits
                    (16 MiB, 250000 nodes, 64 levels); the merged config must pass --check
                    before FILE is rewritten (atomically, through a symbolic link); SIGHUP a
                    running gateway to apply it
  --export PATH     write every webhook the gateway serves (the config file's and those created
                    through the console's API) as Rundeck's webhooks.yaml to PATH ("-": standard
                    output); --import it into a config file, or into a Rundeck project
  --reverify        verify again the stored deliveries refused for their signature (the wrong
                    secret in key storage: PagerDuty does not retry a 4xx), with FILE's config
                    and the secret key storage holds now; one that verifies now runs what it
                    matches, as intake would (jobs with the same identities: a redelivery or a
                    second --reverify never runs a job twice) and is recorded as a new delivery
                    linked to it. One JSON line per delivery: id, webhook, result (verified with
                    the new delivery and the jobs queued, verified_before, still_refused or
                    cannot_verify with the reason, failed). Safe while the server runs; exit 1
                    when one failed (the database, the plugin)
  --since T         with --reverify: only deliveries received since T, an ISO-8601 UTC time
                    (2026-12-05T10:00:00Z) or a duration back from now (90m, 6h, 2d)
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

bool valid(const Args &a);

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
    static const std::pair<const char *, bool Args::*> switches[] = {
        {"--check", &Args::check},       {"--file-only", &Args::file_only}, {"--online", &Args::online},
        {"--jobs", &Args::jobs},         {"--requeue", &Args::requeue},     {"--dry-run", &Args::dry_run},
        {"--reverify", &Args::reverify}, {"--with-tokens", &Args::with_tokens}};
    static const std::pair<const char *, std::string Args::*> options[] = {
        {"--config", &Args::config}, {"--status", &Args::status},    {"--webhook", &Args::webhook},
        {"--import", &Args::import}, {"--export", &Args::export_to}, {"--since", &Args::since}};
    const auto is = [&](const auto &entry) { return arg == entry.first; };
    if (const auto *sw = std::find_if(std::begin(switches), std::end(switches), is); sw != std::end(switches)) {
      a.*(sw->second) = true;
    } else if (const auto *opt = std::find_if(std::begin(options), std::end(options), is); opt != std::end(options)) {
      if (!value(a.*(opt->second))) return false;
    } else if (arg == "--id") {
      if (!value(a.id) || a.id.empty() || a.id.find_first_not_of("0123456789") != std::string::npos) return false;
    } else {
      return false;
    }
  }
  return valid(a);
}

// At most one command, and only the options it takes.
bool valid(const Args &a) {
  const int modes = int(a.check) + int(a.jobs) + int(a.requeue) + int(!a.import.empty()) + int(!a.export_to.empty()) +
                    int(a.reverify);
  return !a.config.empty() && modes <= 1 && (a.status.empty() || a.jobs || a.requeue) &&
         (a.id.empty() || a.requeue) && (a.webhook.empty() || a.requeue || a.reverify) &&
         (a.since.empty() || a.reverify) && (!a.dry_run || a.requeue) &&
         (!a.with_tokens || !a.import.empty() || !a.export_to.empty()) && (!a.file_only || a.check) &&
         (!a.online || a.check);
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (args.check) {
    curl_global_init(CURL_GLOBAL_DEFAULT); // --online asks Rundeck
    const int rc = check(args.config, !args.file_only, args.online);
    curl_global_cleanup();
    return rc;
  }
  if (args.jobs || args.requeue || !args.export_to.empty()) return outbox_command(args);
  if (args.reverify) return reverify(args);
  if (!args.import.empty()) return import_into(args.config, args.import, args.with_tokens);
  curl_global_init(CURL_GLOBAL_DEFAULT); // before any thread starts
  const int rc = serve(args.config);
  curl_global_cleanup();
  return rc;
}
