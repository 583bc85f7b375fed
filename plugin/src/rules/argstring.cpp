#include "rules/argstring.hpp"

#include <algorithm>

namespace rdwh::rules {
namespace {

// Apache Commons' StrMatcher.trimMatcher: every character up to the space (controls included).
bool is_delimiter(char c) { return static_cast<unsigned char>(c) <= ' '; }

// One token starting at line[pos] (not a delimiter); advances pos past it and the delimiters
// after it.
std::string read_token(std::string_view line, std::size_t &pos) {
  const char quote = line[pos] == '\'' || line[pos] == '"' ? line[pos] : '\0';
  bool quoting = quote != '\0';
  if (quoting) ++pos;
  std::string token;
  while (pos < line.size()) {
    const char c = line[pos];
    if (quoting && c == quote) {
      if (pos + 1 < line.size() && line[pos + 1] == quote) { // a doubled quote: the quote itself
        token += quote;
        pos += 2;
      } else {
        quoting = false;
        ++pos;
      }
    } else if (!quoting && is_delimiter(c)) {
      break;
    } else if (!quoting && quote && c == quote) { // the token's quote opens again
      quoting = true;
      ++pos;
    } else {
      token += c;
      ++pos;
    }
  }
  return token;
}

bool needs_quotes(std::string_view token) {
  return token.empty() || token.find_first_of(" \"'\r\n") != std::string_view::npos;
}

} // namespace

std::vector<std::string> burst(std::string_view line) {
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  for (;;) {
    while (pos < line.size() && is_delimiter(line[pos])) ++pos;
    if (pos >= line.size()) return tokens;
    tokens.push_back(read_token(line, pos));
  }
}

std::string join(const std::vector<std::string> &tokens) {
  std::string out;
  for (const std::string &token : tokens) {
    if (!out.empty()) out += ' ';
    if (!needs_quotes(token)) {
      out += token;
      continue;
    }
    out += '"';
    for (const char c : token) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_options(const std::vector<std::string> &tokens) {
  std::vector<std::pair<std::string, std::string>> options;
  const std::string *name = nullptr;
  for (const std::string &token : tokens) {
    if (name) {
      auto same = std::find_if(options.begin(), options.end(), [&](const auto &o) { return o.first == *name; });
      if (same != options.end()) same->second = token;
      else options.emplace_back(*name, token);
      name = nullptr;
    } else if (token.size() > 1 && token[0] == '-') {
      name = &token;
    }
  }
  for (auto &option : options) option.first.erase(0, 1);
  return options;
}

} // namespace rdwh::rules
