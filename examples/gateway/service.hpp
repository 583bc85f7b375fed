// What the gateway answers: the webhook endpoint (Rundeck's POST /api/{v}/webhook/{authToken}),
// /healthz and /metrics. A delivery is answered 2xx only once its jobs are committed to the outbox.
#pragma once

#include "http_server.hpp"
#include "metrics.hpp"
#include "outbox.hpp"
#include "runtime.hpp"

#include <atomic>
#include <functional>

namespace rdwh::gateway {

class Service {
public:
  // jobs_added: called after a delivery committed new jobs (wakes the dispatcher).
  Service(const CurrentRuntime &runtime, Outbox &outbox, Metrics &metrics, std::function<void()> jobs_added)
      : runtime_(runtime), outbox_(outbox), metrics_(metrics), jobs_added_(std::move(jobs_added)) {}

  HttpResponse handle(const HttpRequest &req);

private:
  HttpResponse deliver(const HttpRequest &req, std::string_view token);

  const CurrentRuntime &runtime_;
  Outbox &outbox_;
  Metrics &metrics_;
  std::function<void()> jobs_added_;
  std::atomic<int64_t> in_flight_{0}; // requests inside handle()
};

} // namespace rdwh::gateway
