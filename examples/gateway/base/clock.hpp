// The gateway's one clock: wall-clock milliseconds since the Unix epoch, the time stored in the
// outbox and the delivery store and compared with PagerDuty's and Rundeck's times.
#pragma once

#include <chrono>
#include <cstdint>

namespace rdwh::gateway {

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace rdwh::gateway
