// A webhook's history: its kept versions, each with a line diff against the version before.
#include "console/pages/page.hpp"

#include "base/json.hpp"
#include "base/line_diff.hpp"
#include "console/admin/delivery_view.hpp"

namespace rdwh::gateway::pages {

namespace {

// A version's webhook as the diff compares it: indented JSON, one field a line.
std::string pretty_version(const WebhookVersion &v) {
  rapidjson::Document d;
  d.Parse(v.webhook_json.data(), v.webhook_json.size());
  return d.HasParseError() ? v.webhook_json : pretty_json(d);
}

data diff_data(const std::string &before, const std::string &after) {
  data lines(data::type::list);
  for (const DiffLine &l : line_diff(before, after)) {
    data line;
    line.set("op", std::string(1, l.op == '~' ? ' ' : l.op));
    line.set("kind", l.op == '+' ? "added" : l.op == '-' ? "removed" : l.op == '~' ? "skipped" : "same");
    line.set("text", l.op == '~' ? "… " + l.text : l.text);
    lines.push_back(line);
  }
  return lines;
}

} // namespace

HttpResponse history_page(Page &p, const StoredWebhook &hook) {
  const std::vector<WebhookVersion> versions = p.ctx.webhooks.history(hook); // newest first
  const std::string read_only = p.ctx.webhooks.read_only_reason(hook);
  data list(data::type::list);
  for (size_t i = 0; i < versions.size(); ++i) {
    const WebhookVersion &v = versions[i];
    data row;
    row.set("id", std::to_string(hook.id));
    row.set("version", std::to_string(v.version));
    row.set("action", v.action);
    row.set("time", iso_time(v.at_ms));
    row.set("who", v.who);
    row.set("csrf", p.csrf);
    row.set("diff", diff_data(i + 1 < versions.size() ? pretty_version(versions[i + 1]) : "", pretty_version(v)));
    // The newest version is the webhook as it is: nothing to restore.
    if (read_only.empty() && i > 0 && v.action != "delete") row.set("restorable", true);
    list.push_back(row);
  }
  data d;
  d.set("id", std::to_string(hook.id));
  d.set("name", hook.name);
  d.set("kept", std::to_string(kHistoryVersions));
  opt(d, "read_only", read_only);
  d.set("versions", list);
  if (!versions.empty()) d.set("has_versions", true);
  return p.show("History of " + hook.name, "nav_webhooks", render("history.html", d));
}

} // namespace rdwh::gateway::pages
