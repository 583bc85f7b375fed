// The delivery store's writer and keeper.
//
// Writer: deliveries that queued no job (no rule fired, refused, pings) are written by a background
// thread, many per transaction, so a delivery that runs nothing never waits for the database. (A
// delivery with jobs is recorded in its jobs' own transaction instead: Outbox::enqueue.) When the
// database falls behind by more than kMaxPending records, new ones are dropped and counted.
//
// Keeper: the store is bounded, and the same thread keeps it so (never the dispatcher's, whose
// lease renewals must not wait behind a large delete). Every kKeepEveryMs, and after every
// kKeepAfterBytes written, it purges rows older than console.deliveries.retainHours and evicts the
// oldest while the rows add up to more than console.deliveries.maxBytes, in steps of
// kStepRows rows (one short transaction each). It also stops recording (accepting() is false,
// with a reason for /healthz) while the outbox's disk has less free than
// console.deliveries.minFreeBytes: the outbox keeps the last free space for jobs. Deliveries are
// answered as always meanwhile; only their records are left out (and counted). Thread-safe.
#pragma once

#include "base/metrics.hpp"
#include "config/config.hpp"
#include "store/delivery_store.hpp"
#include "store/outbox.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace rdwh::gateway {

class DeliveryRecorder {
public:
  static constexpr size_t kMaxPending = 20000;
  static constexpr int64_t kKeepEveryMs = 5000;
  static constexpr int64_t kKeepAfterBytes = 4 << 20;
  static constexpr int64_t kStepRows = 1000;

  // settings: the store's current settings (a reload may change them); empty: the writer alone,
  // nothing purged or evicted (tests of the writer with records of any age).
  DeliveryRecorder(Outbox &outbox, Metrics &metrics, std::function<DeliveryStoreSettings()> settings = {});
  // Writes what is still pending (one last transaction), then stops.
  ~DeliveryRecorder();
  DeliveryRecorder(const DeliveryRecorder &) = delete;
  DeliveryRecorder &operator=(const DeliveryRecorder &) = delete;

  void add(DeliveryRecord record);
  // Waits until every record added before the call is written or dropped (tests, shutdown).
  void flush();
  // Whether records are kept now (the disk has room); when not, why (for /healthz).
  bool accepting() const { return accepting_.load(); }
  std::string refusing() const;
  // The store's size as last measured and the records left out: Prometheus text.
  std::string render_metrics() const;

private:
  void run();
  void write(std::vector<DeliveryRecord> &batch);
  void keep();
  void keep_within(const DeliveryStoreSettings &s);

  Outbox &outbox_;
  Metrics &metrics_;
  std::function<DeliveryStoreSettings()> settings_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<DeliveryRecord> pending_;
  uint64_t added_ = 0, finished_ = 0; // records taken in, records written or dropped
  std::atomic<bool> stop_{false};
  std::string refusing_;              // under mu_
  std::atomic<bool> accepting_{true};
  std::atomic<int64_t> store_bytes_{0}, evicted_{0}, not_kept_{0};
  int64_t written_since_keep_ = 0;    // the recorder thread's
  int64_t next_keep_ms_ = 0;          // the recorder thread's
  std::thread thread_;
};

} // namespace rdwh::gateway
