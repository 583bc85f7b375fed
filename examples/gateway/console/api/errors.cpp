#include "console/api/errors.hpp"

#include "base/json.hpp"

namespace rdwh::gateway {

namespace {

constexpr const char *kJson = "application/json";

} // namespace

HttpResponse rundeck_error(int status, int api_version, std::string_view code, std::string_view message) {
  return {status, kJson, json_text([&](JsonWriter &w) {
            w.StartObject();
            w.Key("error"), w.Bool(true);
            w.Key("apiversion"), w.Int(api_version);
            w.Key("errorCode"), write_str(w, code);
            w.Key("message"), write_str(w, message);
            w.EndObject();
          })};
}

HttpResponse webhook_error(int status, std::string_view message, const std::map<std::string, std::string> &errors) {
  return {status, kJson, json_text([&](JsonWriter &w) {
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
          })};
}

HttpResponse webhook_error(const Refused &r) {
  if (r.field_error.empty()) return webhook_error(status_of(r.kind), r.reason);
  std::map<std::string, std::string> errors{{r.field, r.field_error}};
  for (const auto &[field, why] : r.more) errors.emplace(field, why);
  return webhook_error(status_of(r.kind), r.reason, errors);
}

HttpResponse json_ok(std::string json) { return {200, kJson, std::move(json)}; }

} // namespace rdwh::gateway
