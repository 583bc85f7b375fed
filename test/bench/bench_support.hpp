// Shared by the benchmarks and the memory check: the module loaded through the real C ABI, a
// host, the deliveries (built from examples/deliveries) and rule sets that look like real ones.
#pragma once

#include <rdwh/rdwh.h>

#include "json/rapidjson.hpp" // the plugin's RapidJSON settings (header only)

#include <rapidjson/prettywriter.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace rdwh_bench {

[[noreturn]] inline void die(const std::string &what) {
  std::fprintf(stderr, "rdwh bench: %s\n", what.c_str());
  std::exit(2);
}

inline std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string example(const char *name) {
  return read_file(std::string(RDWH_SOURCE_DIR) + "/examples/deliveries/" + name);
}

// ------------------------------------------------------------------------------ the module

inline rdwh_str_t str(const std::string &s) { return {s.data(), s.size()}; }

struct Module {
  void *dl = nullptr;
  const rdwh_plugin_entry_t *entry = nullptr;

  // The built module, or RDWH_BENCH_PLUGIN's (e.g. an earlier version's, to compare with it in one session).
  static const char *path() {
    const char *other = std::getenv("RDWH_BENCH_PLUGIN");
    return other && *other ? other : RDWH_PLUGIN_PATH;
  }

  Module() {
    dl = dlopen(path(), RTLD_NOW | RTLD_LOCAL);
    if (!dl) die(std::string("dlopen: ") + dlerror());
    auto get = reinterpret_cast<rdwh_plugin_get_entry_fn>(dlsym(dl, RDWH_PLUGIN_ENTRY_SYMBOL));
    if (!get) die(std::string("no " RDWH_PLUGIN_ENTRY_SYMBOL " in ") + path());
    entry = get(RDWH_ABI_VERSION_MAJOR);
    if (!entry) die("the plugin does not speak this ABI major");
  }
  ~Module() { dlclose(dl); }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  static Module &instance() {
    static Module m;
    return m;
  }
};

// The signing secret of the benchmark subscription (examples/rundeck/example-secret.txt style).
inline const std::string &secret() {
  static const std::string s = "bench-secret-7Qm2vJ9xK4pL0sR8tW1yZ3cF6hN5bD2g";
  return s;
}
constexpr const char *kSecretPath = "keys/pagerduty/v3-secret";

struct Host {
  rdwh_host_t host{};
  Host() {
    host.struct_size = sizeof host;
    host.abi_version = RDWH_ABI_VERSION_INIT;
    host.host_data = this;
    host.log = [](const rdwh_host_t *, rdwh_log_level, rdwh_str_t) {};
    host.get_secret = [](const rdwh_host_t *, rdwh_str_t path, uint8_t *out, size_t cap, size_t *len) -> rdwh_status {
      if (std::string(path.data, path.size) != kSecretPath) return RDWH_STATUS_NOT_FOUND;
      *len = secret().size();
      if (cap < *len) return RDWH_STATUS_BUFFER_TOO_SMALL;
      std::memcpy(out, secret().data(), *len);
      return RDWH_STATUS_OK;
    };
    host.now_unix_ms = [](const rdwh_host_t *) -> int64_t { return 1775000000000; };
  }
  static const rdwh_host_t *instance() {
    static Host h;
    return &h.host;
  }
};

inline rdwh_handler_t *create_handler(const char *provider, const std::string &config) {
  rdwh_handler_t *h = nullptr;
  rdwh_error_t err{};
  err.struct_size = sizeof err;
  if (Module::instance().entry->create(provider, str(config), Host::instance(), &h, &err) != RDWH_STATUS_OK)
    die(std::string("create ") + provider + ": " + err.message);
  return h;
}

// ------------------------------------------------------------------------------ HMAC

inline std::string hmac_hex(const std::string &key, const std::string &body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(body.data()),
       body.size(), md, &len);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// ------------------------------------------------------------------------------ deliveries

inline std::string serialize(const rapidjson::Value &v, int indent) {
  rapidjson::StringBuffer buf;
  if (indent > 0) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', static_cast<unsigned>(indent));
    v.Accept(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

// The V3 delivery: examples/deliveries/v3-incident.escalated-zulip.json (an incident with a
// priority, urgency, service, assignee) laid out with 2-space indentation: ~2.2 KB.
inline std::string v3_body() {
  rapidjson::Document d;
  d.Parse(example("v3-incident.escalated-zulip.json").c_str());
  if (d.HasParseError()) die("bad V3 example");
  return serialize(d, 2);
}

// A V2 delivery of `n` messages, compact as PagerDuty sends it, built from the two V2 examples
// with varied ids, event types, urgencies, priorities, titles and services.
inline std::string v2_body(int n) {
  rapidjson::Document a, b;
  a.Parse(example("v2-incident.acknowledge-pddocs.json").c_str());
  b.Parse(example("v2-incident.resolve-pddocs.json").c_str());
  if (a.HasParseError() || b.HasParseError()) die("bad V2 example");
  static const char *const events[] = {"incident.trigger", "incident.acknowledge", "incident.resolve",
                                       "incident.escalate", "incident.assign"};
  static const char *const services[] = {"Production XDB Cluster", "Checkout API", "Payments DB"};
  rapidjson::Document out(rapidjson::kObjectType);
  auto &al = out.GetAllocator();
  rapidjson::Value messages(rapidjson::kArrayType);
  auto set = [&](rapidjson::Value &obj, const char *key, const std::string &value) {
    rapidjson::Value v(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), al);
    auto it = obj.FindMember(key);
    if (it != obj.MemberEnd()) it->value = v;
    else obj.AddMember(rapidjson::Value(key, al), v, al);
  };
  for (int i = 0; i < n; ++i) {
    rapidjson::Value m(i % 2 ? b["messages"][0] : a["messages"][0], al);
    char id[64];
    std::snprintf(id, sizeof id, "%08x-a2cd-11e7-8f69-22000affca53", 0x82a33960u + static_cast<unsigned>(i) * 7919u);
    set(m, "id", id);
    set(m, "event", events[i % 5]);
    rapidjson::Value &inc = m["incident"];
    char inc_id[16];
    std::snprintf(inc_id, sizeof inc_id, "PR%05d", 1000 + i * 37);
    set(inc, "id", inc_id);
    inc["incident_number"].SetInt(33 + i);
    set(inc, "urgency", i % 3 == 2 ? "low" : "high");
    set(inc, "title", std::string(i % 4 == 1 ? "Database replication lag on " : "Latency over SLO on ") +
                          services[i % 3]);
    set(inc["service"], "summary", services[i % 3]);
    rapidjson::Value priority(rapidjson::kObjectType);
    std::string p = "P" + std::to_string(1 + i % 3);
    priority.AddMember("id", rapidjson::Value(("PSO75B" + std::to_string(i % 3)).c_str(), al), al);
    priority.AddMember("type", "priority_reference", al);
    priority.AddMember("summary", rapidjson::Value(p.c_str(), al), al);
    inc.RemoveMember("priority");
    inc.AddMember("priority", priority, al);
    messages.PushBack(m, al);
  }
  out.AddMember("messages", messages, al);
  return serialize(out, 0);
}

// One delivery as a host hands it over: headers, body, metadata.
struct Request {
  std::vector<std::pair<std::string, std::string>> header_text;
  std::vector<rdwh_header_t> headers;
  std::string body;
  std::string delivery_id = "5ac64822-1ed5-4e5a-b4b4-6a7a3a8a8f2d";
  std::string webhook_name = "pagerduty";
  std::string project = "ops";
  std::string sender = "203.0.113.7";
  rdwh_request_t req{};

  Request(std::string b, std::vector<std::pair<std::string, std::string>> h, uint32_t flags = 0)
      : header_text(std::move(h)), body(std::move(b)) {
    for (const auto &[name, value] : header_text) headers.push_back({str(name), str(value)});
    req.struct_size = sizeof req;
    req.flags = flags;
    req.headers = headers.data();
    req.header_count = headers.size();
    req.body = str(body);
    req.delivery_id = str(delivery_id);
    req.webhook_name = str(webhook_name);
    req.project = str(project);
    req.sender = str(sender);
    req.received_unix_ms = 1775000000000;
  }
  Request(const Request &) = delete;
  Request &operator=(const Request &) = delete;
};

// PagerDuty V3's headers; `signature` is the X-PagerDuty-Signature value.
inline std::vector<std::pair<std::string, std::string>> v3_headers(const std::string &signature) {
  return {{"Content-Type", "application/json; charset=utf-8"},
          {"User-Agent", "PagerDuty-Webhook/V3.0"},
          {"X-Webhook-Id", "5ac64822-1ed5-4e5a-b4b4-6a7a3a8a8f2d"},
          {"X-Webhook-Subscription", "PY1OQ0P"},
          {"X-PagerDuty-Signature", signature}};
}
inline std::vector<std::pair<std::string, std::string>> v3_signed_headers(const std::string &body) {
  return v3_headers("v1=" + hmac_hex(secret(), body));
}
inline std::vector<std::pair<std::string, std::string>> v2_headers() {
  return {{"Content-Type", "application/json"}, {"User-Agent", "PagerDuty-Webhook/V2.0"}};
}

// ------------------------------------------------------------------------------ rules

// Where a provider's events keep what rules look at.
struct Flavor {
  const char *type_path;     // event type
  const char *data_path;     // the incident (JsonPath)
  const char *data_template; // the incident (template: data.<...>)
  const char *types[4];      // event types, the first one being the delivery's (V3)
};
inline const Flavor kV3{"$.event.event_type", "$.event.data", "data.event.data",
                        {"incident.escalated", "incident.triggered", "incident.acknowledged", "incident.resolved"}};
inline const Flavor kV2{"$.event", "$.incident", "data.incident",
                        {"incident.trigger", "incident.acknowledge", "incident.resolve", "incident.escalate"}};

inline std::string cond(const std::string &path, const char *type, const std::string &value) {
  return R"({"path":")" + path + R"(","condition":")" + type + R"(","value":")" + value + R"("})";
}
inline std::string option(const char *name, const std::string &value) {
  return R"({"name":")" + std::string(name) + R"(","value":")" + value + R"("})";
}

// Rule i of a realistic set: five shapes (urgent incidents of a type, P1 paging, low urgency,
// per-service routing, clean-up on resolve) whose values vary with i, so that on the V3 delivery
// about three rules in ten fire. `matching == false` gives rules that never fire (their first
// condition fails on an event type that never comes).
inline std::string rule(const Flavor &f, int i, bool matching = true) {
  const std::string d = f.data_path, t = f.data_template;
  const int k = i / 5;
  std::string job = "9b1c5a52-0d6f-4d39-8bb3-" + std::to_string(100000000000LL + i);
  std::string name, policy = "all", conditions, options, extra;
  const std::string type = matching ? f.types[k % 4] : "incident.unacknowledged";
  switch (i % 5) {
  case 0:
    name = "Diagnose urgent " + type + " " + std::to_string(k);
    conditions = cond(f.type_path, "equals", type) + "," + cond(d + ".urgency", "equals", "high");
    options = option("pd_incident_id", d + ".id") + "," + option("title", "Incident ${" + t + ".title}") + "," +
              option("service", "${" + t + ".service.summary}") + "," + option("link", d + ".html_url");
    extra = R"(,"nodeFilter":"tags: ${)" + t + R"(.service.summary}")";
    break;
  case 1:
    name = "Page the database team on P" + std::to_string(1 + k % 3);
    policy = "any";
    conditions = (matching ? std::string() : cond(f.type_path, "equals", type) + ",") +
                 cond(d + ".priority.summary", "contains", "P" + std::to_string(1 + k % 3)) + "," +
                 cond(d + ".title", "contains", "Database");
    if (!matching) policy = "all";
    options = option("pd_incident_id", d + ".id") + "," + option("priority", d + ".priority.summary") + "," +
              option("event", f.type_path);
    extra = R"(,"user":"pagerduty-bot")";
    break;
  case 2:
    name = "Queue low-urgency " + type;
    conditions = cond(f.type_path, "equals", type) + "," + cond(d + ".urgency", "equals", "low");
    options = option("pd_incident_id", d + ".id") + "," + option("summary", "${" + t + ".title} (${" + t + ".status})");
    break;
  case 3:
    name = "Route service " + std::to_string(k);
    conditions = (matching ? std::string() : cond(f.type_path, "equals", type) + ",") +
                 cond(d + ".service.summary", "equals", k % 2 ? "Checkout API" : (&f == &kV3 ? "Default Service" : "Production XDB Cluster")) +
                 "," + cond(d + ".status", "exists", ".");
    options = option("pd_incident_id", d + ".id") +
              "," + option("target", "${" + t + ".service.id}/${" + t + ".id}") + "," +
              option("assignee", d + ".assignees[0].summary");
    extra = R"(,"nodeFilter":"name: ${)" + t + R"(.service.summary}")";
    break;
  case 4:
    name = "Clean up after " + std::string(matching ? f.types[3] : type) + " " + std::to_string(k);
    conditions = cond(f.type_path, "equals", matching ? f.types[3] : type);
    options = option("pd_incident_id", d + ".id") + "," + option("resolved_by", "${webhook.sender}");
    break;
  }
  return R"({"name":")" + name + R"(","enabled":true,"policy":")" + policy + R"(","jobId":")" + job +
         R"(","jobOptions":[)" + options + R"(],"conditions":[)" + conditions + "]" + extra + "}";
}

// Rule i of a set where every rule has paths of its own (the worst case for sharing paths): a
// custom field of the incident that this delivery does not have, so none fires; and an option of
// its own.
inline std::string distinct_rule(const Flavor &f, int i) {
  const std::string d = f.data_path, n = std::to_string(i);
  return R"({"name":"Custom field check )" + n + R"(","enabled":true,"jobId":"9b1c5a52-0d6f-4d39-8bb3-)" +
         std::to_string(200000000000LL + i) + R"(","jobOptions":[)" + option("field", d + ".custom_fields.check_" + n) +
         "," + option("pd_incident_id", d + ".id") + R"(],"conditions":[)" +
         cond(d + ".custom_fields.check_" + n, "equals", "on") + "]}";
}

enum class RuleSet { realistic, nomatch, distinct };

inline std::string config(const Flavor &f, int rules, RuleSet set = RuleSet::realistic) {
  std::string out = "{";
  if (&f == &kV3) out += R"("keyStoragePath":")" + std::string(kSecretPath) + R"(","eventIdKey":"$.event.id",)";
  out += R"("returnProcessingInfo":false,"rules":[)";
  for (int i = 0; i < rules; ++i) {
    if (i) out += ',';
    out += set == RuleSet::distinct ? distinct_rule(f, i) : rule(f, i, set == RuleSet::realistic);
  }
  return out + "]}";
}

// ------------------------------------------------------------------------------ process memory

// Resident set size, KiB (VmRSS of /proc/self/status).
inline long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

} // namespace rdwh_bench
