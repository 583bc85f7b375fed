// The console's JSON API: Rundeck's webhook API, Rundeck Enterprise's debug API and the rdwh
// extras (the routes are listed in api.cpp). Every answer is JSON; errors in Rundeck's envelope
// (auth, versions, routes) or the webhook API's {"err": ...}.
#pragma once

#include "console/admin/admin.hpp"
#include "http/server.hpp"

#include <functional>
#include <optional>

namespace rdwh::gateway {

// nullopt when the request may go on; else the answer refusing it (in Rundeck's envelope for
// `api_version`, the version the request's path asks for).
using ApiAuthorize = std::function<std::optional<HttpResponse>(int api_version)>;

// /api/...: `authorize` is asked once the path names a supported version. `who`: what a webhook's
// history records for a change this call makes (ConsoleAuth::who_of_api_call).
HttpResponse handle_console_api(Admin &admin, const HttpRequest &req, const ApiAuthorize &authorize, std::string who);

} // namespace rdwh::gateway
