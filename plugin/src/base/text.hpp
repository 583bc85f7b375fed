// Small text helpers shared by every part of the plugin.
#pragma once

#include <string>
#include <string_view>
#include <initializer_list>
#include <vector>

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

// The candidate closest to `word` for a "did you mean": equal but for case, or within an edit
// distance of about a third of its length (at least 1, at most 3); empty when none is that close.
std::string_view closest(std::string_view word, std::initializer_list<std::string_view> candidates);
std::string_view closest(std::string_view word, const std::vector<std::string_view> &candidates);

} // namespace rdwh::text
