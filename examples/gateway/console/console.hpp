// The console: a second listener (console.listen) serving Rundeck's webhook management API, Rundeck
// Enterprise's debug API and the rdwh extras (console/api/), and the browser pages
// (console/pages/). Here: which of the two a request goes to, who may use them, and the security
// headers of every answer. Everything needs the console token: in X-Rundeck-Auth-Token for
// /api/..., through a login (/login, /logout) and a session cookie for the pages. Every POST but
// the login needs a live session, its CSRF token and an Origin (else Referer) of this host.
#pragma once

#include "console/admin/admin.hpp"
#include "console/auth.hpp"
#include "http/server.hpp"
#include "runtime/loader.hpp"
#include "runtime/runtime.hpp"
#include "store/outbox.hpp"

#include <atomic>
#include <functional>

namespace rdwh::gateway {

class Console {
public:
  Console(const CurrentRuntime &runtime, Outbox &outbox, Loader &loader, std::function<void()> jobs_added)
      : admin_(runtime, outbox, loader, std::move(jobs_added)) {}
  HttpResponse handle(const HttpRequest &req);
  WebhookAdmin &webhooks() { return admin_.webhooks; }
  // The port the console listens on (console.listen may say 0), for the Origin check.
  void set_port(uint16_t port) { port_.store(port); }

private:
  // /api/... or a page; may throw (handle() answers 500 then).
  HttpResponse route(const HttpRequest &req);
  // Everything but /api/...: the pages, their static files, login and logout.
  HttpResponse page(const HttpRequest &req);
  HttpResponse login(const HttpRequest &req);
  HttpResponse logout(const HttpRequest &req, const std::optional<Session> &session);
  // A page for a visitor with a live session: a POST's form must carry its CSRF token.
  HttpResponse signed_in(const HttpRequest &req, const Session &session);

  // This console's own names for the Origin check (ConsoleAuth::own_hosts).
  std::vector<std::string> own_hosts(const ConsoleSettings &settings) const;

  Admin admin_;
  ConsoleAuth auth_;
  std::atomic<uint16_t> port_{0};
};

} // namespace rdwh::gateway
