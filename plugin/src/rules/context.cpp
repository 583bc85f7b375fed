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

bool Delivery::has_header(std::string_view name) const {
  for (const auto &h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

} // namespace rdwh::rules
