// JSON helpers (RapidJSON) for any part of the gateway: writing text, reading optional members.
#pragma once

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_str(JsonWriter &w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// The compact JSON text `fill(JsonWriter &)` writes.
template <class F> std::string json_text(F &&fill) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  fill(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// A JSON value's text: `v` written compactly.
std::string to_json(const rapidjson::Value &v);
// `v` indented by two spaces, for people to read and edit.
std::string pretty_json(const rapidjson::Value &v);
// A string member of an object, or nullopt (absent, null or not a string).
std::optional<std::string> string_member(const rapidjson::Value &v, const char *key);
// A boolean member, or nullopt (absent, null or not a boolean).
std::optional<bool> bool_member(const rapidjson::Value &v, const char *key);

} // namespace rdwh::gateway
