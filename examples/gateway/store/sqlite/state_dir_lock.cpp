// The state directory's lock (see store/sqlite/state_dir_lock.hpp).
#include "store/sqlite/state_dir_lock.hpp"

#include "store/outbox.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rdwh::gateway {

StateDirLock::StateDirLock(const std::string &dir) {
  const std::string path = dir + "/gateway.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw OutboxError(path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw OutboxError("stateDir " + dir + " is in use by another rdwh-gateway (pid " + pid +
                        "); one SQLite outbox serves one gateway (several gateways need the PostgreSQL outbox)");
    throw OutboxError(path + ": cannot lock: " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    throw OutboxError(path + ": cannot write the pid: " + std::strerror(errno));
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_); // releases the lock; the file stays (another process may hold it next)
}

} // namespace rdwh::gateway
