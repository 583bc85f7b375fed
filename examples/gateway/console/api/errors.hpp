// The API's answers: Rundeck's error envelope, the webhook API's {"err": ...}, and a use case's
// refusal in the latter.
#pragma once

#include "console/admin/outcome.hpp"
#include "http/server.hpp"

#include <map>
#include <string>
#include <string_view>

namespace rdwh::gateway {

// Rundeck's API error envelope: {"error":true,"apiversion":N,"errorCode":"...","message":"..."}.
HttpResponse rundeck_error(int status, int api_version, std::string_view code, std::string_view message);
// The webhook API's own error answer: {"err":"...","errors":{...}} (errors left out when empty).
HttpResponse webhook_error(int status, std::string_view message, const std::map<std::string, std::string> &errors = {});
// A refusal as the webhook API answers it: its reason in "err", the field's error in "errors".
HttpResponse webhook_error(const Refused &refused);
// 200 application/json with `json`.
HttpResponse json_ok(std::string json);

} // namespace rdwh::gateway
