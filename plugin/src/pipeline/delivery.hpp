// Stage 1: the delivery as the host gave it, and the limits checked before anything reads it.
#pragma once

#include "base/reject.hpp"
#include "rules/config.hpp"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::pipeline {

// Borrowed from the host for the duration of handle().
struct Delivery {
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
  std::string_view delivery_id;
  std::string_view webhook_name;
  std::string_view project;
  std::string_view sender;
  int64_t received_unix_ms = 0;
  int64_t now_unix_ms = 0;

  // The first header of that name (case-insensitive), or an empty view.
  std::string_view header(std::string_view name) const;
  // Every value of the headers of that name (case-insensitive), in order.
  std::vector<std::string_view> header_values(std::string_view name) const;
};

// Headers feed the signature check and templates (${webhook['Name']}), the body everything else:
// both are bounded first (431 for headers, 413 for the body).
Checked<void> check_limits(const Delivery &delivery, const rules::Limits &limits);

} // namespace rdwh::pipeline
