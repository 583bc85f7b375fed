// Rundeck's argString: `-opt1 value -opt2 "other value"`, the job options of its open-source
// "Run Job" webhook handler (webhook-run-job). The same three steps Rundeck takes:
// - burst: split into tokens at spaces (any character up to U+0020), a token that starts with '
//   or " quoted to the same quote, a doubled quote inside standing for itself
//   (OptsUtil.burst / QuotedStringTokenizer);
// - join: the tokens back into one line, each with a space, quote, CR, LF or nothing in it
//   written "quoted" with " doubled (OptsUtil.join), after Run Job has rendered each token;
// - options: `-name value` pairs of the tokens; a token after a name is its value whatever it
//   starts with, other tokens are ignored, a later name wins (FrameworkService.parseOptsFromArray).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::rules {

std::vector<std::string> burst(std::string_view line);
std::string join(const std::vector<std::string> &tokens);
// The options, in the order their names first appear, each with its last value.
std::vector<std::pair<std::string, std::string>> parse_options(const std::vector<std::string> &tokens);

} // namespace rdwh::rules
