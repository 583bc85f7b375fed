#include "config/config.hpp"

#include "base/json.hpp"
#include "config/keystore.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace rdwh::gateway {

namespace fs = std::filesystem;

std::string WebhookConfig::field(const char *key) const {
  if (!from_file) return "webhook " + std::to_string(id) + " (" + project + "/" + name + ")." + key;
  return "webhooks[" + std::to_string(index) + "]." + key;
}

std::string line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return std::to_string(line) + ":" + std::to_string(offset - line_start + 1);
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return std::move(out).str();
}

namespace {

using Value = rapidjson::Value;

// Collects problems so one run of --check reports all of them.
class Problems {
public:
  void add(const std::string &field, const std::string &what) { found_.push_back({field, what}); }
  bool empty() const { return found_.empty(); }
  std::string text() const {
    std::string out;
    for (const auto &f : found_) out += (out.empty() ? "" : "\n") + f.field + ": " + f.message;
    return out;
  }
  std::vector<FieldProblem> take() { return std::move(found_); }

private:
  std::vector<FieldProblem> found_;
};

std::string join(const std::string &parent, const char *key) {
  return parent.empty() ? std::string(key) : parent + "." + key;
}

// Typed readers over one JSON object: each reports a wrong type against the field's path.
class Obj {
public:
  Obj(const Value &v, std::string path, Problems &p) : v_(v), path_(std::move(path)), p_(p) {}

  void allow_only(std::initializer_list<const char *> keys) const {
    for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
      const std::string name(it->name.GetString(), it->name.GetStringLength());
      if (std::none_of(keys.begin(), keys.end(), [&](const char *k) { return name == k; }))
        p_.add(join(path_, name.c_str()), "unknown key");
    }
  }
  const Value *get(const char *key) const {
    auto it = v_.FindMember(key);
    return it == v_.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  }
  std::string path(const char *key) const { return join(path_, key); }

  bool str(const char *key, std::string &out, bool required) const {
    const Value *v = get(key);
    if (!v) {
      if (required) p_.add(path(key), "required");
      return false;
    }
    if (!v->IsString()) {
      p_.add(path(key), "must be a string");
      return false;
    }
    out.assign(v->GetString(), v->GetStringLength());
    if (required && out.empty()) {
      p_.add(path(key), "must not be empty");
      return false;
    }
    return true;
  }
  bool boolean(const char *key, bool &out) const {
    const Value *v = get(key);
    if (!v) return false;
    if (!v->IsBool()) {
      p_.add(path(key), "must be true or false");
      return false;
    }
    out = v->GetBool();
    return true;
  }
  template <class T> bool integer(const char *key, T &out, int64_t min, int64_t max, bool required = false) const {
    const Value *v = get(key);
    if (!v) {
      if (required) p_.add(path(key), "required");
      return false;
    }
    if (!v->IsInt64() || v->GetInt64() < min || v->GetInt64() > max) {
      p_.add(path(key), "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
      return false;
    }
    out = static_cast<T>(v->GetInt64());
    return true;
  }
  bool object(const char *key, const Value *&out) const {
    out = get(key);
    if (!out) return false;
    if (!out->IsObject()) {
      p_.add(path(key), "must be an object");
      return false;
    }
    return true;
  }

private:
  const Value &v_;
  std::string path_;
  Problems &p_;
};

std::string resolve(const fs::path &base, const std::string &p) {
  if (p.empty()) return p;
  fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

} // namespace

bool parse_listen(const std::string &text, ListenAddress &out, std::string &why) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "expected [IPv6]:port";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    out.ipv6 = true;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      why = "expected host:port, e.g. 127.0.0.1:4440";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    out.ipv6 = false;
  }
  unsigned char buf[16];
  if (inet_pton(out.ipv6 ? AF_INET6 : AF_INET, host.c_str(), buf) != 1) {
    why = "'" + host + "' is not a numeric IP address";
    return false;
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      std::stoul(port) > 65535) {
    why = "port must be a number from 0 to 65535";
    return false;
  }
  out.host = host;
  out.port = static_cast<uint16_t>(std::stoul(port));
  return true;
}

namespace {

bool is_key_reference(const std::string &s) { return s.rfind("keys/", 0) == 0 || s.rfind("env/", 0) == 0; }

bool is_sha256_hex(const std::string &s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A duration in seconds: an integer, or a string of digits with a unit s, m, h or d ("49h").
bool parse_duration(const Value &v, int64_t &seconds) {
  if (v.IsInt64()) {
    seconds = v.GetInt64();
    return seconds >= 0;
  }
  if (!v.IsString()) return false;
  const std::string s(v.GetString(), v.GetStringLength());
  if (s.size() < 2 || s.size() > 12 || !std::all_of(s.begin(), s.end() - 1, [](char ch) { return ch >= '0' && ch <= '9'; }))
    return false;
  const int64_t n = std::stoll(s.substr(0, s.size() - 1));
  switch (s.back()) {
  case 's': seconds = n; return true;
  case 'm': seconds = n * 60; return true;
  case 'h': seconds = n * 3600; return true;
  case 'd': seconds = n * 86400; return true;
  default: return false;
  }
}

void read_http(const Obj &root, Config &c, Problems &p) {
  std::string listen;
  if (root.str("listen", listen, true)) {
    std::string why;
    if (!parse_listen(listen, c.http.listen, why)) p.add("listen", why);
  }
  const Value *http = nullptr;
  if (!root.object("http", http)) return;
  Obj o(*http, "http", p);
  o.allow_only({"maxBodyBytes", "threads", "connectionTimeoutSeconds", "maxConnections", "maxConnectionsPerIp",
                "headerTimeoutSeconds", "bodyTimeoutSeconds", "shutdownGraceSeconds"});
  o.integer("maxBodyBytes", c.http.max_body_bytes, 1024, 64LL * 1024 * 1024);
  o.integer("threads", c.http.threads, 1, 256);
  o.integer("connectionTimeoutSeconds", c.http.connection_timeout_s, 1, 3600);
  o.integer("maxConnections", c.http.max_connections, 1, 65535);
  o.integer("maxConnectionsPerIp", c.http.max_connections_per_ip, 1, 65535);
  o.integer("headerTimeoutSeconds", c.http.header_timeout_s, 1, 3600);
  o.integer("bodyTimeoutSeconds", c.http.body_timeout_s, 1, 3600);
  o.integer("shutdownGraceSeconds", c.http.shutdown_grace_s, 0, 600);
}

void read_rundeck(const Obj &root, const fs::path &base, Config &c, Problems &p) {
  const Value *rd = nullptr;
  if (!root.object("rundeck", rd)) {
    if (!rd) p.add("rundeck", "required");
    return;
  }
  Obj o(*rd, "rundeck", p);
  o.allow_only({"url", "apiVersion", "authTokenFile", "connectTimeoutSeconds", "timeoutSeconds", "maxConcurrentCalls",
                "reconcileDelaySeconds", "retry", "followUpMaxHours"});
  RundeckSettings &r = c.rundeck;
  if (o.str("url", r.url, true)) {
    if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0)
      p.add("rundeck.url", "must start with http:// or https://");
    while (!r.url.empty() && r.url.back() == '/') r.url.pop_back();
  }
  // Options as a JSON map (what the plugin renders) need API v18 or later.
  o.integer("apiVersion", r.api_version, 18, 1000, true);
  if (o.str("authTokenFile", r.auth_token_file, true)) r.auth_token_file = resolve(base, r.auth_token_file);
  int64_t secs = 0;
  if (o.integer("connectTimeoutSeconds", secs, 1, 600)) r.connect_timeout_ms = secs * 1000;
  if (o.integer("timeoutSeconds", secs, 1, 3600)) r.request_timeout_ms = secs * 1000;
  o.integer("maxConcurrentCalls", r.max_concurrent_calls, 1, 256);
  if (o.integer("reconcileDelaySeconds", secs, 0, 3600)) r.reconcile_delay_ms = secs * 1000;
  o.integer("followUpMaxHours", r.follow_up_max_hours, 0, 24 * 365);
  const Value *retry = nullptr;
  if (o.object("retry", retry)) {
    Obj ro(*retry, "rundeck.retry", p);
    ro.allow_only({"initialDelayMs", "maxDelayMs"});
    ro.integer("initialDelayMs", r.retry.initial_delay_ms, 1, 3600 * 1000);
    ro.integer("maxDelayMs", r.retry.max_delay_ms, 1, 24 * 3600 * 1000);
    if (r.retry.max_delay_ms < r.retry.initial_delay_ms)
      p.add("rundeck.retry.maxDelayMs", "must not be below initialDelayMs");
  }
}

void read_pagerduty(const Obj &root, const fs::path &base, Config &c, Problems &p) {
  const Value *pd = nullptr;
  if (!root.object("pagerduty", pd)) return;
  PagerDutySettings &s = c.pagerduty;
  s.enabled = true;
  Obj o(*pd, "pagerduty", p);
  o.allow_only({"apiUrl", "tokenFile", "from", "connectTimeoutSeconds", "timeoutSeconds"});
  if (o.str("apiUrl", s.api_url, false)) {
    if (s.api_url.rfind("http://", 0) != 0 && s.api_url.rfind("https://", 0) != 0)
      p.add("pagerduty.apiUrl", "must start with http:// or https://");
    while (!s.api_url.empty() && s.api_url.back() == '/') s.api_url.pop_back();
  }
  if (o.str("tokenFile", s.token_file, true)) s.token_file = resolve(base, s.token_file);
  // PagerDuty refuses a note or a status change without a From header naming one of its users.
  if (o.str("from", s.from, true) && s.from.find('@') == std::string::npos)
    p.add("pagerduty.from", "must be the email address of a PagerDuty user");
  int64_t secs = 0;
  if (o.integer("connectTimeoutSeconds", secs, 1, 600)) s.connect_timeout_ms = secs * 1000;
  if (o.integer("timeoutSeconds", secs, 1, 3600)) s.request_timeout_ms = secs * 1000;
}

// console.trustedProxies: a list of addresses and CIDR ranges.
void read_trusted_proxies(const Value *list, ConsoleSettings &s, Problems &p) {
  if (!list) return;
  if (!list->IsArray()) {
    p.add("console.trustedProxies",
          "must be a list of IP addresses or CIDR ranges, e.g. [\"127.0.0.1\", \"10.0.0.0/8\"]");
    return;
  }
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const std::string field = "console.trustedProxies[" + std::to_string(i) + "]";
    const Value &v = (*list)[i];
    std::string why;
    if (!v.IsString()) {
      p.add(field, "must be a string: an IP address or a CIDR range");
    } else if (const auto range = parse_ip_range(std::string_view(v.GetString(), v.GetStringLength()), why)) {
      if (range->prefix == 0)
        p.add(field, "would trust every address: anyone could choose the address the console sees");
      else
        s.trusted_proxies.push_back(*range);
    } else {
      p.add(field, "'" + std::string(v.GetString(), v.GetStringLength()) + "': " + why);
    }
  }
}

void read_console(const Obj &root, const fs::path &base, Config &c, Problems &p) {
  const Value *console = nullptr;
  if (!root.object("console", console)) return;
  ConsoleSettings &s = c.console;
  s.enabled = true;
  // A small pool: a handful of people and scripts, never PagerDuty's bursts.
  s.http.threads = 4;
  s.http.max_connections = 64;
  s.http.max_connections_per_ip = 32;
  Obj o(*console, "console", p);
  o.allow_only({"listen", "authTokenFile", "publicUrl", "secureCookies", "sessionHours", "deliveries",
                "trustedProxies"});
  std::string listen = "127.0.0.1:4441";
  o.str("listen", listen, false);
  if (std::string why; !parse_listen(listen, s.http.listen, why)) p.add("console.listen", why);
  if (o.str("authTokenFile", s.auth_token_file, true)) s.auth_token_file = resolve(base, s.auth_token_file);
  if (o.str("publicUrl", s.public_url, false)) {
    if (s.public_url.rfind("http://", 0) != 0 && s.public_url.rfind("https://", 0) != 0)
      p.add("console.publicUrl", "must start with http:// or https://");
    while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  }
  o.boolean("secureCookies", s.secure_cookies);
  o.integer("sessionHours", s.session_hours, 1, 24 * 30);
  read_trusted_proxies(o.get("trustedProxies"), s, p);
  const Value *deliveries = nullptr;
  if (o.object("deliveries", deliveries)) {
    Obj d(*deliveries, "console.deliveries", p);
    d.allow_only({"enabled", "retainHours", "maxBodyBytes", "maxBytes", "minFreeBytes"});
    d.boolean("enabled", s.deliveries.enabled);
    d.integer("retainHours", s.deliveries.retain_hours, 1, 24 * 366);
    d.integer("maxBodyBytes", s.deliveries.max_body_bytes, 0, 16LL * 1024 * 1024);
    d.integer("maxBytes", s.deliveries.max_bytes, 1LL << 20, 1LL << 40);
    d.integer("minFreeBytes", s.deliveries.min_free_bytes, 0, 1LL << 40);
  }
}

void read_roles(const Obj &o, WebhookConfig &w, Problems &p) {
  const Value *roles = o.get("roles");
  if (!roles) return;
  // Rundeck's API takes a comma-separated string; accept a list too.
  if (roles->IsString()) {
    std::stringstream ss(roles->GetString());
    for (std::string r; std::getline(ss, r, ',');)
      if (!r.empty()) w.roles.push_back(r);
  } else if (roles->IsArray()) {
    for (const auto &r : roles->GetArray())
      if (r.IsString()) w.roles.emplace_back(r.GetString());
      else p.add(w.field("roles"), "must be a string or a list of strings");
  } else {
    p.add(w.field("roles"), "must be a string or a list of strings");
  }
}

// The Authorization header's check: a key reference or the header's sha256, not both.
void read_authorization(const Obj &o, WebhookConfig &w, Problems &p) {
  if (o.str("authorization", w.authorization_ref, false) && !is_key_reference(w.authorization_ref))
    p.add(w.field("authorization"),
          "must be a key reference (keys/<path> or env/<NAME>), not the secret itself");
  if (o.str("authorizationSha256", w.authorization_sha256, false)) {
    std::transform(w.authorization_sha256.begin(), w.authorization_sha256.end(), w.authorization_sha256.begin(),
                   [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
    if (!is_sha256_hex(w.authorization_sha256))
      p.add(w.field("authorizationSha256"), "must be 64 hex digits (sha256 of the Authorization header value)");
  }
  if (w.use_auth && w.authorization_ref.empty() && w.authorization_sha256.empty())
    p.add(w.field("useAuth"), "needs 'authorization' (a key reference) or 'authorizationSha256'");
  if (!w.authorization_ref.empty() && !w.authorization_sha256.empty())
    p.add(w.field("authorization"), "give either 'authorization' or 'authorizationSha256', not both");
}

void read_webhook_config(const Obj &o, WebhookConfig &w, Problems &p) {
  // config: an object, or a JSON string holding one (Rundeck's export writes a string).
  if (const Value *cfg = o.get("config")) {
    if (cfg->IsObject()) {
      w.config_json = to_json(*cfg);
    } else if (cfg->IsString()) {
      rapidjson::Document inner;
      inner.Parse(cfg->GetString(), cfg->GetStringLength());
      if (inner.HasParseError() || !inner.IsObject())
        p.add(w.field("config"), "a string config must hold a JSON object");
      else w.config_json = std::string(cfg->GetString(), cfg->GetStringLength());
    } else {
      p.add(w.field("config"), "must be an object or a JSON string");
    }
  } else {
    w.config_json = "{}";
  }
}

void read_follow_up_object(const Value &v, const std::string &path, FollowUpSettings &out, Problems &p) {
  if (!v.IsObject()) {
    p.add(path, "must be an object");
    return;
  }
  Obj f(v, path, p);
  f.allow_only({"note", "resolveOnSuccess", "outputLines"});
  f.boolean("note", out.note);
  f.boolean("resolveOnSuccess", out.resolve_on_success);
  f.integer("outputLines", out.output_lines, 0, FollowUpSettings::kMaxOutputLines);
}

void read_webhook_follow_up(const Obj &o, WebhookConfig &w, Problems &p) {
  if (const Value *fu = o.get("followUp")) read_follow_up_object(*fu, w.field("followUp"), w.follow_up, p);
}

void read_webhook(const Value &v, size_t i, Config &c, Problems &p) {
  const std::string path = "webhooks[" + std::to_string(i) + "]";
  if (!v.IsObject()) {
    p.add(path, "must be an object");
    return;
  }
  Obj o(v, path, p);
  // The fields of Rundeck's webhook API representation and project export, plus the two
  // Authorization-header fields of this gateway. id and regenAuth are accepted and ignored; creator
  // is kept (what --export wrote of a webhook made in the console).
  o.allow_only({"id", "uuid", "name", "project", "eventPlugin", "config", "enabled", "user", "roles", "authToken",
                "creator", "useAuth", "regenAuth", "authorization", "authorizationSha256", "followUp"});
  WebhookConfig w;
  w.index = i;
  o.str("uuid", w.uuid, false);
  o.str("name", w.name, true);
  o.str("project", w.project, true);
  o.str("eventPlugin", w.event_plugin, true);
  if (o.str("authToken", w.auth_token, true) &&
      w.auth_token.find_first_of("#/?% ") != std::string::npos)
    p.add(w.field("authToken"), "must not contain '#', '/', '?', '%' or spaces");
  o.str("user", w.user, false);
  o.str("creator", w.creator, false);
  o.boolean("enabled", w.enabled);
  o.boolean("useAuth", w.use_auth);
  read_roles(o, w, p);
  read_authorization(o, w, p);
  read_webhook_config(o, w, p);
  read_webhook_follow_up(o, w, p);
  c.webhooks.push_back(std::move(w));
}

void check_unique(const Config &c, Problems &p) {
  std::set<std::string> names, tokens, keys;
  for (const WebhookConfig &w : c.webhooks) {
    if (!w.name.empty() && !names.insert(w.project + "\n" + w.name).second)
      p.add(w.field("name"), "duplicate name '" + w.name + "' in project '" + w.project + "'");
    if (!w.auth_token.empty() && !tokens.insert(w.auth_token).second)
      p.add(w.field("authToken"), "same token as an earlier webhook");
    if (!w.uuid.empty() && !keys.insert(w.uuid).second) p.add(w.field("uuid"), "duplicate uuid");
  }
}

// The file as a JSON object, or a ConfigError naming where it is not one.
rapidjson::Document parse_text(const std::string &path, const std::string &text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    throw ConfigError(path + ":" + line_column(text, doc.GetErrorOffset()) + ": invalid JSON: " +
                      rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject()) throw ConfigError(path + ": must hold a JSON object");
  return doc;
}

// Whether `url` (http[s]://host[:port]/...) reaches `listen` on this machine: the same numeric host
// and port, or a loopback name for a listener on loopback or on every address.
bool url_reaches(const std::string &url, const ListenAddress &listen) {
  if (listen.port == 0) return false;
  const bool tls = url.rfind("https://", 0) == 0;
  std::string authority = url.substr(tls ? 8 : 7);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  authority = authority.substr(authority.find('@') + 1); // user:password@ (npos + 1 == 0)
  std::string host = authority, port = tls ? "443" : "80";
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (port != std::to_string(listen.port)) return false;
  const bool loopback_name = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
  const bool any = listen.host == "0.0.0.0" || listen.host == "::";
  const bool listen_loopback = listen.host == "::1" || listen.host.rfind("127.", 0) == 0;
  return host == listen.host || (loopback_name && (any || listen_loopback));
}

void check_listeners_differ(const Config &c, Problems &p) {
  if (c.console.enabled && c.console.http.listen.port != 0 && c.console.http.listen.port == c.http.listen.port &&
      c.console.http.listen.host == c.http.listen.host)
    p.add("console.listen", "must differ from listen (the console has its own listener)");
  // The gateway calling itself as Rundeck: its run calls would fail, and (with the console's
  // port) every one of them would be a wrong console token.
  if (c.console.enabled && url_reaches(c.rundeck.url, c.console.http.listen))
    p.add("rundeck.url", "names this gateway's own console (console.listen): give Rundeck's own URL");
  else if (url_reaches(c.rundeck.url, c.http.listen))
    p.add("rundeck.url", "names this gateway's own webhook listener (listen): give Rundeck's own URL");
}

// pluginDir: one directory, a colon-separated list, or a JSON list of directories.
void read_plugin_dirs(const Obj &root, const fs::path &base, Config &c, Problems &p) {
  const Value *pd = root.get("pluginDir");
  if (!pd) {
    p.add("pluginDir", "required");
    return;
  }
  std::vector<std::string> dirs;
  if (pd->IsString()) {
    std::stringstream ss(pd->GetString());
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  } else if (pd->IsArray()) {
    for (const auto &d : pd->GetArray())
      if (d.IsString()) dirs.emplace_back(d.GetString());
  }
  if (dirs.empty()) p.add("pluginDir", "must be a directory or a list of directories");
  for (const auto &d : dirs) c.plugin_dirs.push_back(resolve(base, d));
}

// keyStorageEnvAllow: a list of environment variable names (`env/NAME` reads only those).
void read_env_allow(const Obj &root, Config &c, Problems &p) {
  const Value *allow = root.get("keyStorageEnvAllow");
  if (!allow) return;
  if (!allow->IsArray()) {
    p.add("keyStorageEnvAllow", "must be a list of environment variable names");
    return;
  }
  for (rapidjson::SizeType i = 0; i < allow->Size(); ++i) {
    const Value &name = (*allow)[i];
    const std::string field = "keyStorageEnvAllow[" + std::to_string(i) + "]";
    if (!name.IsString() || !is_env_name(std::string_view(name.GetString(), name.GetStringLength())))
      p.add(field, "must be an environment variable name (letters, digits and _, not starting with a digit)");
    else c.key_storage_env_allow.emplace_back(name.GetString(), name.GetStringLength());
  }
}

void read_outbox(const Obj &root, Config &c, Problems &p) {
  const Value *outbox = nullptr;
  if (!root.object("outbox", outbox)) return;
  Obj o(*outbox, "outbox", p);
  o.allow_only({"retainDoneHours", "busyTimeoutMs", "postgresql", "leaseSeconds"});
  o.integer("retainDoneHours", c.outbox.retain_done_hours, 1, 24 * 3650);
  o.integer("busyTimeoutMs", c.outbox.busy_timeout_ms, 100, 60000);
  o.str("postgresql", c.outbox.postgresql, false);
  o.integer("leaseSeconds", c.outbox.lease_seconds, 3, 3600);
}

// A lease shorter than a run call lets another gateway take a job over while its call is still in
// flight (read after rundeck and outbox).
void check_lease(const Config &c, Problems &p) {
  if (c.outbox.lease_seconds * 1000 < c.rundeck.request_timeout_ms)
    p.add("outbox.leaseSeconds", "must not be below rundeck.timeoutSeconds (" +
                                     std::to_string(c.rundeck.request_timeout_ms / 1000) +
                                     " s): a running job's lease must outlast its run call, or another gateway "
                                     "takes the job over while the call may still start it");
}

// A note's PagerDuty call starts before half its lease (dispatch/note_sender.cpp), so it must end
// within the other half, or another gateway takes the note over and may post it again.
void check_note_lease(const Config &c, Problems &p) {
  if (c.pagerduty.enabled && c.outbox.lease_seconds * 1000 < 2 * c.pagerduty.request_timeout_ms)
    p.add("outbox.leaseSeconds", "must be at least twice pagerduty.timeoutSeconds (" +
                                     std::to_string(c.pagerduty.request_timeout_ms / 1000) +
                                     " s): a note's call must end within its lease, or another gateway takes the "
                                     "note over while it may still be posted");
}

// A followed execution's job must stay in the outbox while it is followed (read after rundeck and outbox).
void check_follow_up(const Config &c, Problems &p) {
  if (c.rundeck.follow_up_max_hours > c.outbox.retain_done_hours)
    p.add("rundeck.followUpMaxHours", "must not be above outbox.retainDoneHours (" +
                                          std::to_string(c.outbox.retain_done_hours) +
                                          " h): a job is purged from the outbox after that, and its execution "
                                          "could no longer be followed");
}

// maxEventAge, checked against the outbox's retention (read before).
void read_max_event_age(const Obj &root, Config &c, Problems &p) {
  if (const Value *age = root.get("maxEventAge")) {
    if (!parse_duration(*age, c.max_event_age_s) || c.max_event_age_s < 60)
      p.add("maxEventAge", "must be a duration of at least a minute: seconds, or a string such as \"49h\", "
                           "\"90m\", \"2d\"");
  }
  if (c.max_event_age_s >= c.outbox.retain_done_hours * 3600)
    p.add("maxEventAge", "must be below outbox.retainDoneHours (" + std::to_string(c.outbox.retain_done_hours) +
                             " h: jobs are remembered that long, so a replayed event young enough to run is "
                             "always recognised)");
}

void read_webhooks(const Obj &root, Config &c, Problems &p) {
  if (const Value *hooks = root.get("webhooks")) {
    if (!hooks->IsArray()) p.add("webhooks", "must be a list");
    else
      for (rapidjson::SizeType i = 0; i < hooks->Size(); ++i) read_webhook((*hooks)[i], i, c, p);
  } else {
    p.add("webhooks", "required");
  }
  check_unique(c, p);
}

// A follow-up writes to PagerDuty: without the "pagerduty" section there is no token to do it
// with (read after pagerduty and the webhooks).
void check_follow_ups(const Config &c, Problems &p) {
  if (c.pagerduty.enabled) return;
  for (const WebhookConfig &w : c.webhooks)
    if (std::string why = follow_up_refusal(w.follow_up, c.pagerduty); !why.empty()) p.add(w.field("followUp"), why);
}

} // namespace

std::vector<FieldProblem> read_follow_up(const rapidjson::Value &v, const std::string &path, FollowUpSettings &out) {
  Problems p;
  read_follow_up_object(v, path, out, p);
  return p.take();
}

std::string follow_up_text(const FollowUpSettings &f) {
  if (f == FollowUpSettings{}) return "";
  return json_text([&](JsonWriter &j) { write_follow_up(j, f); });
}

void write_follow_up(JsonWriter &j, const FollowUpSettings &f) {
  j.StartObject();
  j.Key("note"), j.Bool(f.note);
  j.Key("resolveOnSuccess"), j.Bool(f.resolve_on_success);
  j.Key("outputLines"), j.Int(f.output_lines);
  j.EndObject();
}

std::string follow_up_refusal(const FollowUpSettings &f, const PagerDutySettings &pagerduty) {
  if (pagerduty.enabled || !f.any()) return "";
  return std::string(f.note ? "note" : "resolveOnSuccess") +
         " needs the top-level \"pagerduty\" section (apiUrl, tokenFile, from): the gateway has no PagerDuty "
         "token to write to the incident with";
}

Config load_config(const std::string &path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception &e) {
    throw ConfigError(e.what());
  }
  return load_config_text(path, text);
}

Config load_config_text(const std::string &path, const std::string &text) {
  const rapidjson::Document doc = parse_text(path, text);
  Problems p;
  Config c;
  c.path = path;
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  Obj root(doc, "", p);
  root.allow_only({"listen", "pluginDir", "stateDir", "keyStorageDir", "keyStorageEnvAllow", "rundeck", "webhooks",
                   "http", "outbox", "maxEventAge", "logLevel", "console", "pagerduty"});
  read_http(root, c, p);
  read_console(root, base, c, p);
  read_plugin_dirs(root, base, c, p);
  if (root.str("stateDir", c.state_dir, true)) c.state_dir = resolve(base, c.state_dir);
  if (root.str("keyStorageDir", c.key_storage_dir, false)) c.key_storage_dir = resolve(base, c.key_storage_dir);
  read_env_allow(root, c, p);
  read_rundeck(root, base, c, p);
  read_pagerduty(root, base, c, p);
  check_listeners_differ(c, p);
  read_outbox(root, c, p);
  check_lease(c, p);
  check_follow_up(c, p);
  check_note_lease(c, p);
  read_max_event_age(root, c, p);
  if (root.str("logLevel", c.log_level, false) && c.log_level != "debug" && c.log_level != "info" &&
      c.log_level != "warn" && c.log_level != "error")
    p.add("logLevel", "must be debug, info, warn or error");
  read_webhooks(root, c, p);
  check_follow_ups(c, p);
  if (!p.empty()) throw ConfigError(p.text());
  return c;
}

} // namespace rdwh::gateway
