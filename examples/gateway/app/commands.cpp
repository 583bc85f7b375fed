#include "app/commands.hpp"

#include "base/clock.hpp"
#include "app/export.hpp"
#include "app/import.hpp"
#include "config/config.hpp"
#include "console/admin/deliveries.hpp"
#include "rundeck/preflight.hpp"
#include "runtime/loader.hpp"
#include "store/outbox.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace rdwh::gateway {

namespace {

void print_job(const OutboxJob &j, const NoteRow *note) {
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
  // Its execution, followed to its end ("" when not followed).
  w.Key("executionStatus"), w.String(j.execution_status);
  w.Key("permalink"), w.String(j.permalink);
  w.Key("dateEnded"), w.Int64(j.execution_ended_ms);
  w.Key("durationMs"), w.Int64(j.execution_duration_ms);
  w.Key("executionReason"), w.String(j.execution_reason);
  w.Key("nextPollMs"), w.Int64(j.follow_next_ms);
  // Its note on the PagerDuty incident ("" when none is asked for): waiting, sending, posted,
  // stopped or skipped, and why.
  w.Key("noteStatus"), w.String(note ? note->status : "");
  w.Key("noteReason"), w.String(note ? note->reason : "");
  w.EndObject();
  std::printf("%s\n", buf.GetString());
}

void print_jobs(Outbox &outbox, const std::vector<OutboxJob> &jobs) {
  std::vector<int64_t> ids;
  for (const OutboxJob &j : jobs) ids.push_back(j.id);
  const std::map<int64_t, NoteRow> notes = outbox.job_notes(ids);
  for (const OutboxJob &j : jobs) {
    const auto note = notes.find(j.id);
    print_job(j, note == notes.end() ? nullptr : &note->second);
  }
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

// --check --online: every webhook's preflight against Rundeck, printed to stderr; the number of
// findings that fail the check. Once Rundeck does not answer, the other webhooks are not asked.
size_t preflight_all(const Runtime &rt, const std::vector<WebhookConfig> &stored) {
  static const std::atomic<bool> never{false};
  const RundeckSettings &settings = rt.config().rundeck;
  std::vector<const WebhookConfig *> hooks;
  for (const WebhookConfig &w : rt.config().webhooks) hooks.push_back(&w);
  for (const WebhookConfig &w : stored) hooks.push_back(&w);
  size_t failed = 0;
  for (const WebhookConfig *w : hooks) {
    const PreflightResult r =
        preflight_rules(settings, rt.rundeck_token(), w->project, w->config_json, settings.request_timeout_ms, never);
    for (const PreflightFinding &f : r.findings) {
      const std::string where = finding_place(w->name, f.rule);
      std::fprintf(stderr, "%s%s (%s): %s\n", f.fails_check ? "" : "warning: ", w->field("config").c_str(),
                   where.c_str(), f.message.c_str());
      failed += f.fails_check;
    }
    if (!r.rundeck_answered) break;
  }
  return failed;
}

} // namespace

int import_into(const std::string &config, const std::string &source, bool with_tokens) {
  ImportOptions options;
  options.with_tokens = with_tokens;
  try {
    const ImportReport report = import_webhooks(config, source, options);
    for (const auto &w : report.added) std::printf("added %s\n", w.c_str());
    for (const auto &w : report.updated) std::printf("updated %s\n", w.c_str());
    for (const auto &w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("%s: %zu added, %zu updated; it passes --check\n", config.c_str(), report.added.size(),
                report.updated.size());
    return 0;
  } catch (const std::exception &e) { // ImportError, and anything else (out of memory): the file is untouched
    std::fprintf(stderr, "rdwh-gateway: import failed, %s is unchanged\n%s\n", config.c_str(), e.what());
    return 1;
  }
}

// The webhooks created through the console's API, from the database the config names (written
// nowhere: --check changes nothing); none when the gateway never started. A database that cannot
// be read is said on stderr: its webhooks are then not checked.
std::vector<WebhookConfig> database_webhooks(const Config &config) {
  try {
    std::unique_ptr<Outbox> outbox = open_outbox(config, OpenFor::check);
    return outbox ? api_webhooks(*outbox) : std::vector<WebhookConfig>{};
  } catch (const std::exception &e) {
    std::fprintf(stderr, "warning: the webhooks in the database were not checked: %s\n", e.what());
    return {};
  }
}

int check(const std::string &path, bool with_database, bool online) {
  try {
    Config config = load_config(path);
    const std::vector<WebhookConfig> stored = with_database ? database_webhooks(config) : std::vector<WebhookConfig>{};
    auto rt = Runtime::build(std::move(config), stored);
    if (const std::vector<std::string> refusals = rt->check_refusals(); !refusals.empty()) {
      std::fprintf(stderr, "%s: invalid config\n", path.c_str());
      for (const std::string &r : refusals) std::fprintf(stderr, "%s\n", r.c_str());
      return 1;
    }
    if (online) {
      if (const size_t failed = preflight_all(*rt, stored)) {
        std::fprintf(stderr, "%s: %zu problem(s) found in Rundeck: a job that does not exist in its webhook's project, "
                             "or a required option no action sets\n",
                     path.c_str(), failed);
        return 1;
      }
    }
    if (with_database)
      std::printf("%s: OK (%zu webhooks, %zu more from the console in the database)\n", path.c_str(),
                  rt->config().webhooks.size(), stored.size());
    else
      std::printf("%s: OK (%zu webhooks; the database's not checked)\n", path.c_str(), rt->config().webhooks.size());
    return 0;
  } catch (const ConfigError &e) {
    std::fprintf(stderr, "%s: invalid config\n%s\n", path.c_str(), e.what());
    return 1;
  }
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
      print_jobs(*outbox, outbox->list(a.status));
      return 0;
    }
    RequeueFilter f;
    f.status = a.status;
    f.webhook = a.webhook;
    if (!a.id.empty()) f.ids = {std::stoll(a.id)};
    f.dry_run = a.dry_run;
    const std::vector<OutboxJob> jobs = outbox->requeue(f, outbox->clock_ms());
    print_jobs(*outbox, jobs);
    std::fprintf(stderr, a.dry_run ? "rdwh-gateway: would requeue %zu job(s); nothing changed (--dry-run)\n"
                                   : "rdwh-gateway: requeued %zu job(s)\n",
                 jobs.size());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "rdwh-gateway: %s\n", e.what());
    return 1;
  }
}

std::optional<int64_t> since_ms(const std::string &t, int64_t now) {
  const auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (t.size() >= 2 && digits(std::string_view(t).substr(0, t.size() - 1))) {
    const int64_t n = std::stoll(t.substr(0, t.size() - 1));
    switch (t.back()) {
    case 's': return now - n * 1000;
    case 'm': return now - n * 60000;
    case 'h': return now - n * 3600000;
    case 'd': return now - n * 86400000;
    default: return std::nullopt;
    }
  }
  // YYYY-MM-DDTHH:MM[:SS][Z] (or a space for the T), UTC.
  std::string s = t;
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  const auto at = parse_utc(s);
  if (!at) return std::nullopt;
  return at->first;
}

namespace {

// A refusal that is the delivery's (its body cut, its webhook gone or broken), not a failure of
// the command (the database, the plugin).
bool cannot_verify(const Refused &r) { return r.kind != Refusal::failed && r.kind != Refusal::unavailable; }

void print_reverify(const DeliveryRecord &d, const Outcome<Reverify> &r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("id"), w.Int64(d.id);
  w.Key("webhook"), w.String(d.webhook_name);
  w.Key("project"), w.String(d.project);
  w.Key("deliveryId"), w.String(d.delivery_id);
  if (!r) {
    w.Key("result"), w.String(cannot_verify(r.refused()) ? "cannot_verify" : "failed");
    w.Key("reason"), w.String(r.refused().reason);
  } else if (const Reverify &v = r.value(); v.earlier) {
    w.Key("result"), w.String("verified_before");
    w.Key("delivery"), w.Int64(v.earlier);
    w.Key("queued"), w.Uint64(0);
  } else if (v.verified) {
    const EnqueueResult &e = v.replay.enqueued;
    w.Key("result"), w.String("verified");
    w.Key("delivery"), w.Int64(v.replay.record.id);
    w.Key("verdict"), w.String(v.replay.record.verdict);
    w.Key("jobs"), w.Int64(v.replay.record.job_count);
    w.Key("queued"), w.Uint64(e.inserted - e.skipped);
    w.Key("skipped"), w.Uint64(e.skipped);
    w.Key("duplicates"), w.Uint64(e.duplicates);
  } else {
    w.Key("result"), w.String("still_refused");
    w.Key("reason"), w.String(v.refused);
  }
  w.EndObject();
  std::printf("%s\n", buf.GetString());
  std::fflush(stdout);
}

} // namespace

int reverify(const Args &a) {
  try {
    int64_t since = 0;
    if (!a.since.empty()) {
      const std::optional<int64_t> t = since_ms(a.since, now_ms());
      if (!t) {
        std::fprintf(stderr, "rdwh-gateway: --since %s: not an ISO-8601 UTC time (2026-12-05T10:00:00Z) nor a "
                             "duration (6h, 90m, 2d)\n", a.since.c_str());
        return 1;
      }
      since = *t;
    }
    std::unique_ptr<Outbox> outbox = open_outbox(load_config(a.config));
    // The config and the webhooks as a gateway starting now would serve them; handlers are made
    // again per delivery anyway, from key storage as it is now.
    Loader loader(a.config);
    CurrentRuntime current(loader.load(outbox.get()));
    if (!a.webhook.empty()) {
      const auto &hooks = current.get()->config().webhooks;
      const bool file = std::any_of(hooks.begin(), hooks.end(), [&](const WebhookConfig &w) { return w.name == a.webhook; });
      const std::vector<WebhookConfig> api = api_webhooks(*outbox);
      if (!file && std::none_of(api.begin(), api.end(), [&](const WebhookConfig &w) { return w.name == a.webhook; })) {
        std::fprintf(stderr, "rdwh-gateway: --webhook %s: no webhook has that name\n", a.webhook.c_str());
        return 1;
      }
    }
    DeliveryAdmin admin(*outbox, current, nullptr); // a running gateway polls the outbox for new jobs
    size_t verified = 0, refused = 0, failed = 0;
    for (const int64_t id : outbox->deliveries().refused_for_signature(a.webhook, since)) {
      const std::optional<DeliveryRecord> d = outbox->deliveries().get(id);
      if (!d) continue; // purged meanwhile
      const Outcome<Reverify> r = admin.reverify(*d);
      print_reverify(*d, r);
      if (!r) ++(cannot_verify(r.refused()) ? refused : failed);
      else if (r.value().verified) ++verified;
      else ++refused;
    }
    std::fprintf(stderr, "rdwh-gateway: %zu verified, %zu still refused or not verifiable, %zu failed\n", verified, refused, failed);
    return failed ? 1 : 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "rdwh-gateway: %s\n", e.what());
    return 1;
  }
}

} // namespace rdwh::gateway
