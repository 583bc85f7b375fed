// The durable outbox: every job request a delivery produced, in SQLite (WAL mode).
//
// Exactly once: a job's identity is UNIQUE(webhook, delivery key, event index, rule index), and a
// delivery's jobs are inserted with INSERT OR IGNORE in one transaction, so a redelivery (same
// X-Webhook-Id, or the same event id when there is none) adds nothing, also after a restart.
// A job row moves queued -> running -> done | refused (or back to queued to be retried).
// All methods are thread-safe: writes go through one connection behind a mutex (they serialise in
// SQLite anyway); reads for metrics and listings use a second connection, which WAL mode never
// makes wait for a writer, so /metrics keeps answering while a commit waits for a lock.
#pragma once

#include "metrics.hpp"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace rdwh::gateway {

class OutboxError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A job request to store. delivery_key is "id:<X-Webhook-Id>" or "event:<event id>".
struct NewJob {
  std::string webhook_key, webhook_name, project, delivery_key;
  uint32_t event_index = 0, rule_index = 0;
  std::string rule, event_id, job_id;
  std::string request_json; // the body of Rundeck's job run call
};

struct EnqueueResult {
  uint64_t inserted = 0, duplicates = 0;
};

// One stored job.
struct OutboxJob {
  int64_t id = 0;
  std::string webhook_key, webhook_name, project, delivery_key;
  int64_t event_index = 0, rule_index = 0;
  std::string rule, event_id, job_id, request_json;
  std::string status; // queued, running, done, refused
  int64_t attempts = 0, next_attempt_ms = 0, created_ms = 0, updated_ms = 0;
  std::string execution_id; // set when done
  int64_t http_status = 0;  // Rundeck's last answer; 0 when none (connection error)
  std::string reason;       // why the last attempt failed or why Rundeck refused
};

class Outbox {
public:
  // Opens (creating if needed) the database file. A write waits up to busy_timeout_ms for a lock
  // another process holds, then fails. Throws OutboxError.
  explicit Outbox(const std::string &path, int busy_timeout_ms = 2000);
  ~Outbox();
  Outbox(const Outbox &) = delete;
  Outbox &operator=(const Outbox &) = delete;

  // Inserts a delivery's jobs and returns once they are committed. Throws OutboxError when the
  // commit fails (disk full, database locked for too long...): nothing of the delivery is then
  // stored. Group commit: deliveries that arrive while a commit is on its way share the next
  // transaction (and its one fsync), so throughput is not one fsync per delivery.
  EnqueueResult enqueue(const std::vector<NewJob> &jobs, int64_t now_ms);

  // At startup: jobs left "running" by a crash go back to "queued". Returns how many.
  int64_t requeue_running(int64_t now_ms);

  // Takes the next due queued job and marks it running (committed before Rundeck is called).
  // When none is due, sets next_due_ms to when the next queued one is (INT64_MAX: none).
  std::optional<OutboxJob> claim_next(int64_t now_ms, int64_t &next_due_ms);

  void mark_done(int64_t id, std::string_view execution_id, int64_t http_status, int64_t now_ms);
  void mark_retry(int64_t id, int64_t next_attempt_ms, int64_t http_status, std::string_view reason, int64_t now_ms);
  void mark_refused(int64_t id, int64_t http_status, std::string_view reason, int64_t now_ms);

  // Deletes done jobs last updated before `before_ms`. Returns how many.
  int64_t purge_done(int64_t before_ms);

  OutboxGauges gauges();
  // True when a write commits (for /healthz).
  bool writable(int64_t now_ms);
  // Jobs with `status` ("" = all), oldest first.
  std::vector<OutboxJob> list(std::string_view status);

private:
  // Deliveries waiting for the same commit.
  struct Batch {
    std::vector<std::pair<const std::vector<NewJob> *, int64_t>> deliveries; // jobs, now_ms
    std::vector<EnqueueResult> results;
    std::exception_ptr error;
    bool done = false;
  };
  void commit_batch(Batch &batch);

  static sqlite3 *open_connection(const std::string &path, int busy_timeout_ms);
  void finish_attempt(int64_t id, const char *status, int64_t next_attempt_ms, std::string_view execution_id,
                      int64_t http_status, std::string_view reason, int64_t now_ms);

  std::mutex batch_mu_;            // guards open_batch_ and committing_
  std::condition_variable batch_done_;
  std::shared_ptr<Batch> open_batch_; // where arriving deliveries join; taken by the next committer
  bool committing_ = false;
  std::mutex mu_;                  // guards db_
  sqlite3 *db_ = nullptr;          // writes (and claim_next's read-then-write)
  std::mutex read_mu_;             // guards reader_
  sqlite3 *reader_ = nullptr;      // gauges() and list()
};

} // namespace rdwh::gateway
