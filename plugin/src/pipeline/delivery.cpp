#include "pipeline/delivery.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

namespace rdwh::pipeline {

std::string_view Delivery::header(std::string_view name) const {
  for (const auto &[n, v] : headers)
    if (text::iequals(n, name)) return v;
  return {};
}

std::vector<std::string_view> Delivery::header_values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto &[n, v] : headers)
    if (text::iequals(n, name)) values.push_back(v);
  return values;
}

Checked<void> check_limits(const Delivery &delivery, const rules::Limits &limits) {
  if (delivery.headers.size() > limits.max_headers)
    return Rejection{Verdict::limit_exceeded, 431,
                     fmt::format("{} headers exceed the limit of {} (limits.maxHeaders)", delivery.headers.size(),
                                 limits.max_headers)};
  std::size_t header_bytes = 0;
  for (const auto &[name, value] : delivery.headers) header_bytes += name.size() + value.size();
  if (header_bytes > limits.max_header_bytes)
    return Rejection{Verdict::limit_exceeded, 431,
                     fmt::format("headers of {} bytes exceed the limit of {} bytes (limits.maxHeaderBytes)",
                                 header_bytes, limits.max_header_bytes)};
  if (delivery.body.size() > limits.max_body_bytes)
    return Rejection{Verdict::too_large, 413,
                     fmt::format("request body of {} bytes exceeds the limit of {} bytes", delivery.body.size(),
                                 limits.max_body_bytes)};
  return {};
}

} // namespace rdwh::pipeline
