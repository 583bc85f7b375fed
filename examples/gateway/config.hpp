// The gateway's config file: one JSON object (see README.md and gateway.example.json).
// load_config() checks the shape and every value it can check alone; what needs plugins, key
// storage or files (providers, handler configs, the Rundeck token) is checked by Runtime::build.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rdwh::gateway {

// A config problem. what() holds one line per problem, each starting with the field's path,
// e.g. "webhooks[1].eventPlugin: no plugin offers provider 'x'". Never holds a secret.
class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ListenAddress {
  std::string host; // numeric IPv4 or IPv6 address (IPv6 without brackets)
  uint16_t port = 0; // 0: any free port (the chosen one is logged)
  bool ipv6 = false;
};

struct HttpSettings {
  ListenAddress listen;
  size_t max_body_bytes = 1024 * 1024; // PagerDuty never sends more than 256 KB
  unsigned threads = 16; // a delivery mostly waits for its commit: more threads, bigger group commits
  unsigned connection_timeout_s = 10;  // idle or slow connections are closed after this
  unsigned max_connections = 256;
  unsigned shutdown_grace_s = 10;      // how long SIGTERM waits for in-flight requests
};

struct RetrySettings {
  int64_t initial_delay_ms = 1000;
  int64_t max_delay_ms = 5 * 60 * 1000;
};

struct RundeckSettings {
  std::string url;                 // without a trailing '/'
  int api_version = 0;
  std::string auth_token_file;     // absolute; the token itself is read by Runtime::build
  int64_t connect_timeout_ms = 5000;
  int64_t request_timeout_ms = 30000;
  RetrySettings retry;
};

struct OutboxSettings {
  // Finished ("done") jobs are deleted after this many hours; they are the memory that makes a
  // redelivery a no-op, so keep it well above PagerDuty's 48 h retry period. Refused jobs stay.
  int64_t retain_done_hours = 7 * 24;
  // How long a commit waits for another holder of the database's write lock before the delivery
  // is answered 503 (PagerDuty then retries it).
  int64_t busy_timeout_ms = 2000;
};

// One webhook, in the shape of Rundeck's webhook API/export.
struct WebhookConfig {
  size_t index = 0;        // position in webhooks[], for messages
  std::string uuid;        // optional
  std::string name;
  std::string project;
  std::string event_plugin;
  std::string auth_token;  // the URL token (secret: never logged)
  std::string user;        // informational (provenance), see README
  std::vector<std::string> roles;
  bool enabled = true;
  bool use_auth = false;
  std::string authorization_ref;    // key path of the Authorization header secret, or
  std::string authorization_sha256; // its lowercase sha256 hex (Rundeck's stored form)
  std::string config_json;          // the plugin config as JSON text (object)

  // The stable identity used in the outbox's de-duplication key: uuid if given, else name.
  const std::string &key() const { return uuid.empty() ? name : uuid; }
  std::string field(const char *key) const; // "webhooks[i].<name>"
};

struct Config {
  std::string path;                 // the file, as given
  HttpSettings http;
  std::vector<std::string> plugin_dirs;
  std::string state_dir;
  std::string key_storage_dir;      // empty: no key storage directory
  RundeckSettings rundeck;
  OutboxSettings outbox;
  std::string log_level = "info";
  std::vector<WebhookConfig> webhooks;
};

// Reads and checks the file. Relative paths resolve against the file's directory.
// Throws ConfigError listing every problem found.
Config load_config(const std::string &path);

// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string &path);

} // namespace rdwh::gateway
