// The console's pages: server-rendered HTML from the mustache templates in console/ (kainjow's
// mustache, which escapes every {{value}}), embedded in the binary with the stylesheet and the
// small script (console_assets.cpp, generated at build time). Forms post back here; every POST
// but the login needs a live session, its CSRF token and an Origin (else Referer) of this host.
//
//   /login /logout                         the console token; a session cookie
//   /webhooks                              the list: Post URLs with a copy button
//   /webhooks/new -> /webhooks/new/edit    Rundeck's flow: name, project, plugin; then the editor
//                                          with the plugin's sample action filled in
//   /webhooks/{id} (POST: save) /webhooks/{id}/delete
//   /deliveries[?webhook=&outcome=&ranNothing=1&before=]   newest first
//   /deliveries/{id}                       why each rule fired or not, the jobs and their state
//   /deliveries/{id}/replay (mode=dry|real, runAgain) /deliveries/{id}/try (config)
//   /jobs/{id}/requeue
#include "console/console.hpp"

#include "console/admin/delivery_view.hpp"
#include "intake/pipeline.hpp"
#include "base/log.hpp"

#include <kainjow/mustache.hpp>
#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace rdwh::gateway {

std::string_view console_asset(std::string_view name); // console_assets.cpp (generated)

namespace {

using kainjow::mustache::data;
using Form = std::vector<std::pair<std::string, std::string>>;

constexpr const char *kHtml = "text/html; charset=utf-8";
constexpr size_t kPageSize = 50;

// Fixed texts shown after a redirect (?notice=key): never text from the request.
const std::map<std::string, std::string, std::less<>> kNotices = {
    {"saved", "Saved. The gateway serves the change now."},
    {"deleted", "Deleted."},
    {"requeued", "Job queued again: the gateway runs it within a second."},
    {"replayed", "Replayed: this is the new delivery."},
};

const std::vector<std::pair<const char *, const char *>> kConditionTypes = {
    {"equals", "equals"},           {"contains", "contains"},         {"exists", "exists"},
    {"isA", "is a (type)"},         {"dateTimeAfter", "is after (date-time)"},
    {"dateTimeBefore", "is before (date-time)"},
};

const std::vector<std::pair<const char *, const char *>> kOutcomes = {
    {outcome::queued, "jobs queued"},     {outcome::duplicate, "already handled (redelivery)"},
    {outcome::nothing, "no rule fired"},  {outcome::skipped, "too old: not run"},
    {outcome::refused, "refused (4xx)"},  {outcome::failed, "failed (5xx)"},
};

std::string outcome_text(std::string_view o) {
  for (const auto &[value, label] : kOutcomes)
    if (o == value) return label;
  return std::string(o);
}

// Sets `key` only when `value` is not empty: mustache treats any string, even "", as true.
void opt(data &d, const std::string &key, const std::string &value) {
  if (!value.empty()) d.set(key, value);
}

// A list of {name, value} objects ({key, message} for errors...) for a template.
data pair_list(const std::vector<std::pair<std::string, std::string>> &pairs, const char *first_key = "name",
               const char *second_key = "value") {
  data list(data::type::list);
  for (const auto &[a, b] : pairs) {
    data o;
    o.set(first_key, a);
    o.set(second_key, b);
    list.push_back(o);
  }
  return list;
}

std::string first(const Form &f, std::string_view name) {
  for (const auto &[n, v] : f)
    if (n == name) return v;
  return "";
}

std::vector<std::string> all(const Form &f, std::string_view name) {
  std::vector<std::string> out;
  for (const auto &[n, v] : f)
    if (n == name) out.push_back(v);
  return out;
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string url_encode(std::string_view s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::string pretty_json(const rapidjson::Value &v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string render(std::string_view name, const data &d) {
  kainjow::mustache::mustache tmpl{std::string(console_asset(name))};
  if (!tmpl.is_valid()) throw std::runtime_error("template " + std::string(name) + ": " + tmpl.error_message());
  return tmpl.render(d);
}

HttpResponse redirect(const std::string &to) {
  HttpResponse r{303, kHtml, ""};
  r.headers.emplace_back("Location", to);
  return r;
}

// A page inside the layout.
HttpResponse page(const std::optional<Session> &s, const std::string &title, const char *nav,
                  const std::string &content, const HttpRequest &req, int status = 200) {
  data d;
  d.set("title", title);
  d.set("content", content);
  if (s) {
    data session;
    session.set("csrf", s->csrf);
    if (nav) session.set(nav, true);
    d.set("session", session);
  }
  if (const auto key = req.arg("notice"))
    if (auto it = kNotices.find(*key); it != kNotices.end()) d.set("notice", it->second);
  return {status, kHtml, render("layout.html", d)};
}

HttpResponse message(const std::optional<Session> &s, const HttpRequest &req, int status, const std::string &heading,
                     const std::string &text, const std::string &back) {
  data d;
  d.set("heading", heading);
  d.set("text", text);
  d.set("kind", status >= 400 ? "error" : "notice");
  d.set("back", back);
  return page(s, heading, nullptr, render("message.html", d), req, status);
}

// The {"err": ..., "errors": {...}} of a webhook API answer.
void api_error(const HttpResponse &answer, std::string &err, std::vector<std::pair<std::string, std::string>> &errors) {
  rapidjson::Document doc;
  doc.Parse(answer.body.data(), answer.body.size());
  err = doc.HasParseError() ? answer.body : string_member(doc, "err").value_or(answer.body);
  if (!doc.HasParseError() && doc.HasMember("errors") && doc["errors"].IsObject())
    for (auto m = doc["errors"].MemberBegin(); m != doc["errors"].MemberEnd(); ++m)
      if (m->value.IsString()) errors.emplace_back(m->name.GetString(), m->value.GetString());
}

struct Page {
  ConsoleContext &ctx;
  const HttpRequest &req;
  std::optional<Session> session;
  Form form; // POST fields

  const ConsoleSettings &settings() const { return ctx.runtime.get()->config().console; }
  HttpResponse show(const std::string &title, const char *nav, const std::string &content, int status = 200) const {
    return page(session, title, nav, content, req, status);
  }
  HttpResponse fail(int status, const std::string &text, const std::string &back) const {
    return message(session, req, status, status == 404 ? "Not found" : "Cannot do that", text, back);
  }
};

} // namespace

// ------------------------------------------------------------------------------- the editor

namespace {

// A webhook as the editor shows it (stored, or as submitted).
struct Draft {
  int64_t id = 0; // 0: not created yet
  std::string name, project, provider;
  bool enabled = true, use_auth = false, read_only = false;
  std::string config_json = "{}";
};

const char *const kTopKeys[] = {"keyStoragePath", "batchKey", "eventIdKey", "returnProcessingInfo", "rules"};
const char *const kRuleKeys[] = {"name", "enabled", "policy", "jobId", "jobOptions", "nodeFilter", "user", "conditions"};

// `v` without `keys`, as JSON text ("" when nothing is left): what the form does not edit rides along.
template <size_t N> std::string rest_of(const rapidjson::Value &v, const char *const (&keys)[N]) {
  rapidjson::Document copy;
  copy.CopyFrom(v, copy.GetAllocator());
  for (const char *k : keys) copy.RemoveMember(k);
  return copy.MemberCount() ? to_json(copy) : "";
}

// Plain conditions ({path, condition, value}) are edited as rows; nested groups or negations as JSON.
bool plain_conditions(const rapidjson::Value &conds) {
  for (const auto &c : conds.GetArray()) {
    if (!c.IsObject() || c.HasMember("conditions") || c.HasMember("negate")) return false;
    for (auto m = c.MemberBegin(); m != c.MemberEnd(); ++m) {
      const std::string_view k(m->name.GetString(), m->name.GetStringLength());
      if ((k != "path" && k != "condition" && k != "value") || !m->value.IsString()) return false;
    }
  }
  return true;
}

data condition_types(const std::string &selected) {
  data types(data::type::list);
  bool known = selected.empty();
  for (const auto &[name, label] : kConditionTypes) {
    data t;
    t.set("name", name);
    t.set("label", label);
    if (selected == name) t.set("selected", true), known = true;
    types.push_back(t);
  }
  if (!known) { // e.g. the pre-3.2 "matches": kept as it is
    data t;
    t.set("name", selected);
    t.set("label", selected);
    t.set("selected", true);
    types.push_back(t);
  }
  return types;
}

data jobs_choice(const JobsOutcome &jobs, const std::string &selected) {
  data list(data::type::list);
  bool found = selected.empty();
  for (const JobSummary &j : jobs.jobs) {
    data o;
    o.set("id", j.id);
    o.set("label", (j.group.empty() ? "" : j.group + "/") + j.name);
    if (j.id == selected) o.set("selected", true), found = true;
    list.push_back(o);
  }
  if (!found) { // a job Rundeck did not list (another project, deleted): still shown and kept
    data o;
    o.set("id", selected);
    o.set("label", selected + " (not in the project's job list)");
    o.set("selected", true);
    list.push_back(o);
  }
  return list;
}

data rule_data(const rapidjson::Value &rule, const std::string &n, const JobsOutcome &jobs) {
  data r;
  r.set("n", n);
  opt(r, "extra", rest_of(rule, kRuleKeys));
  r.set("name", string_member(rule, "name").value_or(""));
  if (bool_member(rule, "enabled").value_or(true)) r.set("enabled", true);
  if (string_member(rule, "policy").value_or("all") != "any") r.set("policy_all", true);
  const std::string job_id = string_member(rule, "jobId").value_or("");
  r.set("job_id", job_id);
  if (jobs.ok) {
    r.set("has_jobs", true);
    r.set("jobs", jobs_choice(jobs, job_id));
  }
  std::vector<std::pair<std::string, std::string>> options;
  if (rule.HasMember("jobOptions") && rule["jobOptions"].IsArray())
    for (const auto &o : rule["jobOptions"].GetArray())
      options.emplace_back(string_member(o, "name").value_or(""), string_member(o, "value").value_or(""));
  r.set("options", pair_list(options));
  data conditions(data::type::list);
  if (rule.HasMember("conditions") && rule["conditions"].IsArray()) {
    if (!plain_conditions(rule["conditions"])) r.set("conditions_json", pretty_json(rule["conditions"]));
    else
      for (const auto &c : rule["conditions"].GetArray()) {
        data row;
        row.set("path", string_member(c, "path").value_or(""));
        row.set("value", string_member(c, "value").value_or(""));
        row.set("types", condition_types(string_member(c, "condition").value_or("equals")));
        conditions.push_back(row);
      }
  }
  r.set("conditions", conditions);
  r.set("blank_types", condition_types(""));
  r.set("node_filter", string_member(rule, "nodeFilter").value_or(""));
  r.set("user", string_member(rule, "user").value_or(""));
  return r;
}

struct EditorNotes {
  std::string error, secret;
  std::vector<std::pair<std::string, std::string>> errors;
};

// The editor's datalists: the provider's field suggestions.
data field_suggestions(const ProviderChoice &provider) {
  data fields(data::type::list);
  for (const auto &f : provider.fields) {
    data o;
    o.set("path", f.path);
    o.set("title", f.title);
    o.set("example", f.example);
    fields.push_back(o);
  }
  return fields;
}

void set_notes(data &d, const EditorNotes &notes) {
  opt(d, "error", notes.error);
  opt(d, "secret", notes.secret);
  if (notes.errors.empty()) return;
  d.set("errors", pair_list(notes.errors, "key", "message"));
  d.set("has_errors", true);
}

// The handler's settings and its actions, from the plugin config.
void set_config(data &d, const rapidjson::Value &config, const JobsOutcome &jobs) {
  opt(d, "extra", rest_of(config, kTopKeys));
  d.set("key_storage_path", string_member(config, "keyStoragePath").value_or(""));
  d.set("batch_key", string_member(config, "batchKey").value_or(""));
  d.set("event_id_key", string_member(config, "eventIdKey").value_or(""));
  if (bool_member(config, "returnProcessingInfo").value_or(false)) d.set("return_info", true);
  data rules(data::type::list);
  if (config.HasMember("rules") && config["rules"].IsArray())
    for (rapidjson::SizeType i = 0; i < config["rules"].Size(); ++i)
      if (config["rules"][i].IsObject()) rules.push_back(rule_data(config["rules"][i], std::to_string(i), jobs));
  d.set("rules", rules);
  rapidjson::Document blank;
  blank.Parse(R"({"name":"","enabled":true,"policy":"all","jobId":"","jobOptions":[],"conditions":[]})");
  d.set("blank_rule", rule_data(blank, "__N__", jobs));
  if (!jobs.ok) d.set("jobs_error", jobs.reason);
}

HttpResponse editor(Page &p, const Draft &draft, const EditorNotes &notes, int status = 200) {
  const std::shared_ptr<const Runtime> rt = p.ctx.runtime.get();
  const std::vector<ProviderChoice> providers = provider_choices(*rt);
  const ProviderChoice *provider = nullptr;
  for (const ProviderChoice &c : providers)
    if (c.name == draft.provider) provider = &c;
  if (!provider) return p.fail(400, "No plugin offers the provider '" + draft.provider + "'", "/webhooks/new");

  rapidjson::Document config;
  config.Parse(draft.config_json.data(), draft.config_json.size());
  if (config.HasParseError() || !config.IsObject()) config.SetObject();

  data d;
  d.set("heading", draft.id ? "Webhook " + draft.name : "New webhook");
  d.set("action", draft.id ? "/webhooks/" + std::to_string(draft.id) : "/webhooks/new");
  d.set("csrf", p.session->csrf);
  d.set("provider", provider->name);
  d.set("provider_title", provider->title);
  d.set("name", draft.name);
  d.set("project", draft.project);
  if (draft.enabled) d.set("enabled", true);
  if (draft.use_auth) d.set("use_auth", true);
  d.set("signed", true);
  set_config(d, config, project_jobs(*rt, draft.project));
  d.set("fields", field_suggestions(*provider));
  set_notes(d, notes);
  if (draft.id) {
    data existing;
    existing.set("id", std::to_string(draft.id));
    d.set("existing", existing);
    if (const auto stored = p.ctx.webhooks.find("", std::to_string(draft.id))) {
      d.set("post_url", p.ctx.webhooks.post_url(*stored));
      opt(d, "read_only", p.ctx.webhooks.read_only_reason(*stored));
      opt(d, "problem", p.ctx.webhooks.not_served_reason(*stored));
    }
  }
  d.set("rule", kainjow::mustache::partial([] { return std::string(console_asset("rule.html")); }));
  return p.show(draft.id ? draft.name : "New webhook", "nav_webhooks", render("edit.html", d), status);
}

using Allocator = rapidjson::Document::AllocatorType;

void set_member(rapidjson::Value &obj, const char *key, rapidjson::Value v, Allocator &a) {
  obj.RemoveMember(key);
  obj.AddMember(rapidjson::Value(key, a), v, a);
}

rapidjson::Value text_value(const std::string &s, Allocator &a) {
  return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// The conditions of the action whose fields start with `p`: JSON text, or rows.
bool conditions_from_form(const Form &f, const std::string &p, rapidjson::Value &out, Allocator &a, std::string &why) {
  out.SetArray();
  if (const std::string json = first(f, p + "conditions"); !json.empty()) {
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    if (d.HasParseError() || !d.IsArray()) {
      why = "the conditions of action '" + first(f, p + "name") + "' are not a JSON list";
      return false;
    }
    out.CopyFrom(d, a);
    return true;
  }
  const auto paths = all(f, p + "cond.path"), types = all(f, p + "cond.condition"), values = all(f, p + "cond.value");
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string value = i < values.size() ? values[i] : "";
    if (paths[i].empty() && value.empty()) continue; // a row left empty
    rapidjson::Value c(rapidjson::kObjectType);
    c.AddMember("path", text_value(paths[i], a), a);
    c.AddMember("condition", text_value(i < types.size() ? types[i] : "equals", a), a);
    c.AddMember("value", text_value(value, a), a);
    out.PushBack(c, a);
  }
  return true;
}

// One action (rule) from the fields "r<n>.*", over the keys of it the form does not edit.
bool rule_from_form(const Form &f, const std::string &n, rapidjson::Value &rule, Allocator &a, std::string &why) {
  const std::string p = "r" + n + ".";
  rule.SetObject();
  if (const std::string extra = first(f, p + "extra"); !extra.empty()) {
    rapidjson::Document d;
    d.Parse(extra.data(), extra.size());
    if (!d.HasParseError() && d.IsObject()) rule.CopyFrom(d, a);
  }
  set_member(rule, "name", text_value(first(f, p + "name"), a), a);
  set_member(rule, "enabled", rapidjson::Value(first(f, p + "enabled") == "true"), a);
  set_member(rule, "policy", text_value(first(f, p + "policy") == "any" ? "any" : "all", a), a);
  set_member(rule, "jobId", text_value(first(f, p + "jobId"), a), a);
  rapidjson::Value options(rapidjson::kArrayType);
  const auto names = all(f, p + "opt.name"), values = all(f, p + "opt.value");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    rapidjson::Value o(rapidjson::kObjectType);
    o.AddMember("name", text_value(names[i], a), a);
    o.AddMember("value", text_value(i < values.size() ? values[i] : "", a), a);
    options.PushBack(o, a);
  }
  set_member(rule, "jobOptions", std::move(options), a);
  for (const char *key : {"nodeFilter", "user"}) {
    rule.RemoveMember(key);
    if (const std::string v = first(f, p + key); !v.empty()) set_member(rule, key, text_value(v, a), a);
  }
  rapidjson::Value conditions;
  if (!conditions_from_form(f, p, conditions, a, why)) return false;
  set_member(rule, "conditions", std::move(conditions), a);
  return true;
}

// The config the editor's form describes, over the keys of it the form does not edit; false with
// `why` when a JSON part is not valid.
bool config_from_form(const Form &f, rapidjson::Document &config, std::string &why) {
  auto &a = config.GetAllocator();
  config.SetObject();
  if (const std::string extra = first(f, "extra"); !extra.empty()) {
    config.Parse(extra.data(), extra.size());
    if (config.HasParseError() || !config.IsObject()) config.SetObject();
  }
  for (const char *key : {"keyStoragePath", "batchKey", "eventIdKey"}) {
    config.RemoveMember(key);
    if (const std::string v = first(f, key); !v.empty()) set_member(config, key, text_value(v, a), a);
  }
  config.RemoveMember("returnProcessingInfo");
  if (first(f, "returnProcessingInfo") == "true") set_member(config, "returnProcessingInfo", rapidjson::Value(true), a);
  rapidjson::Value rules(rapidjson::kArrayType);
  for (const std::string &n : all(f, "rule")) {
    rapidjson::Value rule;
    if (!rule_from_form(f, n, rule, a, why)) return false;
    rules.PushBack(rule, a);
  }
  set_member(config, "rules", std::move(rules), a);
  return true;
}

Draft draft_from_form(const Form &f, int64_t id) {
  Draft d;
  d.id = id;
  d.name = first(f, "name");
  d.project = first(f, "project");
  d.provider = first(f, "provider");
  d.enabled = first(f, "enabled") == "true";
  d.use_auth = first(f, "useAuth") == "true";
  return d;
}

Draft draft_of(const StoredWebhook &w) {
  Draft d;
  d.id = w.id;
  d.name = w.name;
  d.project = w.project;
  d.provider = w.event_plugin;
  d.enabled = w.enabled;
  d.use_auth = w.use_auth;
  d.config_json = w.config_json;
  return d;
}

// POST /webhooks/new and /webhooks/{id}: the form as Rundeck's API body, then create or update.
HttpResponse save_webhook(Page &p, const std::optional<StoredWebhook> &existing) {
  Draft draft = draft_from_form(p.form, existing ? existing->id : 0);
  if (existing) draft.project = existing->project, draft.provider = existing->event_plugin;
  rapidjson::Document config;
  std::string why;
  if (!config_from_form(p.form, config, why)) return editor(p, draft, {why, "", {}}, 400);
  draft.config_json = to_json(config);
  rapidjson::Document body(rapidjson::kObjectType);
  auto &a = body.GetAllocator();
  body.AddMember("project", rapidjson::Value(draft.project.c_str(), a), a);
  body.AddMember("name", rapidjson::Value(draft.name.c_str(), a), a);
  body.AddMember("eventPlugin", rapidjson::Value(draft.provider.c_str(), a), a);
  body.AddMember("enabled", draft.enabled, a);
  body.AddMember("useAuth", draft.use_auth, a);
  body.AddMember("regenAuth", first(p.form, "regenAuth") == "true", a);
  body.AddMember("config", rapidjson::Value(config, a), a);
  if (draft.project.empty()) return editor(p, draft, {"the project is required", "", {}}, 400);
  const SaveResult r = existing ? p.ctx.webhooks.update(*existing, body) : p.ctx.webhooks.create(draft.project, body, "console");
  if (!r.ok) {
    EditorNotes notes;
    api_error(r.answer, notes.error, notes.errors);
    return editor(p, draft, notes, r.answer.status);
  }
  if (r.generated_secret.empty()) return redirect("/webhooks/" + std::to_string(r.id) + "?notice=saved");
  const auto stored = p.ctx.webhooks.find("", std::to_string(r.id));
  if (!stored) return redirect("/webhooks");
  return editor(p, draft_of(*stored), {"", r.generated_secret, {}});
}

} // namespace

// ---------------------------------------------------------------------------- the webhook list

namespace {

HttpResponse webhooks_page(Page &p) {
  const std::vector<StoredWebhook> hooks = p.ctx.webhooks.list("");
  std::map<std::string, std::string> titles;
  for (const ProviderChoice &c : provider_choices(*p.ctx.runtime.get())) titles[c.name] = c.title;
  data list(data::type::list);
  for (const StoredWebhook &h : hooks) {
    data row;
    row.set("id", std::to_string(h.id));
    row.set("name", h.name);
    row.set("project", h.project);
    row.set("provider_title", titles.count(h.event_plugin) ? titles[h.event_plugin] : h.event_plugin);
    if (h.enabled) row.set("enabled", true);
    if (h.from_file) row.set("from_file", true);
    opt(row, "problem", p.ctx.webhooks.not_served_reason(h));
    row.set("post_url", p.ctx.webhooks.post_url(h));
    list.push_back(row);
  }
  data d;
  d.set("webhooks", list);
  if (!hooks.empty()) d.set("has_webhooks", true);
  return p.show("Webhooks", "nav_webhooks", render("webhooks.html", d));
}

HttpResponse new_webhook_page(Page &p) {
  data d;
  d.set("name", std::string(p.req.arg("name").value_or("")));
  d.set("project", std::string(p.req.arg("project").value_or("")));
  std::set<std::string> projects;
  for (const StoredWebhook &h : p.ctx.webhooks.list("")) projects.insert(h.project);
  data plist(data::type::list);
  for (const std::string &pr : projects) plist.push_back(data(pr));
  d.set("projects", plist);
  data providers(data::type::list);
  bool first_one = true;
  for (const ProviderChoice &c : provider_choices(*p.ctx.runtime.get())) {
    data o;
    o.set("name", c.name);
    o.set("title", c.title);
    o.set("description", c.description);
    if (first_one) o.set("checked", true), first_one = false;
    providers.push_back(o);
  }
  d.set("providers", providers);
  return p.show("Add a webhook", "nav_webhooks", render("new.html", d));
}

// GET /webhooks/new/edit: the editor of a new webhook, starting from the plugin's sample action.
HttpResponse new_webhook_editor(Page &p) {
  Draft draft;
  draft.name = std::string(p.req.arg("name").value_or(""));
  draft.project = std::string(p.req.arg("project").value_or(""));
  draft.provider = std::string(p.req.arg("provider").value_or(""));
  for (const ProviderChoice &c : provider_choices(*p.ctx.runtime.get()))
    if (c.name == draft.provider && !c.sample_action.empty()) draft.config_json = "{\"rules\":[" + c.sample_action + "]}";
  if (draft.name.empty() || draft.project.empty())
    return p.fail(400, "A webhook needs a name and a project", "/webhooks/new");
  return editor(p, draft, {});
}

} // namespace

// ------------------------------------------------------------------------------ deliveries

namespace {

HttpResponse deliveries_page(Page &p) {
  DeliveryFilter f;
  const std::string webhook(p.req.arg("webhook").value_or(""));
  if (is_digits(webhook)) f.webhook_id = std::stoll(webhook);
  f.outcome = std::string(p.req.arg("outcome").value_or(""));
  f.ran_nothing = p.req.arg("ranNothing").value_or("") == "1";
  const std::string before(p.req.arg("before").value_or(""));
  if (is_digits(before)) f.before_id = std::stoll(before);
  f.limit = kPageSize;
  const std::vector<DeliveryRecord> list = p.ctx.outbox.deliveries().list(f);

  data d;
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
  d.set("retain_hours", std::to_string(p.settings().deliveries.retain_hours));
  data rows(data::type::list);
  for (const DeliveryRecord &r : list) {
    data row;
    row.set("id", std::to_string(r.id));
    row.set("time", iso_time(r.received_ms).substr(0, 19).replace(10, 1, " "));
    row.set("webhook", r.webhook_id ? r.project + " / " + r.webhook_name : std::string("(unknown token)"));
    row.set("status", std::to_string(r.status));
    row.set("outcome", r.outcome);
    row.set("outcome_text", outcome_text(r.outcome));
    if (r.replay_of) row.set("replay_of", std::to_string(r.replay_of));
    row.set("job_count", std::to_string(r.job_count));
    row.set("sender", r.sender);
    row.set("delivery_id", r.delivery_id);
    rows.push_back(row);
  }
  d.set("deliveries", rows);
  if (!list.empty()) d.set("has_deliveries", true);
  if (list.size() == f.limit)
    d.set("next", "/deliveries?webhook=" + url_encode(webhook) + "&outcome=" + url_encode(f.outcome) +
                      (f.ran_nothing ? "&ranNothing=1" : "") + "&before=" + std::to_string(list.back().id));
  return p.show("Deliveries", "nav_deliveries", render("deliveries.html", d));
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

// What the delivery did, in one sentence.
std::string why_text(const DeliveryView &v) {
  const DeliveryRecord &r = v.record;
  if (r.outcome == outcome::refused || r.outcome == outcome::failed)
    return "The gateway answered HTTP " + std::to_string(r.status) + ": " + (r.error.empty() ? r.verdict : r.error) +
           ". No rule was evaluated.";
  size_t rules = 0, fired = 0;
  for (const EventView &e : v.events)
    for (const RuleView &rule : e.rules) ++rules, fired += rule.satisfied && rule.error.empty() ? 1 : 0;
  if (v.events.empty()) return r.evaluation.empty() ? "The delivery store kept no explanation for this delivery." : "No event in the delivery.";
  if (fired == 0)
    return "No rule fired: " + std::to_string(rules) + " rule evaluation(s) on " + std::to_string(v.events.size()) +
           " event(s), none held. The failing conditions are marked below.";
  return std::to_string(fired) + " of " + std::to_string(rules) + " rule evaluation(s) fired on " +
         std::to_string(v.events.size()) + " event(s).";
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
    row.set("csrf", p.session->csrf);
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
  d.set("csrf", p.session->csrf);
  d.set("time", iso_time(r.received_ms));
  d.set("webhook", r.webhook_id ? r.project + " / " + r.webhook_name : std::string("(unknown token)"));
  if (r.webhook_id) d.set("webhook_id", std::to_string(r.webhook_id));
  opt(d, "sender", r.sender);
  d.set("status", std::to_string(r.status));
  opt(d, "verdict", r.verdict);
  d.set("outcome_text", mode == Mode::stored ? outcome_text(r.outcome) : std::string("not stored: nothing ran"));
  opt(d, "error", r.error);
  if (r.replay_of) d.set("replay_of", std::to_string(r.replay_of));
  opt(d, "delivery_id", r.delivery_id);
  d.set("why", why_text(v));
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
  else if (record->verdict.empty() || record->verdict == "signature_missing" || record->verdict == "signature_invalid")
    not_replayable = "it was refused before its signature was verified";
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
  ReplayResult r;
  const bool dry_run = trial || first(p.form, "mode") != "real";
  if (trial) {
    rapidjson::Document config;
    const std::string text = first(p.form, "config");
    config.Parse(text.data(), text.size());
    if (config.HasParseError() || !config.IsObject()) return p.fail(400, "The config must be a JSON object", back);
    r = p.ctx.deliveries.try_config(*record, text);
  } else {
    r = p.ctx.deliveries.replay(*record, dry_run, first(p.form, "runAgain") == "true");
  }
  if (!r.ok) {
    std::string err;
    std::vector<std::pair<std::string, std::string>> errors;
    api_error(r.error, err, errors);
    return p.fail(r.error.status, err, back);
  }
  if (r.stored) return redirect("/deliveries/" + std::to_string(r.record.id) + "?notice=replayed");
  const DeliveryView v = explain_delivery(r.record, p.ctx.outbox);
  data d = delivery_data(p, v, trial ? Mode::trial : Mode::dry_run);
  const std::string heading = (trial ? "Delivery #" + std::to_string(id) + " against the edited config"
                                     : "Dry run: delivery #" + std::to_string(id) + " against the current rules");
  d.set("heading", heading);
  return p.show(heading, "nav_deliveries", render("delivery.html", d));
}

HttpResponse requeue(Page &p, int64_t id) {
  const std::string back = first(p.form, "back");
  const std::string page_url = is_digits(back) ? "/deliveries/" + back : "/deliveries";
  HttpResponse error;
  if (!p.ctx.deliveries.requeue(id, first(p.form, "again") == "true", error)) {
    std::string err;
    std::vector<std::pair<std::string, std::string>> errors;
    api_error(error, err, errors);
    return p.fail(error.status, err, page_url);
  }
  return redirect(page_url + "?notice=requeued");
}

} // namespace

// ---------------------------------------------------------------------------------- routing

namespace {

HttpResponse static_file(std::string_view name) {
  static const std::map<std::string, const char *, std::less<>> types = {
      {"console.css", "text/css; charset=utf-8"},
      {"console.js", "text/javascript; charset=utf-8"},
      {"favicon.svg", "image/svg+xml"}};
  const auto type = types.find(name);
  if (type == types.end()) return {404, "text/plain; charset=utf-8", "not found"};
  return {200, type->second, std::string(console_asset(type->first))};
}

// Where a login may send the browser back to: a path of this console only ("//host" and a path
// with a backslash would leave it: browsers read a backslash as a slash).
std::string safe_next(const std::string &next) {
  const bool local = next.size() > 1 && next[0] == '/' && next[1] != '/' &&
                     next.find_first_of("\\\r\n\t") == std::string::npos;
  return local ? next : "/webhooks";
}

HttpResponse login(ConsoleContext &ctx, const HttpRequest &req) {
  const std::shared_ptr<const Runtime> rt = ctx.runtime.get();
  const ConsoleSettings &settings = rt->config().console;
  data d;
  std::string next(req.arg("next").value_or("/webhooks"));
  if (req.method == "POST") {
    const Form form = parse_form(req.body);
    next = first(form, "next");
    std::string why;
    if (!ConsoleAuth::same_origin(req, why)) {
      d.set("error", "Refused: " + why);
    } else {
      bool throttled = false;
      if (const auto s = ctx.auth.login(req, first(form, "token"), rt->console_token(), settings, throttled)) {
        HttpResponse r = redirect(safe_next(next));
        r.headers.emplace_back("Set-Cookie", ConsoleAuth::cookie(*s, settings));
        return r;
      }
      d.set("error", throttled ? "Too many wrong tokens from your address: wait a minute." : "Wrong token.");
    }
  }
  d.set("next", safe_next(next));
  return page(std::nullopt, "Log in", nullptr, render("login.html", d), req, req.method == "POST" ? 403 : 200);
}

HttpResponse route(Page &p) {
  const std::string &path = p.req.path;
  const bool get = p.req.method == "GET" || p.req.method == "HEAD";
  const bool post = p.req.method == "POST";
  std::vector<std::string> seg;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    seg.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (path == "/" && get) return redirect("/webhooks");
  if (seg[0] == "webhooks") {
    if (seg.size() == 1 && get) return webhooks_page(p);
    if (seg.size() == 2 && seg[1] == "new") return get ? new_webhook_page(p) : post ? save_webhook(p, std::nullopt) : p.fail(405, "Method not allowed", "/webhooks");
    if (seg.size() == 3 && seg[1] == "new" && seg[2] == "edit" && get) return new_webhook_editor(p);
    if (seg.size() >= 2 && is_digits(seg[1])) {
      const std::optional<StoredWebhook> hook = p.ctx.webhooks.find("", seg[1]);
      if (!hook) return p.fail(404, "Webhook " + seg[1] + " not found", "/webhooks");
      if (seg.size() == 2 && get) return editor(p, draft_of(*hook), {});
      if (seg.size() == 2 && post) return save_webhook(p, hook);
      if (seg.size() == 3 && seg[2] == "delete" && post) {
        const HttpResponse r = p.ctx.webhooks.remove(*hook);
        if (r.status == 200) return redirect("/webhooks?notice=deleted");
        std::string err;
        std::vector<std::pair<std::string, std::string>> errors;
        api_error(r, err, errors);
        return p.fail(r.status, err, "/webhooks/" + seg[1]);
      }
    }
  }
  if (seg[0] == "deliveries") {
    if (seg.size() == 1 && get) return deliveries_page(p);
    if (seg.size() >= 2 && is_digits(seg[1])) {
      const int64_t id = std::stoll(seg[1]);
      if (seg.size() == 2 && get) return delivery_page(p, id);
      if (seg.size() == 3 && seg[2] == "replay" && post) return replay_page(p, id, false);
      if (seg.size() == 3 && seg[2] == "try" && post) return replay_page(p, id, true);
    }
  }
  if (seg.size() == 3 && seg[0] == "jobs" && is_digits(seg[1]) && seg[2] == "requeue" && post)
    return requeue(p, std::stoll(seg[1]));
  return p.fail(404, "No such page: " + path, "/webhooks");
}

} // namespace

HttpResponse handle_console_page(ConsoleContext &ctx, const HttpRequest &req) {
  try {
    if (req.path.rfind("/static/", 0) == 0) return static_file(std::string_view(req.path).substr(8));
    if (req.path == "/favicon.ico") return static_file("favicon.svg");
    if (req.path == "/login") return login(ctx, req);
    const std::shared_ptr<const Runtime> rt = ctx.runtime.get();
    Page p{ctx, req, ctx.auth.session(req, rt->console_token()), {}};
    if (req.path == "/logout" && req.method == "POST") {
      std::string why;
      if (!ConsoleAuth::same_origin(req, why)) return message(p.session, req, 403, "Refused", why, "/webhooks");
      ctx.auth.logout(req);
      HttpResponse r = redirect("/login");
      r.headers.emplace_back("Set-Cookie", ConsoleAuth::clear_cookie(rt->config().console));
      return r;
    }
    if (!p.session) {
      if (req.method != "GET") return message(std::nullopt, req, 401, "Log in first", "Your session ended: log in again.", "/login");
      return redirect("/login?next=" + url_encode(req.path));
    }
    if (req.method == "POST") {
      p.form = parse_form(req.body);
      std::string why;
      if (!ConsoleAuth::csrf_ok(req, *p.session, first(p.form, "csrf"), why)) {
        log::warn("console: refused a form", {{"sender", req.sender}, {"reason", why}});
        return message(p.session, req, 403, "Refused", why, "/webhooks");
      }
    }
    return route(p);
  } catch (const OutboxError &e) {
    return message(std::nullopt, req, 503, "The database is not available", e.what(), "/webhooks");
  }
}

} // namespace rdwh::gateway
