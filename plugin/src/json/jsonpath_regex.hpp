// The regular expressions of JsonPath filters (`@.name =~ /pattern/flags`), matched as Jayway
// matches them (java.util.regex's Matcher.matches(): the whole subject must match), on RE2: time
// linear in the subject, memory bounded by the pattern. Compiled once with the path.
//
// Java syntax RE2 shares works as in Java: classes (`\d`, `\p{L}`, `[[:alpha:]]`), inline flags
// (`(?i)`, `(?m)`, `(?s)`), `\Q...\E`, non-capturing groups, lazy quantifiers, repetition counts
// up to 1000. What RE2 cannot run in linear time or reads differently is refused at compile time
// with a message saying which construct: back-references, lookaround, atomic groups, possessive
// quantifiers, class intersection or nesting (`[a-z&&[^x]]`), Java's `(?U)`/`(?x)`, and flags
// other than i, m, s, u, d. docs/config-reference.md lists the differences.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace re2 {
class RE2;
}

namespace rdwh::json {

class Regex {
public:
  // `flags` are the letters after the closing slash. Throws rdwh::SyntaxError (without a
  // position: the path parser adds it) for a pattern RE2 refuses or reads otherwise than Java.
  Regex(std::string_view pattern, std::string_view flags);
  Regex(Regex &&) noexcept;
  Regex &operator=(Regex &&) noexcept;
  ~Regex();

  // Whether all of `subject` matches.
  bool matches(std::string_view subject) const;
  // The size of the compiled program: what matching one subject byte costs at worst (RE2 falls
  // back from its DFA to an NFA that runs every instruction on every byte).
  std::size_t cost_per_byte() const noexcept;

private:
  std::unique_ptr<re2::RE2> re_;
};

} // namespace rdwh::json
