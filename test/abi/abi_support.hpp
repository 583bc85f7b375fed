// What the ABI tests share: loading the built module, a recording host, requests.
#pragma once

#include <rdwh/rdwh.h>

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace rdwh_test {

inline const std::string secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";

inline rdwh_str_t str(const std::string &s) { return {s.data(), s.size()}; }
inline std::string text(rdwh_str_t s) { return std::string(s.data ? s.data : "", s.size); }

struct Module {
  void *dl = nullptr;
  const rdwh_plugin_entry_t *entry = nullptr;
  rdwh_plugin_get_entry_fn get_entry = nullptr;
  Module() {
    dl = dlopen(RDWH_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    REQUIRE(dl);
    get_entry = reinterpret_cast<rdwh_plugin_get_entry_fn>(dlsym(dl, RDWH_PLUGIN_ENTRY_SYMBOL));
    REQUIRE(get_entry);
    entry = get_entry(RDWH_ABI_VERSION_MAJOR);
    REQUIRE(entry);
  }
  ~Module() { dlclose(dl); }
};

struct TestHost {
  rdwh_host_t host{};
  std::mutex mutex;
  std::vector<std::string> log_lines;
  std::map<std::string, std::string> keys{{"keys/pd", secret}, {"keys/token", "T0KEN-s3cr3t"}};
  // get_secret misbehaviour: 0 none, 1 claims OK with a length past cap, 2 always too small
  int secret_mode = 0;
  rdwh_status secret_status = RDWH_STATUS_OK; // anything else: get_secret fails with it

  TestHost() {
    host = rdwh_host_t RDWH_HOST_INIT;
    host.host_data = this;
    host.log = [](const rdwh_host_t *h, rdwh_log_level, rdwh_str_t msg) {
      auto *self = static_cast<TestHost *>(h->host_data);
      std::lock_guard lock(self->mutex);
      self->log_lines.push_back(text(msg));
    };
    host.get_secret = [](const rdwh_host_t *h, rdwh_str_t path, uint8_t *out, size_t cap, size_t *len) -> rdwh_status {
      auto *self = static_cast<TestHost *>(h->host_data);
      if (self->secret_status != RDWH_STATUS_OK) return self->secret_status;
      if (self->secret_mode == 1) {
        *len = cap + 1; // a host bug: OK, but longer than the buffer
        return RDWH_STATUS_OK;
      }
      if (self->secret_mode == 2) {
        *len = cap * 2; // never satisfied
        return RDWH_STATUS_BUFFER_TOO_SMALL;
      }
      auto it = self->keys.find(text(path));
      if (it == self->keys.end()) return RDWH_STATUS_NOT_FOUND;
      *len = it->second.size();
      if (cap < *len) return RDWH_STATUS_BUFFER_TOO_SMALL;
      std::memcpy(out, it->second.data(), *len);
      return RDWH_STATUS_OK;
    };
    host.now_unix_ms = [](const rdwh_host_t *) -> int64_t { return 1700000000000; };
  }
  std::string logs() {
    std::lock_guard lock(mutex);
    std::string all;
    for (auto &l : log_lines) all += l + "\n";
    return all;
  }
};

inline rdwh_error_t new_error() { return rdwh_error_t RDWH_ERROR_INIT; }

inline rdwh_handler_t *create_ok(const Module &m, const char *provider, const std::string &config, const rdwh_host_t *host) {
  rdwh_handler_t *h = nullptr;
  rdwh_error_t err = new_error();
  rdwh_status st = m.entry->create(provider, str(config), host, &h, &err);
  INFO(err.message);
  REQUIRE(st == RDWH_STATUS_OK);
  REQUIRE(h);
  return h;
}

struct Delivery {
  std::vector<std::pair<std::string, std::string>> owned;
  std::vector<rdwh_header_t> headers;
  std::string body;
  rdwh_request_t request{};
  explicit Delivery(std::string b, std::vector<std::pair<std::string, std::string>> hs = {})
      : owned(std::move(hs)), body(std::move(b)) {
    point();
  }
  // A delivery signed with `signature` (nullptr: no signature header).
  Delivery(std::string b, const std::string *signature)
      : Delivery(std::move(b), signature ? std::vector<std::pair<std::string, std::string>>{{"X-PagerDuty-Signature", *signature}}
                                          : std::vector<std::pair<std::string, std::string>>{}) {}

private:
  void point() {
    for (const auto &[n, v] : owned) headers.push_back({str(n), str(v)});
    request = rdwh_request_t RDWH_REQUEST_INIT;
    request.headers = headers.empty() ? nullptr : headers.data();
    request.header_count = headers.size();
    request.body = str(body);
  }
};

} // namespace rdwh_test
