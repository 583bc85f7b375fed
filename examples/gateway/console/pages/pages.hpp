// The console's pages: server-rendered HTML from the mustache templates in console/assets/
// (kainjow's mustache, which escapes every {{value}}), embedded in the binary with the stylesheet
// and the small script (console_assets.cpp, generated at build time). Who may see them (the login,
// the session, its CSRF token) is the console's business (console/console.cpp): these functions
// render and act.
//
//   /webhooks                              the list: Post URLs with a copy button
//   /webhooks/new -> /webhooks/new/edit    Rundeck's flow: name, project, plugin; then the editor
//                                          with the plugin's sample action filled in
//   /webhooks/{id} (POST: save) /webhooks/{id}/delete
//   /deliveries[?webhook=&outcome=&ranNothing=1&from=&to=&before=]   newest first
//   /deliveries/bulk?action=requeue|replay&<filter> (POST: confirm, with the previewed ids)
//   /deliveries/{id}                       why each rule fired or not, the jobs and their state
//   /deliveries/{id}/replay (mode=dry|real, runAgain) /deliveries/{id}/try (config)
//   /deliveries/{id}/reverify
//   /jobs/{id}/requeue
#pragma once

#include "console/admin/admin.hpp"
#include "http/server.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::gateway {

using Form = std::vector<std::pair<std::string, std::string>>; // a POST's fields, in order

// The first value of the field `name` ("" when absent).
std::string form_field(const Form &f, std::string_view name);

// A page for a signed-in visitor whose forms echo `csrf`; `form`: a POST's fields (checked).
HttpResponse handle_console_page(Admin &admin, const HttpRequest &req, const std::string &csrf, const Form &form,
                                 std::string who);

// The stylesheet, the script and the icon ("console.css"...); 404 for any other name.
HttpResponse static_file(std::string_view name);
// 303 to `to`.
HttpResponse redirect(const std::string &to);
// The login form, sending the browser to `next` once logged in; `error` above it ("" for none).
HttpResponse login_page(const HttpRequest &req, const std::string &error, const std::string &next, int status);
// A sentence on a page of its own, with a link back; `csrf`: the visitor's session (nullopt: none).
HttpResponse message_page(const std::optional<std::string> &csrf, const HttpRequest &req, int status,
                          const std::string &heading, const std::string &text, const std::string &back);

} // namespace rdwh::gateway
