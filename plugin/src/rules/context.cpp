#include "rules/context.hpp"

#include <strings.h>

namespace rdwh::rules {
namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
} // namespace

std::string_view Delivery::header(std::string_view name) const {
  for (const auto &[n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

std::vector<std::string_view> Delivery::header_values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto &[n, v] : headers)
    if (iequals(n, name)) values.push_back(v);
  return values;
}

} // namespace rdwh::rules
