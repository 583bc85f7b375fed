// The webhook editor: a webhook's config as a form (each action a block of rows: conditions,
// job, options), and the form back to Rundeck's create/update body.
#include "console/pages/page.hpp"

#include "base/json.hpp"

#include <charconv>

namespace rdwh::gateway::pages {

namespace {

const std::vector<std::pair<const char *, const char *>> kConditionTypes = {
    {"equals", "equals"},           {"contains", "contains"},         {"exists", "exists"},
    {"isA", "is a (type)"},         {"dateTimeAfter", "is after (date-time)"},
    {"dateTimeBefore", "is before (date-time)"},
};

// A webhook as the editor shows it (stored, or as submitted).
struct Draft {
  int64_t id = 0; // 0: not created yet
  std::string name, project, provider;
  bool enabled = true, use_auth = false, read_only = false;
  std::string config_json = "{}";
  FollowUpSettings follow_up;
  std::string output_lines = "10"; // as typed: a wrong value is shown again, next to its error
};

// A new action: what the form's blank rule stands for.
constexpr const char *kBlankRule = R"({"name":"","enabled":true,"policy":"all","jobId":"","jobOptions":[],"conditions":[]})";

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
  // The action as stored: a Save compares each field with what it showed, and writes back the
  // stored value of every field the user left alone (and every key the form does not show).
  r.set("orig", to_json(rule));
  r.set("name", string_member(rule, "name").value_or(""));
  // Always set, true or false: a missing key would be looked up in the webhook's own data.
  r.set("enabled", bool_member(rule, "enabled").value_or(true));
  r.set("policy_all", string_member(rule, "policy").value_or("all") != "any");
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

// A refusal as the editor shows it: its reason above the form, the field's error by its name.
EditorNotes notes_of(const Refused &r) {
  EditorNotes notes{r.reason, "", {}};
  if (!r.field_error.empty()) notes.errors.emplace_back(r.field, r.field_error);
  notes.errors.insert(notes.errors.end(), r.more.begin(), r.more.end());
  if (!r.more.empty()) notes.error = "The webhook is not saved: what is wrong is shown next to each field.";
  return notes;
}

// The errors of `notes` about `field` exactly, or (`prefix`) about it and what is inside it.
std::string errors_about(const EditorNotes &notes, const std::string &field, bool prefix = false) {
  std::string out;
  for (const auto &[f, why] : notes.errors)
    if (f == field || (prefix && (f.rfind(field + ".", 0) == 0 || f.rfind(field + "[", 0) == 0)))
      out += (out.empty() ? "" : " ") + why;
  return out;
}

// The errors of action `i` next to its fields: its job's by the job, the others at its top.
void set_rule_errors(data &r, const EditorNotes &notes, size_t i) {
  const std::string rule = "rules[" + std::to_string(i) + "]";
  const std::string job = errors_about(notes, rule + ".jobId");
  std::string rest;
  for (const auto &[f, why] : notes.errors)
    if ((f == rule || f.rfind(rule + ".", 0) == 0 || f.rfind(rule + "[", 0) == 0) && f != rule + ".jobId")
      rest += (rest.empty() ? "" : " ") + why;
  opt(r, "job_error", job);
  opt(r, "rule_error", rest);
}

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
void set_config(data &d, const rapidjson::Value &config, const JobsOutcome &jobs, const EditorNotes &notes) {
  d.set("original", to_json(config));
  opt(d, "key_storage_path_error", errors_about(notes, "keyStoragePath"));
  opt(d, "batch_key_error", errors_about(notes, "batchKey"));
  opt(d, "event_id_key_error", errors_about(notes, "eventIdKey"));
  d.set("key_storage_path", string_member(config, "keyStoragePath").value_or(""));
  d.set("batch_key", string_member(config, "batchKey").value_or(""));
  d.set("event_id_key", string_member(config, "eventIdKey").value_or(""));
  if (bool_member(config, "returnProcessingInfo").value_or(false)) d.set("return_info", true);
  data rules(data::type::list);
  if (config.HasMember("rules") && config["rules"].IsArray())
    for (rapidjson::SizeType i = 0; i < config["rules"].Size(); ++i)
      if (config["rules"][i].IsObject()) {
        data r = rule_data(config["rules"][i], std::to_string(i), jobs);
        set_rule_errors(r, notes, i);
        rules.push_back(r);
      }
  d.set("rules", rules);
  rapidjson::Document blank;
  blank.Parse(kBlankRule);
  d.set("blank_rule", rule_data(blank, "__N__", jobs));
  if (!jobs.ok) d.set("jobs_error", jobs.reason);
}

// What the plugin and lint find in the stored config, shown above the form; after a Save, what
// the preflight against Rundeck found too (it asks Rundeck: not on every view).
void set_warnings(data &d, const std::vector<ConfigFinding> &findings) {
  std::vector<std::pair<std::string, std::string>> list;
  for (const ConfigFinding &f : findings) list.emplace_back(f.field, f.text());
  if (list.empty()) return;
  d.set("warnings", pair_list(list, "key", "message"));
  d.set("has_warnings", true);
}

// The follow-up's fields and their errors. The gateway's refusal (no "pagerduty" section) names
// followUp itself: shown by the checkboxes.
void set_follow_up(data &d, const Draft &draft, const EditorNotes &notes) {
  if (draft.follow_up.note) d.set("follow_up_note", true);
  if (draft.follow_up.resolve_on_success) d.set("follow_up_resolve", true);
  d.set("follow_up_output_lines", draft.output_lines);
  std::string checkboxes = errors_about(notes, "followUp");
  for (const char *key : {"followUp.note", "followUp.resolveOnSuccess"})
    if (const std::string e = errors_about(notes, key); !e.empty()) checkboxes += (checkboxes.empty() ? "" : " ") + e;
  opt(d, "follow_up_error", checkboxes);
  opt(d, "output_lines_error", errors_about(notes, "followUp.outputLines"));
}

HttpResponse editor(Page &p, const Draft &draft, const EditorNotes &notes, int status = 200, bool after_save = false) {
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
  d.set("csrf", p.csrf);
  d.set("provider", provider->name);
  d.set("provider_title", provider->title);
  d.set("name", draft.name);
  d.set("project", draft.project);
  if (draft.enabled) d.set("enabled", true);
  if (draft.use_auth) d.set("use_auth", true);
  set_follow_up(d, draft, notes);
  d.set("signed", true);
  set_config(d, config, project_jobs(*rt, draft.project), notes);
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
      if (notes.error.empty()) {
        std::vector<ConfigFinding> found = p.ctx.webhooks.findings(*stored);
        if (after_save) {
          std::vector<ConfigFinding> more = p.ctx.webhooks.preflight(*stored);
          found.insert(found.end(), more.begin(), more.end());
        }
        set_warnings(d, found);
      }
    }
  }
  d.set("rule", kainjow::mustache::partial([] { return std::string(console_asset("rule.html")); }));
  return p.show(draft.id ? draft.name : "New webhook", "nav_webhooks", render("edit.html", d), status);
}

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value text_value(const std::string &s, Allocator &a) {
  return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// An object parsed from a hidden field (the stored config or action); `fallback` when it is not one.
void parse_object(const std::string &text, const char *fallback, rapidjson::Document &out) {
  out.Parse(text.data(), text.size());
  if (out.HasParseError() || !out.IsObject()) out.Parse(fallback);
}

// `key` of `obj` becomes `now` only when `now` differs from what the form showed (`shown`): a
// field the user left alone keeps its stored value, or stays absent. `drop_empty`: an empty
// string removes the key (optional text fields).
void put(rapidjson::Value &obj, const char *key, rapidjson::Value now, const rapidjson::Value &shown, Allocator &a,
         bool drop_empty = false) {
  if (now == shown) return;
  obj.RemoveMember(key);
  if (drop_empty && now.IsString() && now.GetStringLength() == 0) return;
  obj.AddMember(rapidjson::Value(key, a), now, a);
}

void put_text(rapidjson::Value &obj, const char *key, const std::string &now, Allocator &a, bool drop_empty = false) {
  const std::string shown = string_member(obj, key).value_or("");
  put(obj, key, text_value(now, a), rapidjson::Value(shown.c_str(), a), a, drop_empty);
}

void put_bool(rapidjson::Value &obj, const char *key, bool now, bool shown_default, Allocator &a) {
  put(obj, key, rapidjson::Value(now), rapidjson::Value(bool_member(obj, key).value_or(shown_default)), a);
}

// A condition row as the form submits it.
rapidjson::Value condition_row(const std::string &path, const std::string &type, const std::string &value,
                               Allocator &a) {
  rapidjson::Value c(rapidjson::kObjectType);
  c.AddMember("path", text_value(path, a), a);
  c.AddMember("condition", text_value(type, a), a);
  c.AddMember("value", text_value(value, a), a);
  return c;
}

// The conditions the form showed for `rule`, as it would submit them untouched.
rapidjson::Value shown_conditions(const rapidjson::Value &rule, Allocator &a) {
  rapidjson::Value out(rapidjson::kArrayType);
  if (!rule.HasMember("conditions") || !rule["conditions"].IsArray()) return out;
  if (!plain_conditions(rule["conditions"])) return rapidjson::Value(rule["conditions"], a); // the JSON text
  for (const auto &c : rule["conditions"].GetArray()) {
    const std::string path = string_member(c, "path").value_or(""), value = string_member(c, "value").value_or("");
    if (!path.empty() || !value.empty())
      out.PushBack(condition_row(path, string_member(c, "condition").value_or("equals"), value, a), a);
  }
  return out;
}

// The job options the form showed for `rule`, as it would submit them untouched.
rapidjson::Value shown_options(const rapidjson::Value &rule, Allocator &a) {
  rapidjson::Value out(rapidjson::kArrayType);
  if (!rule.HasMember("jobOptions") || !rule["jobOptions"].IsArray()) return out;
  for (const auto &o : rule["jobOptions"].GetArray()) {
    const std::string name = string_member(o, "name").value_or("");
    if (name.empty()) continue;
    rapidjson::Value opt(rapidjson::kObjectType);
    opt.AddMember("name", text_value(name, a), a);
    opt.AddMember("value", text_value(string_member(o, "value").value_or(""), a), a);
    out.PushBack(opt, a);
  }
  return out;
}

// The conditions of the action whose fields start with `p`: JSON text, or rows.
bool conditions_from_form(const Form &f, const std::string &p, rapidjson::Value &out, Allocator &a, std::string &why) {
  out.SetArray();
  if (const std::string json = form_field(f, p + "conditions"); !json.empty()) {
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    if (d.HasParseError() || !d.IsArray()) {
      why = "the conditions of action '" + form_field(f, p + "name") + "' are not a JSON list";
      return false;
    }
    out.CopyFrom(d, a);
    return true;
  }
  const auto paths = all(f, p + "cond.path"), types = all(f, p + "cond.condition"), values = all(f, p + "cond.value");
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string value = i < values.size() ? values[i] : "";
    if (paths[i].empty() && value.empty()) continue; // a row left empty
    out.PushBack(condition_row(paths[i], i < types.size() ? types[i] : "equals", value, a), a);
  }
  return true;
}

// One action (rule) from the fields "r<n>.*": the action as stored ("r<n>.orig"), with the fields
// the user changed.
bool rule_from_form(const Form &f, const std::string &n, rapidjson::Value &rule, Allocator &a, std::string &why) {
  const std::string p = "r" + n + ".";
  rapidjson::Document orig;
  parse_object(form_field(f, p + "orig"), kBlankRule, orig);
  rule.CopyFrom(orig, a);
  put_text(rule, "name", form_field(f, p + "name"), a);
  put_bool(rule, "enabled", form_field(f, p + "enabled") == "true", true, a);
  const std::string shown_policy = string_member(orig, "policy").value_or("all") == "any" ? "any" : "all";
  put(rule, "policy", text_value(form_field(f, p + "policy") == "any" ? "any" : "all", a),
      text_value(shown_policy, a), a);
  put_text(rule, "jobId", form_field(f, p + "jobId"), a);
  rapidjson::Value options(rapidjson::kArrayType);
  const auto names = all(f, p + "opt.name"), values = all(f, p + "opt.value");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    rapidjson::Value o(rapidjson::kObjectType);
    o.AddMember("name", text_value(names[i], a), a);
    o.AddMember("value", text_value(i < values.size() ? values[i] : "", a), a);
    options.PushBack(o, a);
  }
  put(rule, "jobOptions", std::move(options), shown_options(orig, a), a);
  for (const char *key : {"nodeFilter", "user"}) put_text(rule, key, form_field(f, p + key), a, true);
  rapidjson::Value conditions;
  if (!conditions_from_form(f, p, conditions, a, why)) return false;
  put(rule, "conditions", std::move(conditions), shown_conditions(orig, a), a);
  return true;
}

// The config the editor's form describes: the stored one ("original"), with the fields the user
// changed; false with `why` when a JSON part is not valid.
bool config_from_form(const Form &f, rapidjson::Document &config, std::string &why) {
  auto &a = config.GetAllocator();
  parse_object(form_field(f, "original"), "{}", config);
  for (const char *key : {"keyStoragePath", "batchKey", "eventIdKey"}) put_text(config, key, form_field(f, key), a, true);
  put_bool(config, "returnProcessingInfo", form_field(f, "returnProcessingInfo") == "true", false, a);
  rapidjson::Value rules(rapidjson::kArrayType);
  for (const std::string &n : all(f, "rule")) {
    rapidjson::Value rule;
    if (!rule_from_form(f, n, rule, a, why)) return false;
    rules.PushBack(rule, a);
  }
  rapidjson::Value shown_rules(rapidjson::kArrayType);
  if (config.HasMember("rules") && config["rules"].IsArray())
    for (const auto &r : config["rules"].GetArray())
      if (r.IsObject()) shown_rules.PushBack(rapidjson::Value(r, a), a);
  put(config, "rules", std::move(rules), shown_rules, a);
  return true;
}

// The form's followUp as the API's: outputLines a number when it is one, else the text as typed,
// so the one reader (config/config.hpp's read_follow_up) says what is wrong with it.
rapidjson::Value follow_up_body(const Draft &draft, Allocator &a) {
  rapidjson::Value fu(rapidjson::kObjectType);
  fu.AddMember("note", draft.follow_up.note, a);
  fu.AddMember("resolveOnSuccess", draft.follow_up.resolve_on_success, a);
  int64_t lines = 0;
  const std::string &typed = draft.output_lines;
  const auto [end, ec] = std::from_chars(typed.data(), typed.data() + typed.size(), lines);
  if (typed.empty()) return fu; // the default
  if (ec == std::errc() && end == typed.data() + typed.size()) fu.AddMember("outputLines", lines, a);
  else fu.AddMember("outputLines", rapidjson::Value(typed.c_str(), a), a);
  return fu;
}

Draft draft_from_form(const Form &f, int64_t id) {
  Draft d;
  d.id = id;
  d.name = form_field(f, "name");
  d.project = form_field(f, "project");
  d.provider = form_field(f, "provider");
  d.enabled = form_field(f, "enabled") == "true";
  d.use_auth = form_field(f, "useAuth") == "true";
  d.follow_up.note = form_field(f, "followUpNote") == "true";
  d.follow_up.resolve_on_success = form_field(f, "followUpResolveOnSuccess") == "true";
  d.output_lines = form_field(f, "followUpOutputLines");
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
  d.follow_up = w.follow_up;
  d.output_lines = std::to_string(w.follow_up.output_lines);
  return d;
}


} // namespace

// After a Save (?notice=saved) it shows the preflight's findings too.
HttpResponse edit_webhook_page(Page &p, const StoredWebhook &hook) {
  return editor(p, draft_of(hook), {}, 200, p.req.arg("notice").value_or("") == "saved");
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
  body.AddMember("regenAuth", form_field(p.form, "regenAuth") == "true", a);
  body.AddMember("config", rapidjson::Value(config, a), a);
  body.AddMember("followUp", follow_up_body(draft, a), a);
  if (draft.project.empty()) return editor(p, draft, {"the project is required", "", {}}, 400);
  const Outcome<SavedWebhook> r =
      existing ? p.ctx.webhooks.update(*existing, body, p.who)
               : p.ctx.webhooks.create(draft.project, body, "console", p.who);
  if (!r) return editor(p, draft, notes_of(r.refused()), status_of(r.refused().kind));
  if (r->generated_secret.empty()) return redirect("/webhooks/" + std::to_string(r->id) + "?notice=saved");
  const auto stored = p.ctx.webhooks.find("", std::to_string(r->id));
  if (!stored) return redirect("/webhooks");
  return editor(p, draft_of(*stored), {"", r->generated_secret, {}}, 200, true);
}

HttpResponse restore_webhook(Page &p, const StoredWebhook &hook, int64_t version) {
  const Outcome<SavedWebhook> r = p.ctx.webhooks.restore(hook, version, p.who);
  if (r) return redirect("/webhooks/" + std::to_string(hook.id) + "?notice=saved");
  const std::string back = "/webhooks/" + std::to_string(hook.id) + "/history";
  if (r.refused().kind != Refusal::invalid) return p.fail(r.refused(), back);
  // What the save refused, over the version's fields, as the editor shows a Save's refusal.
  Draft draft = draft_of(hook);
  for (const WebhookVersion &v : p.ctx.webhooks.history(hook)) {
    if (v.version != version) continue;
    rapidjson::Document body;
    WebhookAdmin::restore_body(hook, v, body);
    draft.name = string_member(body, "name").value_or(draft.name);
    draft.enabled = bool_member(body, "enabled").value_or(draft.enabled);
    if (body.HasMember("config") && body["config"].IsObject()) draft.config_json = to_json(body["config"]);
    if (body.HasMember("followUp")) {
      draft.follow_up = {};
      read_follow_up(body["followUp"], "followUp", draft.follow_up);
      draft.output_lines = std::to_string(draft.follow_up.output_lines);
    }
  }
  return editor(p, draft, notes_of(r.refused()), status_of(r.refused().kind));
}

} // namespace rdwh::gateway::pages
