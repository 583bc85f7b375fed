// The deliveries: the list with its filter, one delivery explained (why each rule fired or not,
// the jobs and their state), a replay or a trial shown the same way, and a job requeued.
#include "console/pages/page.hpp"

#include "base/json.hpp"
#include "base/text.hpp"
#include "console/admin/delivery_view.hpp"
#include "intake/pipeline.hpp"

#include <cstdio>
#include <ctime>
#include <tuple>

namespace rdwh::gateway::pages {

namespace {

constexpr size_t kPageSize = 50;

// The filter's choices: the webhooks and the outcomes, the selected ones marked.
void filter_data(Page &p, const DeliveryFilter &f, data &d) {
  data hooks(data::type::list);
  for (const StoredWebhook &h : p.ctx.webhooks.list("")) {
    data o;
    o.set("id", std::to_string(h.id));
    o.set("name", h.name);
    o.set("project", h.project);
    if (f.webhook_id == h.id) o.set("selected", true);
    hooks.push_back(o);
  }
  d.set("webhooks", hooks);
  if (f.webhook_id == 0) d.set("unknown_selected", true);
  data outcomes(data::type::list);
  for (const auto &[value, label] : kOutcomes) {
    data o;
    o.set("value", value);
    o.set("label", label);
    if (f.outcome == value) o.set("selected", true);
    outcomes.push_back(o);
  }
  d.set("outcomes", outcomes);
  if (f.ran_nothing) d.set("ran_nothing", true);
}

// What became of a delivery in words; with several jobs, how many are in each state.
std::string state_text(const DeliveryRecord &r) {
  std::string text = outcome_text(r.state);
  const JobStates &s = r.job_states;
  if (s.total() < 2) return text;
  const std::pair<int64_t, const char *> states[] = {{s.refused, "refused by Rundeck"}, {s.failed, "failed"},
                                                     {s.running, "running"},  {s.retrying, "waiting for retry"},
                                                     {s.waiting, "waiting"},  {s.done, "ran"},
                                                     {s.skipped, "skipped"}};
  std::string counts;
  for (const auto &[n, what] : states)
    if (n) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  return text + " (" + std::to_string(s.total()) + " jobs: " + counts + ")";
}

// "#42 Disk full on db-1": the incident's number and title, as far as the body gave them.
std::string incident_text(const DeliveryRecord &r) {
  std::string text = r.incident_number ? "#" + std::to_string(r.incident_number) : std::string();
  if (!r.incident_title.empty()) text += (text.empty() ? "" : " ") + r.incident_title;
  return text;
}

data delivery_rows(const std::vector<DeliveryRecord> &list) {
  data rows(data::type::list);
  for (const DeliveryRecord &r : list) {
    data row;
    row.set("id", std::to_string(r.id));
    row.set("time", iso_time(r.received_ms).substr(0, 19).replace(10, 1, " "));
    row.set("webhook", r.webhook_id ? r.project + " / " + r.webhook_name : std::string("(unknown token)"));
    row.set("status", std::to_string(r.status));
    row.set("outcome", r.state);
    row.set("outcome_text", state_text(r));
    if (r.replay_of) row.set("replay_of", std::to_string(r.replay_of));
    row.set("job_count", std::to_string(r.job_count));
    row.set("sender", r.sender);
    row.set("delivery_id", r.delivery_id);
    opt(row, "event_type", r.event_type);
    opt(row, "event_id", r.event_id);
    opt(row, "incident_id", r.incident_id);
    opt(row, "incident", incident_text(r));
    rows.push_back(row);
  }
  return rows;
}


// Condition rows, nested groups flattened with their depth.
void condition_rows(const std::vector<ConditionView> &conds, int depth, data &rows) {
  for (const ConditionView &c : conds) {
    data row;
    row.set("depth", std::to_string(depth));
    if (c.group) row.set("group", std::string(c.negate ? "not " : "") + c.policy + " of:");
    opt(row, "path", c.path);
    row.set("condition", c.group ? std::string() : std::string(c.negate ? "not " : "") + c.condition);
    opt(row, "value", c.value);
    if (c.has_received && c.found) row.set("received", c.received);
    if (c.has_received && !c.found) row.set("missing", "nothing there");
    if (c.satisfied) row.set("satisfied", true);
    opt(row, "error", c.error);
    rows.push_back(row);
    condition_rows(c.children, depth + 1, rows);
  }
}

// How a job row is shown; `dry_run`: not stored, so "would run" unless the outbox has it.
void job_data(data &row, const JobView &j, bool dry_run) {
  row.set("rule", j.rule);
  row.set("job_id", j.job_id);
  row.set("options", pair_list(j.options));
  if (!j.options.empty()) row.set("has_options", true);
  opt(row, "filter", j.filter);
  opt(row, "as_user", j.as_user);
  row.set("state", dry_run && !j.state ? std::string("would be queued and run now")
                   : dry_run ? "already in the outbox, not run again: " + j.state_text()
                             : j.state_text());
  if (const std::string e = j.execution_text(); !e.empty()) {
    row.set("execution", e);
    const std::string &status = j.state->execution_status;
    row.set("execution_css", status == "succeeded"           ? "execution-ok"
                             : execution_failed(status)      ? "execution-failed"
                             : status == "running"           ? "execution-running"
                                                             : "execution-other");
  }
  opt(row, "permalink", j.permalink());
  if (j.note) {
    row.set("note", j.note_text());
    row.set("note_css", "note-" + j.note->status);
  }
}

enum class Mode { stored, dry_run, trial };

// Per event, per action: whether it fired, each condition, the job it asked for.
data events_data(const DeliveryView &v, Mode mode) {
  data events(data::type::list);
  for (const EventView &e : v.events) {
    data ev;
    ev.set("index", std::to_string(e.index));
    opt(ev, "event_id", e.event_id);
    data rules(data::type::list);
    for (const RuleView &rule : e.rules) {
      data rd;
      rd.set("name", rule.name);
      const bool fired = rule.satisfied && rule.error.empty();
      rd.set("mark", !rule.enabled ? "–" : fired ? "✔" : "✘");
      rd.set("css", !rule.enabled ? "disabled" : fired ? "fired" : "not-fired");
      rd.set("verdict", !rule.enabled      ? std::string("disabled")
                        : fired            ? std::string("fired")
                        : rule.satisfied   ? std::string("its conditions hold, but it did not run")
                        : rule.conditions.size() > 1 ? "did not fire: " + rule.policy + " of its conditions must hold"
                                                      : std::string("did not fire"));
      data conds(data::type::list);
      condition_rows(rule.conditions, 0, conds);
      rd.set("conditions", conds);
      if (!rule.conditions.empty()) rd.set("has_conditions", true);
      opt(rd, "error", rule.error);
      if (rule.job >= 0) {
        data job;
        job_data(job, v.jobs[static_cast<size_t>(rule.job)], mode != Mode::stored);
        rd.set("job", job);
      }
      rules.push_back(rd);
    }
    ev.set("rules", rules);
    events.push_back(ev);
  }
  return events;
}

// The jobs table, with Requeue (or Run again) where the job's state allows it.
data jobs_data(Page &p, const DeliveryView &v, Mode mode) {
  data jobs(data::type::list);
  for (const JobView &j : v.jobs) {
    data row;
    job_data(row, j, mode != Mode::stored);
    row.set("delivery", std::to_string(v.record.id));
    row.set("csrf", p.csrf);
    if (mode == Mode::stored && j.state) {
      row.set("outbox_id", std::to_string(j.state->id));
      const std::string &s = j.state->status;
      if (s == "refused" || s == "skipped" || (s == "queued" && j.state->attempts > 0)) row.set("requeue", "Requeue");
      if (s == "done") {
        row.set("requeue", "Run again");
        row.set("again", true);
        row.set("execution_id", j.state->execution_id);
      }
    }
    jobs.push_back(row);
  }
  return jobs;
}

data delivery_data(Page &p, const DeliveryView &v, Mode mode) {
  const DeliveryRecord &r = v.record;
  data d;
  d.set("id", std::to_string(r.id));
  d.set("csrf", p.csrf);
  d.set("time", iso_time(r.received_ms));
  d.set("webhook", r.webhook_id ? r.project + " / " + r.webhook_name : std::string("(unknown token)"));
  if (r.webhook_id) d.set("webhook_id", std::to_string(r.webhook_id));
  opt(d, "sender", r.sender);
  d.set("status", std::to_string(r.status));
  opt(d, "verdict", r.verdict);
  d.set("outcome_text", mode == Mode::stored ? state_text(r) : std::string("not stored: nothing ran"));
  opt(d, "error", r.error);
  if (r.replay_of) d.set("replay_of", std::to_string(r.replay_of));
  opt(d, "delivery_id", r.delivery_id);
  opt(d, "event_type", r.event_type);
  opt(d, "event_id", r.event_id);
  opt(d, "incident_id", r.incident_id);
  opt(d, "incident", incident_text(r));
  d.set("why", why_summary(v));
  opt(d, "note", v.note);
  d.set("events", events_data(v, mode));
  d.set("jobs", jobs_data(p, v, mode));
  if (!v.jobs.empty()) d.set("has_jobs", true);
  d.set("headers", pair_list(v.headers));
  d.set("body", utf8_clean(v.body));
  if (r.body_truncated)
    d.set("body_note", r.webhook_id ? "cut: " + std::to_string(r.body_bytes) + " bytes received"
                                    : std::string("not kept: the token matched no webhook"));
  return d;
}

// The list's filter from the query (webhook, outcome, q, from, to: read_delivery_search, as the
// API reads them; ranNothing), as the list and the bulk actions read it, and the query that gives
// it again (a search can be bookmarked).
struct ListFilter {
  DeliveryFilter filter;
  std::string q, from, to, query;
  std::string error; // a value that is not one
};

ListFilter list_filter(const Page &p) {
  ListFilter out;
  DeliveryFilter &f = out.filter;
  const std::string webhook(p.req.arg("webhook").value_or(""));
  if (!webhook.empty() && !is_digits(webhook)) out.error = "webhook: not a webhook's id";
  else if (!webhook.empty()) f.webhook_id = std::stoll(webhook);
  if (std::string error = read_delivery_search([&](std::string_view n) { return p.req.arg(n); }, f); !error.empty())
    out.error = std::move(error);
  f.ran_nothing = p.req.arg("ranNothing").value_or("") == "1";
  out.q = std::string(p.req.arg("q").value_or(""));
  out.from = std::string(p.req.arg("from").value_or(""));
  out.to = std::string(p.req.arg("to").value_or(""));
  out.query = "webhook=" + url_encode(webhook) + "&outcome=" + url_encode(f.outcome) +
              (f.ran_nothing ? "&ranNothing=1" : "") + (out.q.empty() ? "" : "&q=" + url_encode(out.q)) +
              (out.from.empty() ? "" : "&from=" + url_encode(out.from)) +
              (out.to.empty() ? "" : "&to=" + url_encode(out.to));
  return out;
}

// A row of a bulk action's table.
data bulk_row(const std::string &id, const std::string &webhook, const std::string &rule, const std::string &job_id,
              const std::string &status) {
  data row;
  row.set("id", id);
  row.set("webhook", webhook);
  opt(row, "rule", rule);
  opt(row, "job_id", job_id);
  row.set("status", status);
  return row;
}

} // namespace

HttpResponse deliveries_page(Page &p) {
  const ListFilter lf = list_filter(p);
  if (!lf.error.empty()) return p.fail(400, lf.error, "/deliveries");
  DeliveryFilter f = lf.filter;
  const std::string before(p.req.arg("before").value_or(""));
  if (is_digits(before)) f.before_id = std::stoll(before);
  f.limit = kPageSize;
  const std::vector<DeliveryRecord> list = p.ctx.outbox.deliveries().list(f);

  data d;
  filter_data(p, f, d);
  opt(d, "q", lf.q);
  opt(d, "from", lf.from);
  opt(d, "to", lf.to);
  d.set("retain_hours", std::to_string(p.settings().deliveries.retain_hours));
  d.set("deliveries", delivery_rows(list));
  if (!list.empty()) d.set("has_deliveries", true);
  if (list.size() == f.limit) d.set("next", "/deliveries?" + lf.query + "&before=" + std::to_string(list.back().id));
  return p.show("Deliveries", "nav_deliveries", render("deliveries.html", d));
}

namespace {

// What a bulk preview shows and its confirm form carries.
struct BulkPage {
  data d, rows = data(data::type::list), ids = data(data::type::list);
  std::string heading;
  void add_id(int64_t id) {
    data o;
    o.set("id", std::to_string(id));
    ids.push_back(o);
  }
};

std::optional<HttpResponse> requeue_preview(Page &p, const ListFilter &lf, const std::vector<int64_t> &delivery_ids,
                                            const std::string &n, const std::string &back, BulkPage &b) {
  const bool skipped = p.req.arg("skipped").value_or("") == "1";
  const Outcome<std::vector<OutboxJob>> jobs = p.ctx.deliveries.requeue_preview(delivery_ids, skipped);
  if (!jobs) return p.fail(jobs.refused(), back);
  for (const OutboxJob &j : *jobs) {
    b.rows.push_back(bulk_row(std::to_string(j.id), j.project + " / " + j.webhook_name, j.rule, j.job_id,
                              j.status + (j.reason.empty() ? "" : ": " + j.reason)));
    b.add_id(j.id);
  }
  b.heading = "Requeue the jobs of " + n;
  b.d.set("id_header", "Outbox job");
  b.d.set("summary", n + " match the filter; " + std::to_string(jobs->size()) + " of their jobs would be requeued" +
                         (skipped ? " (refused, waiting for a retry, or skipped)."
                                  : " (refused, or waiting for a retry). Skipped jobs are left alone."));
  b.d.set("toggle", skipped ? "Leave skipped jobs alone" : "Include skipped jobs (older than maxEventAge)");
  b.d.set("toggle_url", "/deliveries/bulk?action=requeue&" + lf.query + (skipped ? "" : "&skipped=1"));
  if (skipped) b.d.set("flag", "skipped");
  b.d.set("note", "Confirming requeues exactly these " + std::to_string(jobs->size()) +
                      " jobs (their ids are in the form): deliveries and jobs arriving after this preview are not "
                      "included, and a job whose state changes meanwhile (it runs, say) is left as it is.");
  if (!jobs->empty()) b.d.set("confirm", "Requeue " + std::to_string(jobs->size()) + " jobs");
  return std::nullopt;
}

std::string webhook_of(const BulkReplay &r) {
  return r.original && r.original->webhook_id ? r.original->project + " / " + r.original->webhook_name
                                              : std::string("(unknown token)");
}

std::optional<HttpResponse> replay_preview(Page &p, const ListFilter &lf, const std::vector<int64_t> &delivery_ids,
                                           const std::string &n, const std::string &back, BulkPage &b) {
  const bool run_again = p.req.arg("runAgain").value_or("") == "1";
  b.heading = "Replay " + n;
  b.d.set("id_header", "Delivery");
  b.d.set("toggle", run_again ? "Do not run jobs that already ran" : "Run jobs again even if they already ran");
  b.d.set("toggle_url", "/deliveries/bulk?action=replay&" + lf.query + (run_again ? "" : "&runAgain=1"));
  if (run_again) b.d.set("flag", "runAgain");
  b.d.set("summary", n + " match the filter.");
  if (delivery_ids.empty()) return std::nullopt;
  const Outcome<std::vector<BulkReplay>> dry = p.ctx.deliveries.replay_all(delivery_ids, true, run_again);
  if (!dry) return p.fail(dry.refused(), back);
  size_t replayable = 0, queued = 0;
  for (const BulkReplay &r : *dry) {
    const std::string id = std::to_string(r.id), hook = webhook_of(r);
    if (!r.result) {
      b.rows.push_back(bulk_row(id, hook, "", "", "cannot be replayed: " + r.result.refused().reason));
      continue;
    }
    ++replayable;
    b.add_id(r.id);
    const DeliveryView v = explain_delivery(r.result->record, p.ctx.outbox);
    if (v.jobs.empty()) b.rows.push_back(bulk_row(id, hook, "", "", "no rule fires now: nothing would run"));
    for (const JobView &j : v.jobs) {
      if (!j.state) ++queued;
      b.rows.push_back(bulk_row(id, hook, j.rule, j.job_id,
                                j.state ? "already in the outbox, not run again: " + j.state_text()
                                        : std::string("would be queued and run")));
    }
  }
  b.d.set("summary", n + " match the filter; " + std::to_string(replayable) + " can be replayed; " +
                         std::to_string(queued) + " jobs would be queued now.");
  if (replayable) b.d.set("confirm", "Replay " + std::to_string(replayable) + " deliveries");
  b.d.set("note", "Confirming replays exactly these " + std::to_string(replayable) +
                      " deliveries (their ids are in the form): deliveries arriving after this preview are not "
                      "included. Each runs through its webhook's rules as they are when you confirm, and a "
                      "job that ran meanwhile is not run again" +
                      std::string(run_again ? "; with Run again, every job runs again." : "."));
  return std::nullopt;
}

HttpResponse show_bulk(Page &p, BulkPage &b) {
  b.d.set("rows", b.rows);
  if (!b.rows.is_empty_list()) b.d.set("has_rows", true);
  b.d.set("ids", b.ids);
  b.d.set("heading", b.heading);
  return p.show(b.heading, "nav_deliveries", render("bulk.html", b.d));
}

// The replays' results, one row per delivery.
void replay_results(const std::vector<BulkReplay> &done, size_t asked, BulkPage &b) {
  size_t replayed = 0;
  for (const BulkReplay &r : done) {
    if (!r.result) {
      b.rows.push_back(bulk_row(std::to_string(r.id), webhook_of(r), "", "", "not replayed: " + r.result.refused().reason));
      continue;
    }
    ++replayed;
    const EnqueueResult &e = r.result->enqueued;
    data row = bulk_row(std::to_string(r.id), webhook_of(r), "", "",
                        std::to_string(e.inserted - e.skipped) + " jobs queued, " + std::to_string(e.duplicates) +
                            " already in the outbox");
    row.set("replay", std::to_string(r.result->record.id));
    b.rows.push_back(row);
  }
  b.heading = "Replayed " + std::to_string(replayed) + " of " + std::to_string(asked) + " deliveries";
  b.d.set("id_header", "Delivery");
  b.d.set("summary", "Each replay is a new delivery (linked below).");
}

} // namespace

HttpResponse bulk_preview(Page &p) {
  const ListFilter lf = list_filter(p);
  if (!lf.error.empty()) return p.fail(400, lf.error, "/deliveries");
  const std::string action(p.req.arg("action").value_or(""));
  const std::string back = "/deliveries?" + lf.query;
  if (action != "requeue" && action != "replay") return p.fail(400, "action must be requeue or replay", back);
  const Outcome<std::vector<DeliveryRecord>> selected = p.ctx.deliveries.select(lf.filter);
  if (!selected) return p.fail(selected.refused(), back);
  std::vector<int64_t> delivery_ids;
  for (const DeliveryRecord &r : *selected) delivery_ids.push_back(r.id);
  const std::string n = std::to_string(delivery_ids.size()) + " deliver" + (delivery_ids.size() == 1 ? "y" : "ies");
  BulkPage b;
  b.d.set("csrf", p.csrf);
  b.d.set("action", action);
  b.d.set("back", back);
  const std::optional<HttpResponse> failed = action == "requeue"
                                                 ? requeue_preview(p, lf, delivery_ids, n, back, b)
                                                 : replay_preview(p, lf, delivery_ids, n, back, b);
  return failed ? *failed : show_bulk(p, b);
}

HttpResponse bulk_run(Page &p) {
  const std::string action = form_field(p.form, "action");
  std::vector<int64_t> ids;
  for (const std::string &id : all(p.form, "id")) {
    if (!is_digits(id) || id.size() > 18) return p.fail(400, "id must be a number: " + id, "/deliveries");
    ids.push_back(std::stoll(id));
  }
  BulkPage b;
  b.d.set("back", std::string("/deliveries"));
  b.d.set("done", true);
  if (action == "requeue") {
    const Outcome<std::vector<OutboxJob>> done =
        p.ctx.deliveries.requeue_jobs(ids, form_field(p.form, "skipped") == "1");
    if (!done) return p.fail(done.refused(), "/deliveries");
    for (const OutboxJob &j : *done)
      b.rows.push_back(bulk_row(std::to_string(j.id), j.project + " / " + j.webhook_name, j.rule, j.job_id, j.status));
    b.heading = "Requeued " + std::to_string(done->size()) + " of " + std::to_string(ids.size()) + " jobs";
    b.d.set("id_header", "Outbox job");
    b.d.set("summary", std::to_string(done->size()) + " jobs are queued again" +
                           (done->size() < ids.size() ? "; the others changed state since the preview and were left "
                                                        "as they are."
                                                      : "."));
  } else if (action == "replay") {
    const Outcome<std::vector<BulkReplay>> done =
        p.ctx.deliveries.replay_all(ids, false, form_field(p.form, "runAgain") == "1");
    if (!done) return p.fail(done.refused(), "/deliveries");
    replay_results(*done, ids.size(), b);
  } else {
    return p.fail(400, "action must be requeue or replay", "/deliveries");
  }
  return show_bulk(p, b);
}

HttpResponse delivery_page(Page &p, int64_t id) {
  const std::optional<DeliveryRecord> record = p.ctx.outbox.deliveries().get(id);
  if (!record) return p.fail(404, "Delivery " + std::to_string(id) + " is not in the delivery store (kept " +
                                      std::to_string(p.settings().deliveries.retain_hours) + " hours)",
                             "/deliveries");
  const DeliveryView v = explain_delivery(*record, p.ctx.outbox);
  data d = delivery_data(p, v, Mode::stored);
  d.set("heading", "Delivery #" + std::to_string(id));
  const std::shared_ptr<const Runtime> rt = p.ctx.runtime.get();
  const Webhook *hook = rt->find_id(record->webhook_id);
  std::string not_replayable;
  if (!hook) not_replayable = "its webhook is not served now";
  else if (record->verdict.empty() || is_signature_refusal(record->verdict))
    not_replayable = "it was refused before its signature was verified";
  // Refused for its signature: it can be verified again with the secret key storage holds now.
  if (hook && is_signature_refusal(record->verdict) && !record->replay_of && !record->body_truncated)
    d.set("reverifiable", true);
  else if (record->body_truncated) not_replayable = "its body was not stored whole";
  if (not_replayable.empty()) {
    d.set("replayable", true);
    rapidjson::Document config;
    config.Parse(hook->config.config_json.data(), hook->config.config_json.size());
    d.set("config", config.HasParseError() ? hook->config.config_json : pretty_json(config));
  } else {
    d.set("not_replayable", not_replayable);
  }
  return p.show("Delivery #" + std::to_string(id), "nav_deliveries", render("delivery.html", d));
}

HttpResponse replay_page(Page &p, int64_t id, bool trial) {
  const std::optional<DeliveryRecord> record = p.ctx.outbox.deliveries().get(id);
  const std::string back = "/deliveries/" + std::to_string(id);
  if (!record) return p.fail(404, "Delivery " + std::to_string(id) + " is not in the delivery store", "/deliveries");
  std::optional<Outcome<Replay>> r;
  const bool dry_run = trial || form_field(p.form, "mode") != "real";
  if (trial) {
    rapidjson::Document config;
    const std::string text = form_field(p.form, "config");
    config.Parse(text.data(), text.size());
    if (config.HasParseError() || !config.IsObject()) return p.fail(400, "The config must be a JSON object", back);
    r.emplace(p.ctx.deliveries.try_config(*record, text));
  } else {
    r.emplace(p.ctx.deliveries.replay(*record, dry_run, form_field(p.form, "runAgain") == "true"));
  }
  if (!*r) return p.fail(r->refused(), back);
  const Replay &replay = r->value();
  if (replay.stored) return redirect("/deliveries/" + std::to_string(replay.record.id) + "?notice=replayed");
  const DeliveryView v = explain_delivery(replay.record, p.ctx.outbox);
  data d = delivery_data(p, v, trial ? Mode::trial : Mode::dry_run);
  const std::string heading = (trial ? "Delivery #" + std::to_string(id) + " against the edited config"
                                     : "Dry run: delivery #" + std::to_string(id) + " against the current rules");
  d.set("heading", heading);
  return p.show(heading, "nav_deliveries", render("delivery.html", d));
}

HttpResponse reverify_page(Page &p, int64_t id) {
  const std::optional<DeliveryRecord> record = p.ctx.outbox.deliveries().get(id);
  const std::string back = "/deliveries/" + std::to_string(id);
  if (!record) return p.fail(404, "Delivery " + std::to_string(id) + " is not in the delivery store", "/deliveries");
  const Outcome<Reverify> r = p.ctx.deliveries.reverify(*record);
  if (!r) return p.fail(r.refused(), back);
  const Reverify &v = r.value();
  if (v.earlier) return redirect("/deliveries/" + std::to_string(v.earlier) + "?notice=verified_before");
  if (v.verified) return redirect("/deliveries/" + std::to_string(v.replay.record.id) + "?notice=verified");
  return message_page(p.csrf, p.req, 200, "Still refused",
                      "Delivery #" + std::to_string(id) + " still does not verify with the current secret (" +
                          v.refused + "); nothing ran. Fix the secret in key storage and verify it again.",
                      back);
}

HttpResponse requeue(Page &p, int64_t id) {
  const std::string back = form_field(p.form, "back");
  const std::string page_url = is_digits(back) ? "/deliveries/" + back : "/deliveries";
  const Outcome<OutboxJob> job = p.ctx.deliveries.requeue(id, form_field(p.form, "again") == "true");
  if (!job) return p.fail(job.refused(), page_url);
  return redirect(page_url + "?notice=requeued");
}

} // namespace rdwh::gateway::pages
