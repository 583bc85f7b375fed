// The SQLite outbox (see store/outbox.hpp): for one gateway. Checks the file at start (PRAGMA
// quick_check), migrates its schema (PRAGMA user_version), and refuses deliveries once the file
// it opened is deleted or replaced (a write to an unlinked file would be lost at the next start).
#pragma once

#include "store/sql_outbox.hpp"
#include "store/sqlite/state_dir_lock.hpp"

#include <memory>
#include <string>

namespace rdwh::gateway {

class SqliteOutbox final : public SqlOutbox {
public:
  // A write waits up to busy_timeout_ms for a lock another process holds, then fails. `lock`:
  // the state directory's, taken before (the serving gateway's), held as long as the outbox lives.
  // Without `migrate`, an older schema is refused (OutboxError) rather than migrated.
  SqliteOutbox(const std::string &path, int busy_timeout_ms, std::unique_ptr<StateDirLock> lock = nullptr,
               bool migrate = true);
  ~SqliteOutbox() override;
  bool exclusive() const override { return lock_ != nullptr; } // the lock keeps every other gateway out
  void on_wakeup(std::function<void()>) override {} // one process: its own deliveries wake it
  std::string describe() const override;
  std::optional<int64_t> local_free_bytes() const override;

protected:
  void run(Use use, const std::function<void(sql::Connection &)> &fn) override;
  Health backend_health() override;

private:
  std::unique_ptr<StateDirLock> lock_; // released last, after the connections close
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace rdwh::gateway
