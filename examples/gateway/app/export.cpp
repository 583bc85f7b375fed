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
    // What Rundeck's export format has no field for, under rdwh's own key (Rundeck's importer skips
    // it): the Authorization header's check (its value is never stored, only its sha256, or the key
    // reference of a file webhook), who created the webhook, and its followUp when not the defaults.
    out << YAML::Key << "rdwh" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "useAuth" << YAML::Value << h.use_auth;
    if (!h.auth_sha256.empty()) out << YAML::Key << "authorizationSha256" << YAML::Value << h.auth_sha256;
    if (!h.auth_ref.empty()) out << YAML::Key << "authorization" << YAML::Value << h.auth_ref;
    if (!h.creator.empty()) out << YAML::Key << "creator" << YAML::Value << h.creator;
    if (h.follow_up != FollowUpSettings{}) {
      out << YAML::Key << "followUp" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "note" << YAML::Value << h.follow_up.note;
      out << YAML::Key << "resolveOnSuccess" << YAML::Value << h.follow_up.resolve_on_success;
      out << YAML::Key << "outputLines" << YAML::Value << h.follow_up.output_lines;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

} // namespace rdwh::gateway
