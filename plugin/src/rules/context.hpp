// What rules see of one delivery and of one event in it.
#pragma once

#include "json/rapidjson.hpp"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::rules {

// The delivery as the host gave it (borrowed for the duration of handle()).
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

// One event: a batch item (or the whole payload), which is `$` and `data` for the rules.
struct EventContext {
  const json::Value &event;
  const Delivery &delivery;
};

} // namespace rdwh::rules
