// Date-times as Rundeck's dateTimeAfter/dateTimeBefore read them: Java ISO_DATE_TIME
// (2021-04-26T17:36:27.458Z, 2021-04-26T19:36:27+02:00, 2021-04-26T19:36:27+02:00[Europe/Paris],
// no offset = UTC), ISO_INSTANT, and Unix epoch numbers (seconds, or milliseconds when read as
// seconds they would land in the year 2970 or later).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rdwh::rules {

// Milliseconds since the epoch, or nullopt when `text` is none of the accepted forms.
std::optional<int64_t> parse_datetime(std::string_view text);

// An epoch number, seconds or milliseconds by Rundeck's year-2970 rule.
int64_t epoch_number_to_ms(double number);

} // namespace rdwh::rules
