// The gateway's config file: one JSON object (see README.md and gateway.example.json).
// load_config() checks the shape and every value it can check alone; what needs plugins, key
// storage or files (providers, handler configs, the Rundeck token) is checked by Runtime::build.
#pragma once

#include "base/json.hpp"
#include "base/net.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// A config problem. what() holds one line per problem, each starting with the field's path,
// e.g. "webhooks[1].eventPlugin: no plugin offers provider 'x'". Never holds a secret.
class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A plugin refused a webhook's config: what() as ConfigError's, detail() the plugin's own message
// ("rules[0].conditions[1].condition: unknown condition 'x' ...").
class PluginConfigError : public ConfigError {
public:
  PluginConfigError(const std::string &what, std::string detail) : ConfigError(what), detail_(std::move(detail)) {}
  const std::string &detail() const { return detail_; }

private:
  std::string detail_;
};

struct ListenAddress {
  std::string host; // numeric IPv4 or IPv6 address (IPv6 without brackets)
  uint16_t port = 0; // 0: any free port (the chosen one is logged)
  bool ipv6 = false;
};

struct HttpSettings {
  ListenAddress listen;
  size_t max_body_bytes = 1024 * 1024; // PagerDuty never sends more than 256 KB
  // A delivery waits for its commit on its thread, so the threads bound the group commit: with
  // 64, every connection of a busy sender usually has a delivery in the same commit.
  unsigned threads = 64;
  unsigned connection_timeout_s = 10;  // idle or slow connections are closed after this
  unsigned max_connections = 256;
  // One client (address) may hold this many connections; behind a load balancer or TLS proxy,
  // raise it to maxConnections (every connection then comes from the proxy).
  unsigned max_connections_per_ip = 64;
  // A request's headers must arrive within this many seconds of the connection (or of the end of
  // the previous request on it), and its body within bodyTimeoutSeconds of the headers: a client
  // trickling bytes is cut off, whatever the idle timeout says.
  unsigned header_timeout_s = 10;
  unsigned body_timeout_s = 30;
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
  // Run calls in flight at once (per gateway), so a burst does not overrun Rundeck.
  unsigned max_concurrent_calls = 8;
  // A run call of unknown outcome (timeout after sending, reset, 5xx, a 2xx that is not Rundeck's
  // JSON): Rundeck's executions are searched this long after the call was sent, so a slow Rundeck
  // has time to create the execution before the gateway decides it did not run.
  int64_t reconcile_delay_ms = 10000;
  RetrySettings retry;
  // Each started execution is polled until it ends, for at most this long from its start
  // (dispatch/follower.hpp); 0: executions are not followed.
  int64_t follow_up_max_hours = 24;
};

struct OutboxSettings {
  // Finished ("done") jobs are deleted after this many hours; they are the memory that makes a
  // redelivery a no-op, so keep it well above PagerDuty's 48 h retry period. Refused jobs stay.
  int64_t retain_done_hours = 7 * 24;
  // How long a commit waits for another holder of the database's write lock before the delivery
  // is answered 503 (PagerDuty then retries it).
  int64_t busy_timeout_ms = 2000;
  // A libpq connection string: the PostgreSQL outbox (shared by any number of gateways); empty:
  // SQLite in stateDir. It may hold a password: never logged.
  std::string postgresql;
  // How long a running job stays claimed by its gateway without a renewal (renewed every third of
  // it); after that another gateway takes it over (reconciling it first).
  int64_t lease_seconds = 30;
};

// PagerDuty's REST API, for writing a job's result back onto its incident (the top-level
// "pagerduty"; absent: no webhook may ask for a follow-up).
struct PagerDutySettings {
  bool enabled = false;                           // "pagerduty" is in the file
  std::string api_url = "https://api.pagerduty.com"; // without a trailing '/'; the EU region has its own
  std::string token_file;                         // absolute; the token itself is read by Runtime::build
  std::string from;                               // a PagerDuty user's email: notes and resolves are made as them
  int64_t connect_timeout_ms = 5000;
  int64_t request_timeout_ms = 10000;             // at most half outbox.leaseSeconds (--check)
};

// A webhook's "followUp": what the gateway writes back to the incident once its jobs end.
struct FollowUpSettings {
  bool note = false;               // one note per execution on the event's incident
  bool resolve_on_success = false; // resolve the incident when every job the event started succeeded
  int output_lines = 10;           // the last lines of the execution's log in the note
  static constexpr int kMaxOutputLines = 1000;

  bool any() const { return note || resolve_on_success; }
  bool operator==(const FollowUpSettings &) const = default;
};

// One problem with one field: "webhooks[0].followUp.note", "must be true or false".
struct FieldProblem {
  std::string field, message;
};

// The one reader of a "followUp" object, wherever it comes from (the file, the console's API, the
// database): fills `out` from `v` (absent keys keep their value) and returns what is wrong, each
// problem naming its field under `path`.
std::vector<FieldProblem> read_follow_up(const rapidjson::Value &v, const std::string &path, FollowUpSettings &out);
// The object as the API shows it and the history keeps it: every key, defaults included.
void write_follow_up(JsonWriter &j, const FollowUpSettings &f);
// What the database stores: "" for the defaults (so rows made before followUp existed and rows
// saved with the defaults read the same), else write_follow_up()'s text.
std::string follow_up_text(const FollowUpSettings &f);
// Why a webhook with `f` cannot be served by a gateway with `pagerduty` ("" when it can): a
// follow-up writes to PagerDuty, and without the section there is no token to do it with.
std::string follow_up_refusal(const FollowUpSettings &f, const PagerDutySettings &pagerduty);

// The delivery store: every delivery the gateway answers, kept for the console and the debug API.
struct DeliveryStoreSettings {
  bool enabled = true;
  int64_t retain_hours = 24;            // as Rundeck's debug store
  size_t max_body_bytes = 64 * 1024;    // a longer body is stored cut (and cannot be replayed)
  int64_t max_bytes = 256LL << 20;      // the store's total size: beyond it, the oldest are evicted
  int64_t min_free_bytes = 64LL << 20;  // SQLite: records stop while the disk has less free (the outbox's)
};

// The console: Rundeck's webhook API, the debug API and the browser pages, on their own listener.
struct ConsoleSettings {
  bool enabled = false;            // "console" is in the file
  HttpSettings http;               // listen (loopback by default), smaller limits than the webhook listener
  std::string auth_token_file;     // absolute; the token itself is read by Runtime::build
  std::string public_url;          // the webhook listener as PagerDuty reaches it, for Post URLs; "" = http://<listen>
  bool secure_cookies = false;     // mark the session cookie Secure (the console is behind a TLS proxy)
  // Peers whose X-Forwarded-For is believed: the client is its rightmost address that is not one
  // of these (the wrong-token throttle and the log then see it, not the proxy). Empty: the peer.
  std::vector<IpRange> trusted_proxies;
  int64_t session_hours = 12;
  DeliveryStoreSettings deliveries;
};

// One webhook, in the shape of Rundeck's webhook API/export.
struct WebhookConfig {
  size_t index = 0;        // position in webhooks[], for messages
  bool from_file = true;   // false: created through the console's API (stored in the database)
  int64_t id = 0;          // the integer id the API shows (from the database; 0 before it is known)
  std::string assigned_uuid; // the uuid the API shows when `uuid` is empty (kept in the database)
  std::string uuid;        // optional
  std::string name;
  std::string project;
  std::string event_plugin;
  std::string auth_token;  // the URL token (secret: never logged)
  std::string user;        // informational (provenance), see README
  std::string creator;     // API webhooks: who created it (informational)
  std::vector<std::string> roles;
  bool enabled = true;
  bool use_auth = false;
  std::string authorization_ref;    // key path of the Authorization header secret, or
  std::string authorization_sha256; // its lowercase sha256 hex (Rundeck's stored form)
  std::string config_json;          // the plugin config as JSON text (object)
  FollowUpSettings follow_up;       // "followUp" (the file's; an API webhook's from its row)

  // The stable identity used in the outbox's de-duplication key: the uuid if given, else the
  // project and name (the same name in two projects is two webhooks).
  std::string key() const { return uuid.empty() ? "name:" + project + "/" + name : "uuid:" + uuid; }
  // The uuid the API shows: `uuid`, else the one the database assigned.
  const std::string &public_uuid() const { return uuid.empty() ? assigned_uuid : uuid; }
  // "webhooks[i].<name>" for a file webhook; "webhook <id> (<project>/<name>).<name>" for an API one.
  std::string field(const char *key) const;
  // Every field the same: a rebuild reuses the handler of a webhook whose config did not change.
  bool operator==(const WebhookConfig &) const = default;
};

struct Config {
  std::string path;                 // the file, as given
  HttpSettings http;
  std::vector<std::string> plugin_dirs;
  std::string state_dir;
  std::string key_storage_dir;      // empty: no key storage directory
  // keyStorageEnvAllow: the environment variables `env/NAME` may read; empty (the default): none.
  std::vector<std::string> key_storage_env_allow;
  RundeckSettings rundeck;
  PagerDutySettings pagerduty;
  OutboxSettings outbox;
  // Replay guard: an event that happened longer ago than this (its occurred_at) is acknowledged
  // and runs nothing (its jobs are stored as skipped, with the reason). Just above PagerDuty's
  // 48 h retry period, and below outbox.retainDoneHours, so every event young enough to run is
  // still remembered by the de-duplication.
  int64_t max_event_age_s = 49 * 3600;
  std::string log_level = "info";
  ConsoleSettings console;
  std::vector<WebhookConfig> webhooks;
};

// Reads and checks the file. Relative paths resolve against the file's directory.
// Throws ConfigError listing every problem found.
Config load_config(const std::string &path);
// load_config() of `text` as if it were the file `path` (messages name it, relative paths resolve
// from its directory): --import checks what it is about to write.
Config load_config_text(const std::string &path, const std::string &text);

// Parses "host:port" / "[v6]:port" (numeric addresses only); false with `why` when malformed.
bool parse_listen(const std::string &text, ListenAddress &out, std::string &why);

// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string &path);

// "LINE:COLUMN" (both from 1; columns count bytes) of byte `offset` in `text`, for errors in files
// people edit: an editor jumps to "gateway.json:12:5".
std::string line_column(std::string_view text, size_t offset);

} // namespace rdwh::gateway
