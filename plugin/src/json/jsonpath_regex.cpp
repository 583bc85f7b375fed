#include "json/jsonpath_regex.hpp"

#include "base/error.hpp"

#include <re2/re2.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

namespace rdwh::json {
namespace {

// A compiled pattern may use this much memory (RE2 splits it between the program and its DFA
// cache); a pattern whose program does not fit is refused. Realistic patterns need a few KB.
constexpr int64_t max_regex_memory = 2 << 20;

[[noreturn]] void refuse(const std::string &what) {
  throw SyntaxError("regex " + what + " (rdwh matches with RE2, in linear time)");
}

// Inline flags `(?ims)` / `(?ims:...)`: RE2 takes i, m, s as Java does; Java's U (Unicode classes)
// is RE2's ungreedy switch, and x (comments), d, u are not RE2's.
void check_inline_flags(std::string_view p, std::size_t at) {
  for (std::size_t i = at; i < p.size() && p[i] != ')' && p[i] != ':'; ++i) {
    const char c = p[i];
    if (c == 'i' || c == 'm' || c == 's' || c == '-') continue;
    refuse(std::string("inline flag '") + c + "' is not supported (i, m and s are)");
  }
}

// The `(` at p[i]: refuses the groups Java has and RE2 cannot run or reads otherwise, copies the
// others; returns how many characters it took.
std::size_t copy_group_open(std::string_view p, std::size_t i, std::string &out) {
  const std::string_view rest = p.substr(i);
  if (rest.starts_with("(?=") || rest.starts_with("(?!") || rest.starts_with("(?<=") || rest.starts_with("(?<!"))
    refuse("lookaround assertions ((?=, (?!, (?<=, (?<!) are not supported");
  if (rest.starts_with("(?>")) refuse("atomic groups ((?>...)) are not supported");
  if (rest.starts_with("(?<")) { // Java's named group is RE2's (?P<name>...)
    out += "(?P<";
    return 3;
  }
  if (rest.starts_with("(?") && rest.size() > 2 && rest[2] != ':' && rest[2] != 'P') check_inline_flags(p, i + 2);
  out += '(';
  return 1;
}

// Whether the `}` at p[at] closes a repetition count {n}, {n,} or {n,m}.
bool closes_count(std::string_view p, std::size_t at) {
  const std::size_t open = p.rfind('{', at);
  if (open == std::string_view::npos || open + 1 == at) return false;
  const std::string_view inside = p.substr(open + 1, at - open - 1);
  return inside.find_first_not_of("0123456789,") == std::string_view::npos && inside.front() != ',' &&
         std::count(inside.begin(), inside.end(), ',') <= 1;
}

// The escape at p[i] (`\\d`, `\\p{Lu}`, `\\x{263a}`...): refuses back-references; returns where it ends.
std::size_t escape_end(std::string_view p, std::size_t i) {
  const char next = i + 1 < p.size() ? p[i + 1] : '\0';
  if (next >= '1' && next <= '9') refuse("back-references (\\1...) are not supported");
  if (next == 'k') refuse("named back-references (\\k<name>) are not supported");
  if ((next == 'p' || next == 'P' || next == 'x') && i + 2 < p.size() && p[i + 2] == '{') {
    const std::size_t brace = p.find('}', i + 2); // the braces belong to the escape
    if (brace != std::string_view::npos) return brace;
  }
  return std::min(i + 1, p.size() - 1);
}

// The character p[i] inside a bracket expression: refuses Java's intersections and nested
// classes; returns where it ends (a POSIX class [:alpha:] is one unit).
std::size_t class_char_end(std::string_view p, std::size_t i) {
  const char next = i + 1 < p.size() ? p[i + 1] : '\0';
  if (p[i] == '&' && next == '&') refuse("character class intersections ([a-z&&[^x]]) are not supported");
  if (p[i] != '[') return i;
  if (next != ':') refuse("nested character classes ([a-d[m-p]]) are not supported");
  const std::size_t end = p.find(":]", i + 2);
  return end != std::string_view::npos ? end + 1 : i;
}

// Copies the pattern for RE2, refusing what it cannot run or would read otherwise than Java.
std::string translate(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  bool in_class = false, quoted = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    const char next = i + 1 < p.size() ? p[i + 1] : '\0';
    std::size_t end = i;
    if (quoted) { // \Q...\E: literal text
      quoted = !(c == '\\' && next == 'E');
    } else if (c == '\\') {
      quoted = next == 'Q';
      end = escape_end(p, i);
    } else if (in_class) {
      in_class = c != ']';
      end = class_char_end(p, i);
    } else if (c == '[') {
      in_class = true;
      if (next == '^') ++end;
      if (end + 1 < p.size() && p[end + 1] == ']') ++end; // a leading ] is literal
    } else if ((c == '*' || c == '+' || c == '?' || (c == '}' && closes_count(p, i))) && next == '+') {
      refuse("possessive quantifiers (a*+, a++, a?+, a{2}+) are not supported");
    } else if (c == '(') {
      i += copy_group_open(p, i, out) - 1;
      continue;
    }
    out.append(p.substr(i, end + 1 - i));
    i = end;
  }
  return out;
}

// Jayway's flags after the closing slash (java.util.regex.Pattern's): i, m, s as inline flags;
// u and d are what RE2 does anyway (Unicode case folding; only \n ends a line).
std::string flag_prefix(std::string_view flags) {
  std::string inline_flags;
  for (const char f : flags) {
    if (f == 'i' || f == 'm' || f == 's') {
      if (inline_flags.find(f) == std::string::npos) inline_flags += f;
    } else if (f != 'u' && f != 'd') {
      refuse(std::string("flag '") + f + "' is not supported (i, m, s, u and d are)");
    }
  }
  return inline_flags.empty() ? std::string() : "(?" + inline_flags + ")";
}

std::string re2_message(const re2::RE2 &re) {
  switch (re.error_code()) {
  case re2::RE2::ErrorRepeatSize: return "has a repetition count over 1000, or nested counts too large";
  case re2::RE2::ErrorPatternTooLarge: return "is too large to match in bounded memory";
  default: return "is invalid: " + re.error();
  }
}

// RE2 makes a few objects once per process (RE2::Init's shared empty string and group maps) and
// keeps them for good. A host that unloads the plugin would unload a shared libre2 with it, losing
// them, and they would be made again on the next load: a small leak per load. Pinning libre2
// (RTLD_NODELETE) keeps them made once and reachable. An RE2 linked into the plugin is left alone.
void pin_re2() {
  static std::once_flag once;
  std::call_once(once, [] {
    const auto re2_fn = &re2::RE2::FullMatchN;
    const auto own_fn = &re2_message;
    void *re2_address = nullptr;
    void *own_address = nullptr;
    std::memcpy(&re2_address, &re2_fn, sizeof re2_address);
    std::memcpy(&own_address, &own_fn, sizeof own_address);
    Dl_info re2_info{};
    Dl_info own_info{};
    if (dladdr(re2_address, &re2_info) != 0 && dladdr(own_address, &own_info) != 0 && re2_info.dli_fname &&
        re2_info.dli_fbase != own_info.dli_fbase)
      (void)dlopen(re2_info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  });
}

} // namespace

Regex::Regex(std::string_view pattern, std::string_view flags) {
  const std::string text = flag_prefix(flags) + translate(pattern);
  re2::RE2::Options options;
  options.set_log_errors(false); // the plugin never writes to stderr
  options.set_never_capture(true);
  options.set_max_mem(max_regex_memory);
  pin_re2();
  re_ = std::make_unique<re2::RE2>(text, options);
  if (!re_->ok()) refuse(re2_message(*re_));
}

Regex::Regex(Regex &&) noexcept = default;
Regex &Regex::operator=(Regex &&) noexcept = default;
Regex::~Regex() = default;

bool Regex::matches(std::string_view subject) const {
  return re2::RE2::FullMatch(re2::StringPiece(subject.data(), subject.size()), *re_);
}

std::size_t Regex::cost_per_byte() const noexcept { return static_cast<std::size_t>(re_->ProgramSize()); }

} // namespace rdwh::json
