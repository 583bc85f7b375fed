// The body of Rundeck's job run call ({"options":{...},"filter":"...","asUser":"..."}), as the
// outbox stores it and as Rundeck gets it.
//
// Stored, it never holds a value from key storage: each value the plugin's handler was given
// stands as "(from key storage)" (config/key_values.hpp), and a "keyStorage" member says where
// and which key: [{"in":"option"|"optionName"|"filter"|"asUser", "option":<index>, "at":<byte>,
// "key":"keys/...", "from"?, "size"?}]. Every view shows the stored body, so none can show a
// value; the dispatcher puts the values back (sendable_run_body) for the call itself only. A body
// without "keyStorage" is sent as it is stored.
#pragma once

#include "config/key_values.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rdwh::gateway {

struct RunRequest {
  std::vector<std::pair<std::string, std::string>> options; // name, value; in the plugin's order
  std::string filter, as_user;                              // "": none
};

// The body to store; `keys`: what the handler was given (nullptr: nothing to hide).
std::string stored_run_body(const RunRequest &r, const ServedKeys *keys);

// The body to send, the values put back in it (to hide them in Rundeck's answers), or why it
// cannot be built (`error`: a key gone from key storage). Wipes its copies when destroyed.
struct SendableBody {
  std::string json;
  std::vector<std::string> values;
  std::string error; // "": json is the body
  SendableBody() = default;
  SendableBody(const SendableBody &) = delete;
  SendableBody &operator=(const SendableBody &) = delete;
  ~SendableBody();
};
void sendable_run_body(std::string_view stored, const KeyLookup &lookup, SendableBody &out);

} // namespace rdwh::gateway
