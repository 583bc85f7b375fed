// The regular expressions of JsonPath filters (`@.name =~ /pattern/i`), as Jayway matches them:
// the whole subject must match. Compiled once with the path.
#pragma once

#include <regex>
#include <string_view>

namespace rdwh::json {

class Regex {
public:
  // Throws rdwh::SyntaxError (without a position: the path parser adds it) for an invalid
  // pattern, a back-reference, or a repetition count or escaped number over 4 digits.
  Regex(std::string_view pattern, bool ignore_case);

  // Whether all of `subject` matches. Subjects over max_subject_bytes never match (bounds the
  // cost); so does a subject the engine gives up on.
  bool matches(std::string_view subject) const;

  static constexpr std::size_t max_subject_bytes = 8192;

private:
  std::regex regex_;
};

} // namespace rdwh::json
