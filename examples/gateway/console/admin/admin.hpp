// The console's use cases, shared by its API and its pages: webhooks, deliveries and replays, and
// what an editor offers (the providers, a project's jobs).
#pragma once

#include "console/admin/deliveries.hpp"
#include "console/admin/webhooks.hpp"
#include "rundeck/client.hpp"
#include "runtime/loader.hpp"
#include "runtime/runtime.hpp"
#include "store/outbox.hpp"

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

struct Admin {
  Admin(const CurrentRuntime &rt, Outbox &ob, Loader &loader, std::function<void()> jobs_added)
      : runtime(rt), outbox(ob), webhooks(ob, loader, rt), deliveries(ob, rt, std::move(jobs_added)) {}
  const CurrentRuntime &runtime;
  Outbox &outbox;
  WebhookAdmin webhooks;
  DeliveryAdmin deliveries;
};

} // namespace rdwh::gateway
