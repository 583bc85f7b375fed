// The console: a second listener (console.listen) serving Rundeck's webhook management API, Rundeck
// Enterprise's debug API and the rdwh extras (console/api/api.cpp), and the browser pages
// (console/pages/pages.cpp). Everything needs the console token: in X-Rundeck-Auth-Token for /api/...,
// through a login and a session cookie for the pages.
#pragma once

#include "console/auth.hpp"
#include "console/admin/deliveries.hpp"
#include "http/server.hpp"
#include "runtime/loader.hpp"
#include "store/outbox.hpp"
#include "rundeck/client.hpp"
#include "runtime/runtime.hpp"
#include "console/admin/webhooks.hpp"

#include <functional>
#include <string>
#include <vector>

namespace rdwh::gateway {

// What a provider offers an editor (rdwh.provider-ui/1), with its Rundeck title.
struct ProviderChoice {
  std::string name, title, description;
  std::string sample_action; // a rule as JSON text; "" when the provider has none
  struct Field {
    std::string path, title, example;
  };
  std::vector<Field> fields;
};

// Every provider the runtime's plugins offer, in plugin order.
std::vector<ProviderChoice> provider_choices(const Runtime &rt);

// The project's jobs from Rundeck (the job chooser), asked with the gateway's Rundeck token and a
// short timeout: a page or an API call never waits long on a slow Rundeck.
JobsOutcome project_jobs(const Runtime &rt, const std::string &project);

// The pieces the API and the pages share.
struct ConsoleContext {
  ConsoleContext(const CurrentRuntime &rt, Outbox &ob, Loader &loader, std::function<void()> jobs_added)
      : runtime(rt), outbox(ob), webhooks(ob, loader, rt), deliveries(ob, rt, std::move(jobs_added)) {}
  const CurrentRuntime &runtime;
  Outbox &outbox;
  ConsoleAuth auth;
  WebhookAdmin webhooks;
  DeliveryAdmin deliveries;
};

// /api/...: every answer JSON; errors in Rundeck's envelope (auth, versions, routes) or the
// webhook API's {"err": ...}.
HttpResponse handle_console_api(ConsoleContext &ctx, const HttpRequest &req);
// Everything else: the pages, their static files, login and logout.
HttpResponse handle_console_page(ConsoleContext &ctx, const HttpRequest &req);

class Console {
public:
  Console(const CurrentRuntime &runtime, Outbox &outbox, Loader &loader, std::function<void()> jobs_added)
      : ctx_(runtime, outbox, loader, std::move(jobs_added)) {}
  HttpResponse handle(const HttpRequest &req);
  WebhookAdmin &webhooks() { return ctx_.webhooks; }

private:
  ConsoleContext ctx_;
};

} // namespace rdwh::gateway
