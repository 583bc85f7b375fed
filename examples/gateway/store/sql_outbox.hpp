// The outbox's logic and statements, written once over sql::Connection; SqliteOutbox and
// PgOutbox supply the connections, their sql::Dialect, the migrations (store/schema.hpp) and what
// only their database does.
#pragma once

#include "store/outbox.hpp"
#include "store/sql.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <utility>

namespace rdwh::gateway {

class SqlOutbox;

// The console's tables over a SqlOutbox's connections (store/webhook_store.cpp, store/delivery_store.cpp).
std::unique_ptr<WebhookStore> make_webhook_store(SqlOutbox &db);
std::unique_ptr<DeliveryStore> make_delivery_store(SqlOutbox &db);
// The statement that inserts `record` and sets its id (run inside the caller's transaction;
// `record` must outlive it).
sql::Statement insert_delivery(DeliveryRecord &record);
// The statement that links stored delivery `record` to `job`, one it asked for (delivery_jobs).
sql::Statement insert_delivery_job(const DeliveryRecord &record, const NewJob &job);

class SqlOutbox : public Outbox {
public:
  EnqueueResult enqueue(const std::vector<NewJob> &jobs, int64_t now_ms, DeliveryRecord *record = nullptr) override;
  ClaimResult settle_and_claim(const std::string &owner, const std::vector<Settlement> &done, size_t max,
                               int64_t now_ms, int64_t lease_ms) override;
  std::vector<int64_t> renew_leases(const std::string &owner, int64_t now_ms, int64_t lease_ms) override;
  FollowClaim claim_follow(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                           const std::string &only_owner_not) override;
  std::vector<int64_t> record_follow(const std::vector<FollowUpdate> &updates, int64_t now_ms) override;
  NoteClaim claim_notes(const std::string &owner, size_t max, int64_t now_ms, int64_t lease_ms,
                        const std::string &only_owner_not) override;
  std::vector<int64_t> record_notes(const std::vector<NoteUpdate> &updates, int64_t now_ms) override;
  std::map<int64_t, NoteRow> job_notes(const std::vector<int64_t> &job_rows) override;
  std::vector<NoteRow> list_notes() override;
  int64_t expire_leases(int64_t now_ms, int64_t reconcile_window_ms, const std::string &only_owner_not) override;
  void shift_times(int64_t step_ms, int64_t now_ms) override;
  int64_t clock_ms() override;
  std::vector<OutboxJob> requeue(const RequeueFilter &filter, int64_t now_ms) override;
  std::vector<OutboxJob> delivery_jobs(const std::vector<int64_t> &delivery_ids) override;
  void record(std::vector<DeliveryRecord> &records) override;
  int64_t purge_done(int64_t before_ms) override;
  bool execution_recorded(std::string_view execution_id) override;
  OutboxGauges gauges() override;
  Health health(int64_t now_ms) override;
  std::vector<OutboxJob> list(std::string_view status) override;
  std::optional<OutboxJob> find(std::string_view webhook_key, std::string_view delivery_key,
                                std::string_view rule_key) override;
  std::optional<OutboxJob> find(int64_t id) override;
  WebhookStore &webhooks() override { return *webhooks_; }
  DeliveryStore &deliveries() override { return *deliveries_; }

  // Which connection a call needs. intake: deliveries' commits (durable); record: the same
  // connection for the records of deliveries that queued nothing (not synced to disk: nothing
  // acknowledged depends on them); health: the intake path, but never waiting long for a lock;
  // dispatch: the dispatcher's and the console's bookkeeping (never holding up deliveries for
  // long); read: listings and gauges (never blocked by a writer).
  enum class Use { intake, record, health, dispatch, read };

  // Runs fn through run(use), turning sql::Error into OutboxError prefixed with `what`.
  void with(Use use, const char *what, const std::function<void(sql::Connection &)> &fn);

protected:
  // dialect: what the statements say differently on this database (its strings must outlive
  // the outbox: the statement cache keys on their addresses).
  explicit SqlOutbox(const sql::Dialect &dialect);
  ~SqlOutbox() override;

  // Runs fn on the connection for `use`, serialised with the other users of that connection.
  // Throws sql::Error (turned into OutboxError by the callers).
  virtual void run(Use use, const std::function<void(sql::Connection &)> &fn) = 0;
  // What the backend checks beyond a committed write (e.g. that SQLite's file is still ours).
  virtual Health backend_health() { return {true, ""}; }

private:
  struct Pending {
    const std::vector<NewJob> *jobs;
    int64_t now_ms;
    DeliveryRecord *record; // nullptr: not stored
  };
  struct Batch {
    std::vector<Pending> deliveries;
    std::vector<EnqueueResult> results;
    std::exception_ptr error;
    bool done = false;
    // Its deliveries wait here: a finished commit wakes only its own batch (and one delivery of
    // the next, to lead it), never every waiting thread.
    std::condition_variable cv;
  };
  void commit_batch(Batch &batch);
  // The database's clock read `db_ms` between two monotonic readings: clock_ms() follows it.
  void note_clock(int64_t db_ms, int64_t mono_before, int64_t mono_after);

  // Owned here (the statement cache keys on their addresses): the statements on the lease clock.
  const std::string claim_sql_, renew_sql_, expire_sql_, follow_claim_sql_, note_claim_sql_;
  const sql::Dialect dialect_;
  std::unique_ptr<WebhookStore> webhooks_;
  std::unique_ptr<DeliveryStore> deliveries_;

  std::mutex batch_mu_; // guards open_batch_ and committing_
  std::shared_ptr<Batch> open_batch_;
  bool committing_ = false;
  std::atomic<uint64_t> commits_{0}, committed_deliveries_{0}, dispatch_commits_{0};
  std::atomic<int64_t> clock_offset_{0}; // the database's clock minus mono_ms()
  std::atomic<bool> clock_known_{false};
};

} // namespace rdwh::gateway
