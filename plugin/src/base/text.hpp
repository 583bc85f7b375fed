// Small text helpers shared by every part of the plugin.
#pragma once

#include <string>
#include <string_view>

namespace rdwh::text {

// JSON's white space: space, tab, CR, LF.
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// `s` without leading and trailing white space (is_space).
std::string_view trim(std::string_view s) noexcept;

// ASCII case-insensitive equality (HTTP header names).
bool iequals(std::string_view a, std::string_view b) noexcept;

// Lowercase hex of `bytes`.
std::string to_hex(std::string_view bytes);
// The value of one hex digit (either case), or -1.
int hex_digit_value(char c) noexcept;

} // namespace rdwh::text
