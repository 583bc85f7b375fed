// The pages' routes (see pages.hpp), the static files and the login form.
#include "console/pages/pages.hpp"

#include "base/text.hpp"
#include "console/pages/page.hpp"

#include <map>

namespace rdwh::gateway {

using pages::Page;

namespace {

HttpResponse webhook_route(Page &p, const std::vector<std::string> &seg, bool get, bool post) {
  if (seg.size() == 1 && get) return pages::webhooks_page(p);
  if (seg.size() == 2 && seg[1] == "new") {
    if (get) return pages::new_webhook_page(p);
    return post ? pages::save_webhook(p, std::nullopt) : p.fail(405, "Method not allowed", "/webhooks");
  }
  if (seg.size() == 3 && seg[1] == "new" && seg[2] == "edit" && get) return pages::new_webhook_editor(p);
  if (seg.size() >= 2 && is_digits(seg[1])) {
    const std::optional<StoredWebhook> hook = p.ctx.webhooks.find("", seg[1]);
    if (!hook) return p.fail(404, "Webhook " + seg[1] + " not found", "/webhooks");
    if (seg.size() == 2 && get) return pages::edit_webhook_page(p, *hook);
    if (seg.size() == 2 && post) return pages::save_webhook(p, hook);
    if (seg.size() == 3 && seg[2] == "delete" && post) return pages::delete_webhook(p, *hook, "/webhooks/" + seg[1]);
    if (seg.size() == 3 && seg[2] == "history" && get) return pages::history_page(p, *hook);
    if (seg.size() == 5 && seg[2] == "history" && is_digits(seg[3]) && seg[4] == "restore" && post)
      return pages::restore_webhook(p, *hook, std::stoll(seg[3]));
  }
  return p.fail(404, "No such page: " + p.req.path, "/webhooks");
}

HttpResponse route(Page &p) {
  const std::string &path = p.req.path;
  const bool get = p.req.method == "GET" || p.req.method == "HEAD";
  const bool post = p.req.method == "POST";
  const std::vector<std::string> seg = split_path(path);
  if (path == "/" && get) return redirect("/webhooks");
  if (seg[0] == "webhooks") return webhook_route(p, seg, get, post);
  if (seg[0] == "deliveries") {
    if (seg.size() == 1 && get) return pages::deliveries_page(p);
    if (seg.size() == 2 && seg[1] == "bulk") return get ? pages::bulk_preview(p) : post ? pages::bulk_run(p)
                                                           : p.fail(405, "Method not allowed", "/deliveries");
    if (seg.size() >= 2 && is_digits(seg[1])) {
      const int64_t id = std::stoll(seg[1]);
      if (seg.size() == 2 && get) return pages::delivery_page(p, id);
      if (seg.size() == 3 && seg[2] == "replay" && post) return pages::replay_page(p, id, false);
      if (seg.size() == 3 && seg[2] == "try" && post) return pages::replay_page(p, id, true);
      if (seg.size() == 3 && seg[2] == "reverify" && post) return pages::reverify_page(p, id);
    }
  }
  if (seg.size() == 3 && seg[0] == "jobs" && is_digits(seg[1]) && seg[2] == "requeue" && post)
    return pages::requeue(p, std::stoll(seg[1]));
  return p.fail(404, "No such page: " + path, "/webhooks");
}

} // namespace

HttpResponse handle_console_page(Admin &admin, const HttpRequest &req, const std::string &csrf, const Form &form,
                                 std::string who) {
  Page p{admin, req, csrf, form, std::move(who)};
  return route(p);
}

HttpResponse static_file(std::string_view name) {
  static const std::map<std::string, const char *, std::less<>> types = {
      {"console.css", "text/css; charset=utf-8"},
      {"console.js", "text/javascript; charset=utf-8"},
      {"favicon.svg", "image/svg+xml"}};
  const auto type = types.find(name);
  if (type == types.end()) return {404, "text/plain; charset=utf-8", "not found"};
  return {200, type->second, std::string(console_asset(type->first))};
}

HttpResponse login_page(const HttpRequest &req, const std::string &error, const std::string &next, int status) {
  pages::data d;
  pages::opt(d, "error", error);
  d.set("next", next);
  return pages::page(std::nullopt, "Log in", nullptr, pages::render("login.html", d), req, status);
}

} // namespace rdwh::gateway
