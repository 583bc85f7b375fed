// The gateway's clocks.
//
// now_ms(): wall-clock milliseconds since the Unix epoch, the time compared with PagerDuty's and
// Rundeck's times and shown to people. It may step (NTP, an operator): nothing that waits or
// measures elapsed time reads it (see mono_ms()); the dispatcher reads the outbox's clock
// (Outbox::clock_ms()) and survives its steps (dispatch/settle.hpp, ClockWatch).
// mono_ms(): a monotonic clock (milliseconds since an arbitrary origin) for waits, timers and
// elapsed time: it never steps, and keeps counting while the process is stopped.
//
// Test hook (for the gateway's end-to-end tests, never for production): the environment variable
// RDWH_TEST_CLOCK_OFFSET_MS shifts now_ms() by that many milliseconds for the life of the
// process, and RDWH_TEST_CLOCK_OFFSET_FILE names a file holding such an offset, read again at most
// every 50 ms, so a test steps a running gateway's wall clock without touching the machine's.
// mono_ms() is never shifted.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace rdwh::gateway {

int64_t now_ms();
int64_t mono_ms();

// A UTC time people type ("YYYY-MM-DDTHH:MM[:SS]", as a datetime-local field gives it) as Unix
// ms, and how long the step it names lasts (a minute or a second); nullopt when it is not one or
// names no real date (31 February).
std::optional<std::pair<int64_t, int64_t>> parse_utc(std::string_view text);

} // namespace rdwh::gateway
