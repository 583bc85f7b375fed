// What the console's page files share: the mustache data helpers, the layout, the visitor's page
// (Page), and the handlers each file offers the router (pages.cpp).
#pragma once

#include "console/admin/admin.hpp"
#include "console/pages/pages.hpp"

#include <kainjow/mustache.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::gateway {

std::string_view console_asset(std::string_view name); // console_assets.cpp (generated)

namespace pages {

using kainjow::mustache::data;

// The delivery outcomes as the pages name them, in the filter's order.
extern const std::vector<std::pair<const char *, const char *>> kOutcomes;
std::string outcome_text(std::string_view o);

// Sets `key` only when `value` is not empty: mustache treats any string, even "", as true.
void opt(data &d, const std::string &key, const std::string &value);
// A list of {name, value} objects ({key, message} for errors...) for a template.
data pair_list(const std::vector<std::pair<std::string, std::string>> &pairs, const char *first_key = "name",
               const char *second_key = "value");
// Every value of the field `name`.
std::vector<std::string> all(const Form &f, std::string_view name);

std::string render(std::string_view name, const data &d);
// A page inside the layout.
HttpResponse page(const std::optional<std::string> &csrf, const std::string &title, const char *nav,
                  const std::string &content, const HttpRequest &req, int status = 200);

// A signed-in visitor's request.
struct Page {
  Admin &ctx;
  const HttpRequest &req;
  std::string csrf; // the session's, echoed by every form
  const Form &form; // POST fields
  std::string who;  // what a webhook's history records for a change (ConsoleAuth::who_of_session)

  const ConsoleSettings &settings() const { return ctx.runtime.get()->config().console; }
  HttpResponse show(const std::string &title, const char *nav, const std::string &content, int status = 200) const {
    return page(csrf, title, nav, content, req, status);
  }
  HttpResponse fail(int status, const std::string &text, const std::string &back) const {
    return message_page(csrf, req, status, status == 404 ? "Not found" : "Cannot do that", text, back);
  }
  // A use case's refusal, on a page of its own.
  HttpResponse fail(const Refused &refused, const std::string &back) const;
};

// ------------------------------------------------------------------------------- editor.cpp
// GET /webhooks/{id}: the editor of a stored webhook.
HttpResponse edit_webhook_page(Page &p, const StoredWebhook &hook);
// GET /webhooks/new/edit: the editor of a new webhook, starting from the plugin's sample action.
HttpResponse new_webhook_editor(Page &p);
// POST /webhooks/new and /webhooks/{id}: the form as Rundeck's API body, then create or update.
HttpResponse save_webhook(Page &p, const std::optional<StoredWebhook> &existing);

// POST /webhooks/{id}/history/{version}/restore: that version saved again (WebhookAdmin::restore);
// a refusal shows in the editor, over that version's fields, as a Save's does.
HttpResponse restore_webhook(Page &p, const StoredWebhook &hook, int64_t version);

// ------------------------------------------------------------------------------ history.cpp
// GET /webhooks/{id}/history: the kept versions, each with its diff and a "Restore this version".
HttpResponse history_page(Page &p, const StoredWebhook &hook);

// ----------------------------------------------------------------------------- webhooks.cpp
HttpResponse webhooks_page(Page &p);
HttpResponse new_webhook_page(Page &p);
// POST /webhooks/{id}/delete; `back`: the webhook's page, where a refusal links to.
HttpResponse delete_webhook(Page &p, const StoredWebhook &hook, const std::string &back);

// --------------------------------------------------------------------------- deliveries.cpp
HttpResponse deliveries_page(Page &p);
HttpResponse delivery_page(Page &p, int64_t id);
// POST /deliveries/{id}/replay, or /deliveries/{id}/try (`trial`)
HttpResponse replay_page(Page &p, int64_t id, bool trial);
// POST /deliveries/{id}/reverify: verify a delivery refused for its signature again.
HttpResponse reverify_page(Page &p, int64_t id);
// POST /jobs/{id}/requeue
HttpResponse requeue(Page &p, int64_t id);
// GET /deliveries/bulk?action=requeue|replay&<the list's filter>: what a bulk action would do, with
// the confirm form carrying the ids it acts on; POST /deliveries/bulk: does it.
HttpResponse bulk_preview(Page &p);
HttpResponse bulk_run(Page &p);

} // namespace pages

} // namespace rdwh::gateway
