#include "dispatch/dispatcher.hpp"

#include "base/clock.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"

#include <unistd.h>

#include <chrono>

namespace rdwh::gateway {

std::string make_owner_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + random_uuid().substr(0, 8);
}

Dispatcher::Dispatcher(Outbox &outbox, Metrics &metrics, const CurrentRuntime &runtime, std::string owner,
                       bool take_over_others)
    : outbox_(outbox), metrics_(metrics), runtime_(runtime), base_owner_(std::move(owner)),
      take_over_others_(take_over_others), owner_(base_owner_) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  const unsigned n = runtime_.get()->config().rundeck.max_concurrent_calls;
  for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
  coordinator_ = std::thread([this] { coordinate(); });
}

void Dispatcher::notify() {
  std::lock_guard lock(mu_);
  wake_ = true;
  wake_cv_.notify_all();
}

void Dispatcher::notify_reloaded() {
  std::lock_guard lock(mu_);
  pause_until_ms_ = 0;
  wake_ = true;
  wake_cv_.notify_all();
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !coordinator_.joinable()) return;
    stop_ = true;
    abort_ = true;
    wake_cv_.notify_all();
    work_cv_.notify_all();
  }
  for (std::thread &w : workers_)
    if (w.joinable()) w.join();
  if (coordinator_.joinable()) coordinator_.join();
}

std::string Dispatcher::degraded_reason() const {
  std::lock_guard lock(mu_);
  return auth_failing_ ? auth_reason_ : std::string();
}

void Dispatcher::note_token(Verdict::Token token, const OutboxJob &job, const Runtime &rt, long http_status,
                            const std::string &reason) {
  if (token == Verdict::Token::accepted) auth_ok();
  else if (token == Verdict::Token::refused) auth_failed(job, rt, http_status, reason);
}

void Dispatcher::auth_failed(const OutboxJob &job, const Runtime &rt, long http_status, const std::string &reason) {
  const RundeckSettings &rd = rt.config().rundeck;
  metrics_.rundeck_auth_failure();
  std::lock_guard lock(mu_);
  ++auth_failures_;
  pause_until_ms_ = mono_ms() + retry_delay_ms(auth_failures_, rd.retry, rng_);
  const bool first = !auth_failing_;
  auth_failing_ = true;
  auth_reason_ = "Rundeck refuses the API token read from " + rd.auth_token_file + " (HTTP " +
                 std::to_string(http_status) + ": " + reason + "); jobs stay queued until it is fixed";
  if (first)
    log::error("Rundeck refuses the API token; jobs stay queued. Fix the token file and reload (SIGHUP)",
               {{"tokenFile", rd.auth_token_file}, {"status", http_status}, {"reason", reason},
                {"job_row", job.id}, {"webhook", job.webhook_name}});
}

void Dispatcher::auth_ok() {
  std::lock_guard lock(mu_);
  if (!auth_failing_) return;
  auth_failing_ = false;
  auth_failures_ = 0;
  pause_until_ms_ = 0;
  log::info("Rundeck accepts the API token again; dispatching resumes");
}

} // namespace rdwh::gateway
