#include "json/jsonpath_regex.hpp"

#include "base/error.hpp"

#include <string>

namespace rdwh::json {
namespace {

// libstdc++'s default regex executor backtracks recursively, one stack frame chain per subject
// character: an 8192-byte subject needs several MB of stack (a crash on a host thread) and some
// patterns take exponential time. Its `__polynomial` extension selects the Thompson-NFA executor
// instead: stack bounded by the pattern, time polynomial; the price is no back-references.
#if defined(__GLIBCXX__)
constexpr auto regex_syntax = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto regex_syntax = std::regex::ECMAScript;
#endif

// Repetition counts (`{n,m}`) and escaped numbers (`\12`) over 4 digits are refused: libstdc++'s
// regex compiler overflows a signed integer on huge ones (undefined behaviour), and a count in
// the thousands already builds an automaton as large as the count.
void check_counts(std::string_view pattern) {
  bool in_braces = false, after_escape = false;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c >= '0' && c <= '9' && (in_braces || after_escape)) {
      if (++digits > 4) throw SyntaxError("regex repetition counts and escaped numbers are limited to 4 digits");
      continue;
    }
    digits = 0;
    after_escape = false;
    if (c == '\\' && i + 1 < pattern.size()) {
      if (pattern[i + 1] >= '0' && pattern[i + 1] <= '9') after_escape = true;
      else ++i; // an escaped character: never a brace or a count
    } else if (c == '{') {
      in_braces = true;
    } else if (c == '}') {
      in_braces = false;
    }
  }
}

std::regex compile(std::string_view pattern, bool ignore_case) {
  check_counts(pattern);
  try {
    return std::regex(pattern.begin(), pattern.end(), ignore_case ? regex_syntax | std::regex::icase : regex_syntax);
  } catch (const std::regex_error &e) {
    if (e.code() == std::regex_constants::error_complexity) throw SyntaxError("regex back-references are not supported");
    throw SyntaxError(std::string("invalid regex (") + e.what() + ")");
  }
}

} // namespace

Regex::Regex(std::string_view pattern, bool ignore_case) : regex_(compile(pattern, ignore_case)) {}

bool Regex::matches(std::string_view subject) const {
  if (subject.size() > max_subject_bytes) return false;
  try {
    return std::regex_match(subject.begin(), subject.end(), regex_);
  } catch (const std::regex_error &) {
    return false; // e.g. error_complexity: no match rather than failing the event
  }
}

} // namespace rdwh::json
