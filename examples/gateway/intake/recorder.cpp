#include "intake/recorder.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"

#include <chrono>
#include <vector>

namespace rdwh::gateway {

namespace {
constexpr size_t kBatch = 500;                   // records per transaction at most
constexpr auto kRetry = std::chrono::seconds(1); // after a failed write
} // namespace

DeliveryRecorder::DeliveryRecorder(Outbox &outbox, Metrics &metrics, std::function<DeliveryStoreSettings()> settings)
    : outbox_(outbox), metrics_(metrics), settings_(std::move(settings)), thread_([this] { run(); }) {}

DeliveryRecorder::~DeliveryRecorder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void DeliveryRecorder::add(DeliveryRecord record) {
  {
    std::lock_guard lock(mu_);
    ++added_;
    if (pending_.size() >= kMaxPending || !accepting_.load()) {
      ++finished_;
      ++not_kept_;
      metrics_.delivery_not_recorded();
      return;
    }
    pending_.push_back(std::move(record));
  }
  work_cv_.notify_one();
}

void DeliveryRecorder::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = added_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
}

std::string DeliveryRecorder::refusing() const {
  std::lock_guard lock(mu_);
  return refusing_;
}

std::string DeliveryRecorder::render_metrics() const {
  std::string out;
  prometheus::header(out, "rdwh_gateway_delivery_store_bytes", "gauge",
                     "What the delivery store's rows count for console.deliveries.maxBytes, as last measured.");
  prometheus::sample(out, "rdwh_gateway_delivery_store_bytes", store_bytes_.load());
  prometheus::header(out, "rdwh_gateway_delivery_store_accepting", "gauge",
                     "1 while deliveries are recorded; 0 while the outbox's disk is short of minFreeBytes.");
  prometheus::sample(out, "rdwh_gateway_delivery_store_accepting", int64_t{accepting_.load() ? 1 : 0});
  prometheus::header(out, "rdwh_gateway_delivery_store_evicted_bytes_total", "counter",
                     "Bytes of the oldest deliveries evicted to keep the store within maxBytes.");
  prometheus::sample(out, "rdwh_gateway_delivery_store_evicted_bytes_total", evicted_.load());
  return out;
}

void DeliveryRecorder::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    const auto wait = std::chrono::milliseconds(settings_ ? std::max<int64_t>(next_keep_ms_ - now_ms(), 0) : 60000);
    work_cv_.wait_for(lock, wait, [this] { return stop_.load() || !pending_.empty(); });
    if (stop_ && pending_.empty()) return;
    std::vector<DeliveryRecord> batch;
    while (!pending_.empty() && batch.size() < kBatch) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    lock.unlock();
    write(batch);
    const bool due =
        settings_ && !stop_ && (now_ms() >= next_keep_ms_ || written_since_keep_ >= kKeepAfterBytes);
    if (due) keep();
    lock.lock();
    finished_ += batch.size();
    done_cv_.notify_all();
  }
}

void DeliveryRecorder::write(std::vector<DeliveryRecord> &batch) {
  if (batch.empty()) return;
  int64_t bytes = 0;
  for (const DeliveryRecord &r : batch) bytes += stored_bytes(r);
  try {
    outbox_.record(batch);
    written_since_keep_ += bytes;
    store_bytes_ += bytes;
  } catch (const OutboxError &e) {
    // Not retried: nothing acknowledged depends on a record, and the database may stay down.
    for (size_t i = 0; i < batch.size(); ++i) metrics_.delivery_not_recorded();
    not_kept_ += static_cast<int64_t>(batch.size());
    log::warn("deliveries not recorded in the delivery store", {{"deliveries", batch.size()}, {"error", e.what()}});
    std::unique_lock lock(mu_);
    if (!stop_) work_cv_.wait_for(lock, kRetry, [this] { return stop_.load(); });
  }
}

// Purges by age, evicts beyond the cap, and decides whether records are kept until the next time.
void DeliveryRecorder::keep() {
  next_keep_ms_ = now_ms() + kKeepEveryMs;
  written_since_keep_ = 0;
  const DeliveryStoreSettings s = settings_();
  try {
    keep_within(s);
  } catch (const OutboxError &e) {
    log::warn("cannot keep the delivery store within its bounds", {{"error", e.what()}});
  }
  std::string why;
  if (const std::optional<int64_t> free = outbox_.local_free_bytes(); free && *free < s.min_free_bytes)
    why = "the outbox's disk has " + std::to_string(*free) + " bytes free, under console.deliveries.minFreeBytes (" +
          std::to_string(s.min_free_bytes) + "): deliveries are answered but not recorded";
  if (why.empty() != accepting_.load()) {
    if (why.empty()) log::info("delivery store: recording again");
    else log::warn("delivery store: not recording", {{"reason", why}});
  }
  std::lock_guard lock(mu_);
  refusing_ = why;
  accepting_ = why.empty();
}

void DeliveryRecorder::keep_within(const DeliveryStoreSettings &s) {
  DeliveryStore &store = outbox_.deliveries();
  const int64_t cutoff = now_ms() - s.retain_hours * 3600 * 1000;
  int64_t purged = 0;
  for (int64_t n = kStepRows; n == kStepRows && !stop_;) purged += n = store.purge(cutoff, kStepRows);
  if (purged) log::info("purged old deliveries", {{"deliveries", purged}});
  int64_t total = store.total_bytes();
  if (total > s.max_bytes) {
    // Down to nine tenths, so eviction runs in a few large steps rather than at every record.
    const int64_t target = s.max_bytes / 10 * 9;
    int64_t freed = 0;
    for (int64_t step = 1; step > 0 && total - freed > target && !stop_;)
      freed += step = store.evict_oldest(total - freed - target, kStepRows);
    total -= freed;
    evicted_ += freed;
    log::info("evicted the oldest deliveries: the store is over console.deliveries.maxBytes",
              {{"bytes", freed}, {"maxBytes", s.max_bytes}});
  }
  store_bytes_ = total;
}

} // namespace rdwh::gateway
