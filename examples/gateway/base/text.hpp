// Text helpers for any part of the gateway: path segments, numbers in paths, URL encoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// A path's segments after its leading '/': "/a/b/" -> {"a", "b", ""}.
std::vector<std::string> split_path(std::string_view path);
// Decimal digits only, short enough for an int64_t.
bool is_digits(std::string_view s);
// Percent-encodes all but RFC 3986's unreserved characters.
std::string url_encode(std::string_view s);

} // namespace rdwh::gateway
