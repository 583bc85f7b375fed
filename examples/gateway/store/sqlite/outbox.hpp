// The SQLite outbox (see store/outbox.hpp): for one gateway. Checks the file at start (PRAGMA
// quick_check), migrates its schema (PRAGMA user_version), and refuses deliveries once the file
// it opened is deleted or replaced (a write to an unlinked file would be lost at the next start).
#pragma once

#include "store/sql_outbox.hpp"

#include <memory>
#include <string>

namespace rdwh::gateway {

class SqliteOutbox final : public SqlOutbox {
public:
  // A write waits up to busy_timeout_ms for a lock another process holds, then fails.
  SqliteOutbox(const std::string &path, int busy_timeout_ms);
  ~SqliteOutbox() override;
  void on_wakeup(std::function<void()>) override {} // one process: its own deliveries wake it
  std::string describe() const override;

protected:
  void run(Use use, const std::function<void(sql::Connection &)> &fn) override;
  Health backend_health() override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An exclusive lock on a state directory (flock on <dir>/gateway.lock, which holds the pid), held
// while the object lives. Throws OutboxError naming the other process's pid when it is taken.
class StateDirLock {
public:
  explicit StateDirLock(const std::string &dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock &) = delete;
  StateDirLock &operator=(const StateDirLock &) = delete;

private:
  int fd_ = -1;
};

} // namespace rdwh::gateway
