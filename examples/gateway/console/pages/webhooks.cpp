// The webhook list (with each Post URL), the first step of adding one, and deleting one.
#include "console/pages/page.hpp"

#include <map>
#include <set>

namespace rdwh::gateway::pages {

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


HttpResponse delete_webhook(Page &p, const StoredWebhook &hook, const std::string &back) {
  const Outcome<Done> r = p.ctx.webhooks.remove(hook, p.who);
  if (!r) return p.fail(r.refused(), back);
  return redirect("/webhooks?notice=deleted");
}

} // namespace rdwh::gateway::pages
