// Text helpers for any part of the gateway: path segments, numbers in paths, UTF-8, URL encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// A path's segments after its leading '/': "/a/b/" -> {"a", "b", ""}.
std::vector<std::string> split_path(std::string_view path);
// Decimal digits only, short enough for an int64_t.
bool is_digits(std::string_view s);
// `s` as a number from 0 to `max` (decimal digits only, no sign); nullopt for anything else,
// however long: a path's number never throws.
std::optional<int64_t> parse_bounded(std::string_view s, int64_t max);
// Whether `s` is UTF-8 text throughout (NUL counts as not: text columns refuse it).
bool is_utf8_text(std::string_view s);
// `text` with every byte sequence that is not UTF-8 (and NUL) replaced by U+FFFD, so a database
// text column takes it.
std::string utf8_clean(std::string_view text);
// utf8_clean(text) cut to at most `max` bytes, at a character's start.
std::string clipped(std::string_view text, size_t max);
// Percent-encodes all but RFC 3986's unreserved characters.
std::string url_encode(std::string_view s);

} // namespace rdwh::gateway
