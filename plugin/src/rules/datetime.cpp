#include "rules/datetime.hpp"

#include "base/text.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace rdwh::rules {
namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// A small cursor over the text for fixed-width fields.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  bool peek(char c) const { return i < s.size() && s[i] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++i;
    return true;
  }
  bool digits(std::size_t n, int &out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    out = v;
    return true;
  }
};

// After the seconds: `.fff` (or `,fff`), up to nine digits, as milliseconds; 0 when absent.
std::optional<int64_t> fraction_ms(Cursor &c) {
  if (!(c.eat('.') || c.eat(','))) return 0;
  const std::size_t start = c.i;
  int64_t ms = 0;
  std::size_t n = 0;
  while (!c.done() && std::isdigit(static_cast<unsigned char>(c.s[c.i]))) {
    if (n < 3) ms = ms * 10 + (c.s[c.i] - '0');
    ++n;
    ++c.i;
  }
  if (c.i == start || n > 9) return std::nullopt;
  for (std::size_t k = n; k < 3; ++k) ms *= 10;
  return ms;
}

// `Z`, `+hh:mm`, `-hhmm`, `+hh` or nothing (UTC), in minutes east of UTC.
std::optional<int64_t> offset_minutes(Cursor &c) {
  if (c.eat('Z') || c.eat('z') || !(c.peek('+') || c.peek('-'))) return 0;
  const int sign = c.s[c.i] == '-' ? -1 : 1;
  ++c.i;
  int oh, om = 0;
  if (!c.digits(2, oh)) return std::nullopt;
  if (c.eat(':')) {
    if (!c.digits(2, om)) return std::nullopt;
  } else if (!c.done() && !c.peek('[')) {
    if (!c.digits(2, om)) return std::nullopt;
  }
  if (oh > 18 || om > 59) return std::nullopt;
  return sign * (oh * 60 + om);
}

std::optional<int64_t> parse_iso(std::string_view text) {
  Cursor c{text};
  int year, month, day, hour, minute, second = 0;
  // Java allows a sign and more than 4 year digits only with a sign; accept the common form.
  if (!c.digits(4, year) || !c.eat('-') || !c.digits(2, month) || !c.eat('-') || !c.digits(2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  // "Must be a Date with Time": ISO_DATE_TIME needs the time part.
  if (!(c.eat('T') || c.eat('t')) || !c.digits(2, hour) || !c.eat(':') || !c.digits(2, minute))
    return std::nullopt;
  if (hour > 23 || minute > 59) return std::nullopt;
  std::optional<int64_t> millis = 0;
  if (c.eat(':')) {
    if (!c.digits(2, second) || second > 59) return std::nullopt;
    millis = fraction_ms(c);
  }
  const std::optional<int64_t> offset = millis ? offset_minutes(c) : std::nullopt;
  if (!offset) return std::nullopt;
  // ISO_DATE_TIME: an optional [Region/Zone] after the offset; the offset already fixes the
  // instant, so the region name is accepted and not needed.
  if (c.eat('[')) {
    std::size_t close = text.find(']', c.i);
    if (close == std::string_view::npos || close != text.size() - 1) return std::nullopt;
    c.i = text.size();
  }
  if (!c.done()) return std::nullopt;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - *offset * 60;
  return seconds * 1000 + *millis;
}

} // namespace

int64_t epoch_number_to_ms(double number) {
  // 2970-01-01T00:00:00Z in seconds: a "seconds" reading this large means it was milliseconds.
  static const double year_2970_s = static_cast<double>(days_from_civil(2970, 1, 1)) * 86400.0;
  if (std::fabs(number) >= year_2970_s) return static_cast<int64_t>(std::llround(number));
  return static_cast<int64_t>(std::llround(number * 1000.0));
}

std::optional<int64_t> parse_datetime(std::string_view text) {
  text = text::trim(text);
  if (text.empty()) return std::nullopt;
  bool numeric = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (!(std::isdigit(static_cast<unsigned char>(ch)) || (i == 0 && ch == '-') || ch == '.')) {
      numeric = false;
      break;
    }
  }
  if (numeric) {
    double number = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), number);
    if (res.ec != std::errc() || res.ptr != text.data() + text.size() || !std::isfinite(number))
      return std::nullopt;
    if (std::fabs(number) > 9.0e15) return std::nullopt; // beyond any sane epoch-ms
    return epoch_number_to_ms(number);
  }
  return parse_iso(text);
}

} // namespace rdwh::rules
