#include "app/export.hpp"

#include <yaml-cpp/yaml.h>

namespace rdwh::gateway {

std::string webhooks_yaml(const std::vector<StoredWebhook> &hooks, bool with_tokens) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "webhooks" << YAML::Value << YAML::BeginSeq;
  for (const StoredWebhook &h : hooks) {
    out << YAML::BeginMap;
    out << YAML::Key << "uuid" << YAML::Value << h.uuid;
    out << YAML::Key << "name" << YAML::Value << h.name;
    out << YAML::Key << "project" << YAML::Value << h.project;
    out << YAML::Key << "eventPlugin" << YAML::Value << h.event_plugin;
    out << YAML::Key << "config" << YAML::Value << YAML::DoubleQuoted << h.config_json;
    out << YAML::Key << "enabled" << YAML::Value << h.enabled;
    out << YAML::Key << "user" << YAML::Value << h.user;
    out << YAML::Key << "roles" << YAML::Value << h.roles;
    if (with_tokens) out << YAML::Key << "authToken" << YAML::Value << h.auth_token;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

} // namespace rdwh::gateway
