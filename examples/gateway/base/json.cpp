#include "base/json.hpp"

#include <rapidjson/prettywriter.h>

namespace rdwh::gateway {

std::string to_json(const rapidjson::Value &v) {
  return json_text([&](JsonWriter &w) { v.Accept(w); });
}

std::string pretty_json(const rapidjson::Value &v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::string> string_member(const rapidjson::Value &v, const char *key) {
  if (!v.IsObject()) return std::nullopt;
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<bool> bool_member(const rapidjson::Value &v, const char *key) {
  if (!v.IsObject()) return std::nullopt;
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsBool()) return std::nullopt;
  return it->value.GetBool();
}

} // namespace rdwh::gateway
