#include "runtime/loader.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"

#include <chrono>
#include <filesystem>

namespace rdwh::gateway {

namespace {

constexpr auto kPoll = std::chrono::seconds(1);

} // namespace

std::vector<WebhookConfig> api_webhooks(Outbox &outbox) {
  std::vector<WebhookConfig> out;
  for (const StoredWebhook &w : outbox.webhooks().list(""))
    if (!w.from_file) out.push_back(w.to_config());
  return out;
}

Loader::Loader(std::string config_path)
    : path_(std::move(config_path)), absolute_(std::filesystem::absolute(path_).lexically_normal().string()) {}

std::shared_ptr<const Runtime> Loader::build_with_table(Config config, Outbox &outbox, const Runtime *reuse) {
  const int64_t version = outbox.webhooks().version(); // before the read: a change after it is seen next time
  std::shared_ptr<const Runtime> rt = Runtime::build(std::move(config), api_webhooks(outbox), reuse);
  version_ = version;
  return rt;
}

std::shared_ptr<const Runtime> Loader::load(Outbox *outbox) {
  std::lock_guard lock(mu_);
  return load_locked(outbox);
}

std::shared_ptr<const Runtime> Loader::load_locked(Outbox *outbox) {
  Config config = load_config(path_);
  std::shared_ptr<const Runtime> rt;
  if (outbox) {
    try {
      for (const std::string &w : outbox->webhooks().sync_file(config.webhooks, now_ms())) log::warn(w);
    } catch (const WebhookConflict &e) {
      throw ConfigError(std::string("webhooks: ") + e.what());
    }
    rt = build_with_table(std::move(config), *outbox);
  } else {
    rt = Runtime::build(std::move(config));
  }
  log::Level level = log::Level::info;
  log::parse_level(rt->config().log_level, level);
  log::set_min_level(level);
  return rt;
}

void Loader::start(Outbox &outbox, CurrentRuntime &current, std::function<void()> changed) {
  outbox_ = &outbox;
  current_ = &current;
  changed_ = std::move(changed);
  watcher_ = std::thread([this] { watch(); });
}

void Loader::rebuild() {
  if (!outbox_) return;
  std::shared_ptr<const Runtime> next;
  {
    std::lock_guard lock(mu_);
    try {
      const std::shared_ptr<const Runtime> running = current_->get();
      next = build_with_table(running->config(), *outbox_, running.get());
    } catch (const std::exception &e) {
      log::error("webhooks changed but cannot be applied; keeping the running ones", {{"error", e.what()}});
      return;
    }
    current_->set(next);
  }
  log::info("webhooks applied", {{"version", version_}, {"handlersReused", next->reused_handlers()}});
  if (changed_) changed_();
}

bool Loader::reload() {
  {
    // Built and swapped under the lock: a rebuild for a webhook change cannot slip in between
    // with the old file's config.
    std::lock_guard lock(mu_);
    try {
      current_->set(load_locked(outbox_));
    } catch (const std::exception &e) {
      log::error("config reload failed; keeping the running config", {{"config", path_}, {"error", e.what()}});
      return false;
    }
  }
  if (changed_) changed_();
  return true;
}

void Loader::watch() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, kPoll, [this] { return stop_; })) {
    lock.unlock();
    int64_t version = -1;
    try {
      version = outbox_->webhooks().version();
    } catch (const OutboxError &) {
      // The database is unreachable: deliveries say so (503); try again at the next poll.
    }
    int64_t known;
    {
      std::lock_guard l(mu_);
      known = version_;
    }
    if (version >= 0 && version != known) rebuild();
    lock.lock();
  }
}

void Loader::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

} // namespace rdwh::gateway
