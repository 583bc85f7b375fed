// An exclusive lock on a state directory (flock on <dir>/gateway.lock, which holds the pid), held
// while the object lives: one gateway per SQLite outbox (a second would run the same jobs). A lock
// held proves every other owner of a running job dead.
#pragma once

#include <string>

namespace rdwh::gateway {

class StateDirLock {
public:
  // Throws OutboxError naming the other process's pid when it is taken.
  explicit StateDirLock(const std::string &dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock &) = delete;
  StateDirLock &operator=(const StateDirLock &) = delete;

private:
  int fd_ = -1;
};

} // namespace rdwh::gateway
