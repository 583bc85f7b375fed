// What the gateway answers: the webhook endpoint (Rundeck's POST /api/{v}/webhook/{authToken}),
// /healthz and /metrics. A delivery is answered 2xx only once its jobs are committed to the outbox.
//
// A job's identity (the outbox's de-duplication key) is what the sender signed: the webhook (its
// uuid, else its project and name), the event's key from the plugin (for V3, the event id inside
// the signed body; then eventIdKey; then X-Webhook-Id), and the rule's key (uuid or name, stable
// when rules are reordered). Only when nothing identifies the event does the delivery id (the
// X-Webhook-Id header, or a random one) stand in. Events older than maxEventAge run nothing.
#pragma once

#include "intake/clock_skew.hpp"
#include "intake/pipeline.hpp"
#include "intake/recorder.hpp"
#include "base/rate.hpp"
#include "http/server.hpp"
#include "base/metrics.hpp"
#include "store/outbox.hpp"
#include "runtime/runtime.hpp"

#include <atomic>
#include <functional>
#include <optional>

namespace rdwh::gateway {

class Service {
public:
  // jobs_added: called after a delivery committed new jobs (wakes the dispatcher).
  // degraded: why dispatching is degraded ("" when it is not), for /healthz and /metrics.
  // recorder: writes the delivery store's records of deliveries without jobs and says whether records
  // are kept now; nullptr: none are.
  Service(const CurrentRuntime &runtime, Outbox &outbox, Metrics &metrics, std::function<void()> jobs_added,
          std::function<std::string()> degraded, DeliveryRecorder *recorder = nullptr)
      : runtime_(runtime), outbox_(outbox), metrics_(metrics), degraded_(std::move(degraded)), recorder_(recorder),
        pipeline_(outbox, std::move(jobs_added), &metrics) {}

  HttpResponse handle(const HttpRequest &req);

private:
  struct Delivery; // one delivery being answered (listener.cpp)
  HttpResponse deliver(const HttpRequest &req, std::string_view token);
  std::optional<HttpResponse> refusal(const Delivery &d) const;
  HttpResponse process(Delivery &d);
  HttpResponse answer(Delivery &d, HttpResponse r);
  void watch_clock(const Delivery &d);
  // Why /healthz says degraded, by part ("" where it is not): /metrics shows each as a gauge.
  struct Degraded {
    std::string dispatch, store, clock;
  };
  Degraded degraded() const;
  std::string degraded_reason() const; // the parts joined, "" when none

  const CurrentRuntime &runtime_;
  Outbox &outbox_;
  Metrics &metrics_;
  std::function<std::string()> degraded_;
  DeliveryRecorder *recorder_;
  IntakePipeline pipeline_;
  std::atomic<int64_t> in_flight_{0}; // requests inside handle()
  // Anyone can post to an unknown token: a sample of those is recorded, the rest only counted.
  RateBudget unknown_token_records_{1, 10};
  SkewWatch skew_;                    // whether our clock looks ahead of PagerDuty's
};

} // namespace rdwh::gateway
