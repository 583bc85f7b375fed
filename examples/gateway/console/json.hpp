// JSON helpers the console's API and pages share (RapidJSON).
#pragma once

#include "http/server.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_str(JsonWriter &w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Rundeck's API error envelope: {"error":true,"apiversion":N,"errorCode":"...","message":"..."}.
HttpResponse rundeck_error(int status, int api_version, std::string_view code, std::string_view message);
// The webhook API's own error answer: {"err":"...","errors":{...}} (errors left out when empty).
HttpResponse webhook_error(int status, std::string_view message, const std::map<std::string, std::string> &errors = {});
// 200 application/json with `json`.
HttpResponse json_ok(std::string json);

// A JSON value's text: `v` written compactly.
std::string to_json(const rapidjson::Value &v);
// A string member of an object, or nullopt (absent, null or not a string).
std::optional<std::string> string_member(const rapidjson::Value &v, const char *key);
// A boolean member, or nullopt (absent, null or not a boolean).
std::optional<bool> bool_member(const rapidjson::Value &v, const char *key);

} // namespace rdwh::gateway
