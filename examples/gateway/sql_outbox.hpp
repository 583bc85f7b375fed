// The outbox's logic and statements, written once over sql::Connection; SqliteOutbox and
// PgOutbox supply the connections, the schema and what only their database does.
#pragma once

#include "outbox.hpp"
#include "sql.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <utility>

namespace rdwh::gateway {

// The current schema's tables and indexes (version 2), for both databases: `id_column` is the
// primary key's definition ("INTEGER PRIMARY KEY" on SQLite, "BIGSERIAL PRIMARY KEY" on PostgreSQL).
std::string schema_v2_sql(const char *id_column);

class SqlOutbox : public Outbox {
public:
  EnqueueResult enqueue(const std::vector<NewJob> &jobs, int64_t now_ms) override;
  ClaimResult settle_and_claim(const std::string &owner, const std::vector<Settlement> &done, size_t max,
                               int64_t now_ms, int64_t lease_ms) override;
  int64_t renew_leases(const std::string &owner, int64_t until_ms) override;
  int64_t expire_leases(int64_t now_ms, const std::string &only_owner_not) override;
  std::vector<OutboxJob> requeue(const RequeueFilter &filter, int64_t now_ms) override;
  int64_t purge_done(int64_t before_ms) override;
  bool execution_recorded(std::string_view execution_id) override;
  OutboxGauges gauges() override;
  Health health(int64_t now_ms) override;
  std::vector<OutboxJob> list(std::string_view status) override;

protected:
  // Which connection a call needs. intake: deliveries' commits (durable); health: the same path,
  // but never waiting long for a lock; dispatch: the dispatcher's bookkeeping (never holding up
  // deliveries for long); read: listings and gauges (never blocked by a writer).
  enum class Use { intake, health, dispatch, read };

  // claim_lock: appended to the claim's row selection ("FOR UPDATE SKIP LOCKED" on PostgreSQL).
  // notify: run inside a transaction that queued jobs (PostgreSQL: "NOTIFY ..."), or nullptr.
  SqlOutbox(const char *claim_lock, const char *notify);

  // Runs fn on the connection for `use`, serialised with the other users of that connection.
  // Throws sql::Error (turned into OutboxError by the callers).
  virtual void run(Use use, const std::function<void(sql::Connection &)> &fn) = 0;
  // What the backend checks beyond a committed write (e.g. that SQLite's file is still ours).
  virtual Health backend_health() { return {true, ""}; }

  // Runs fn through run(use), turning sql::Error into OutboxError prefixed with `what`.
  void with(Use use, const char *what, const std::function<void(sql::Connection &)> &fn);

private:
  struct Batch {
    std::vector<std::pair<const std::vector<NewJob> *, int64_t>> deliveries; // jobs, now_ms
    std::vector<EnqueueResult> results;
    std::exception_ptr error;
    bool done = false;
  };
  void commit_batch(Batch &batch);

  const std::string claim_sql_; // owned here: the statement cache keys on its address
  const char *notify_;

  std::mutex batch_mu_; // guards open_batch_ and committing_
  std::condition_variable batch_done_;
  std::shared_ptr<Batch> open_batch_;
  bool committing_ = false;
};

} // namespace rdwh::gateway
