#include "intake/recorder.hpp"

#include "base/log.hpp"

#include <chrono>
#include <vector>

namespace rdwh::gateway {

namespace {
constexpr size_t kBatch = 500;              // records per transaction at most
constexpr auto kRetry = std::chrono::seconds(1); // after a failed write
} // namespace

DeliveryRecorder::DeliveryRecorder(Outbox &outbox, Metrics &metrics)
    : outbox_(outbox), metrics_(metrics), thread_([this] { run(); }) {}

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
    if (pending_.size() >= kMaxPending) {
      ++finished_;
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

void DeliveryRecorder::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return; // stopping, nothing left
    std::vector<DeliveryRecord> batch;
    while (!pending_.empty() && batch.size() < kBatch) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    lock.unlock();
    bool written = true;
    try {
      outbox_.record(batch);
    } catch (const OutboxError &e) {
      // Not retried: nothing acknowledged depends on a record, and the database may stay down.
      written = false;
      for (size_t i = 0; i < batch.size(); ++i) metrics_.delivery_not_recorded();
      log::warn("deliveries not recorded in the delivery store", {{"deliveries", batch.size()}, {"error", e.what()}});
    }
    lock.lock();
    finished_ += batch.size();
    done_cv_.notify_all();
    if (!written && !stop_) work_cv_.wait_for(lock, kRetry, [this] { return stop_; });
  }
}

} // namespace rdwh::gateway
