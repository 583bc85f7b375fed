#include "console/json.hpp"

namespace rdwh::gateway {

namespace {
constexpr const char *kJson = "application/json";
}

HttpResponse rundeck_error(int status, int api_version, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error"), w.Bool(true);
  w.Key("apiversion"), w.Int(api_version);
  w.Key("errorCode"), write_str(w, code);
  w.Key("message"), write_str(w, message);
  w.EndObject();
  return {status, kJson, std::string(buf.GetString(), buf.GetSize())};
}

HttpResponse webhook_error(int status, std::string_view message, const std::map<std::string, std::string> &errors) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("err"), write_str(w, message);
  if (!errors.empty()) {
    w.Key("errors");
    w.StartObject();
    for (const auto &[k, v] : errors) {
      write_str(w, k);
      write_str(w, v);
    }
    w.EndObject();
  }
  w.EndObject();
  return {status, kJson, std::string(buf.GetString(), buf.GetSize())};
}

HttpResponse json_ok(std::string json) { return {200, kJson, std::move(json)}; }

std::string to_json(const rapidjson::Value &v) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
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
