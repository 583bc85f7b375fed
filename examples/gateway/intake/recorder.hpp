// The delivery store's writer for deliveries that queued no job (no rule fired, refused, pings):
// their records are written by a background thread, many per transaction, so a delivery that runs
// nothing never waits for the database. (A delivery with jobs is recorded in its jobs' own
// transaction instead: Outbox::enqueue.) Bounded: when the database falls behind by more than
// kMaxPending records, new ones are dropped and counted (metric and a warning), never queued
// without limit. Thread-safe.
#pragma once

#include "store/delivery_store.hpp"
#include "base/metrics.hpp"
#include "store/outbox.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace rdwh::gateway {

class DeliveryRecorder {
public:
  static constexpr size_t kMaxPending = 20000;

  DeliveryRecorder(Outbox &outbox, Metrics &metrics);
  // Writes what is still pending (one last transaction), then stops.
  ~DeliveryRecorder();
  DeliveryRecorder(const DeliveryRecorder &) = delete;
  DeliveryRecorder &operator=(const DeliveryRecorder &) = delete;

  void add(DeliveryRecord record);
  // Waits until every record added before the call is written or dropped (tests, shutdown).
  void flush();

private:
  void run();

  Outbox &outbox_;
  Metrics &metrics_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<DeliveryRecord> pending_;
  uint64_t added_ = 0, finished_ = 0; // records taken in, records written or dropped
  bool stop_ = false;
  std::thread thread_;
};

} // namespace rdwh::gateway
