// Text helpers for any part of the gateway: path segments, numbers in paths, URL encoding.
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
// Percent-encodes all but RFC 3986's unreserved characters.
std::string url_encode(std::string_view s);

} // namespace rdwh::gateway
