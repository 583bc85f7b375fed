#include "rundeck_client.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace rdwh::gateway {

namespace {

constexpr size_t kMaxResponseBytes = 1024 * 1024; // Rundeck's execution JSON is a few KB
constexpr size_t kMaxReasonBytes = 500;

struct Reply {
  std::string body;
  int64_t retry_after_ms = -1;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<Reply *>(user);
  const size_t n = size * count;
  if (reply->body.size() + n > kMaxResponseBytes) return 0; // aborts the transfer
  reply->body.append(data, n);
  return n;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<Reply *>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match) {
      // Only the delay-seconds form; an HTTP date is ignored (our own backoff applies).
      const std::string value(line.substr(name.size()));
      char *end = nullptr;
      const long secs = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && secs >= 0) reply->retry_after_ms = static_cast<int64_t>(secs) * 1000;
    }
  }
  return n;
}

std::string clip(std::string s) {
  if (s.size() > kMaxReasonBytes) s.resize(kMaxReasonBytes);
  for (char &c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

// Rundeck's error envelope: {"error":true,"apiversion":N,"errorCode":"...","message":"..."}.
std::string error_reason(const std::string &body, long status) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    auto m = doc.FindMember("message");
    if (m != doc.MemberEnd() && m->value.IsString()) return clip(m->value.GetString());
  }
  if (body.empty()) return "HTTP " + std::to_string(status);
  return clip("HTTP " + std::to_string(status) + ": " + body);
}

std::string execution_id(const std::string &body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  auto id = doc.FindMember("id");
  if (id == doc.MemberEnd()) return "";
  if (id->value.IsString()) return id->value.GetString();
  if (id->value.IsInt64()) return std::to_string(id->value.GetInt64());
  if (id->value.IsUint64()) return std::to_string(id->value.GetUint64());
  return "";
}

struct SlistDeleter {
  // Wipes the header strings (one holds the token) before freeing them.
  void operator()(curl_slist *l) const {
    for (curl_slist *n = l; n; n = n->next) OPENSSL_cleanse(n->data, std::strlen(n->data));
    curl_slist_free_all(l);
  }
};

} // namespace

RunOutcome::Kind classify_status(long s) {
  if (s >= 200 && s < 300) return RunOutcome::Kind::started;
  // 409: job already running (no multiple executions) - it may run later. 401: our token is
  // wrong or expired - an operator fixes authTokenFile and reloads; the jobs must not be lost.
  if (s == 401 || s == 408 || s == 409 || s == 425 || s == 429) return RunOutcome::Kind::retry;
  if (s >= 400 && s < 500) return RunOutcome::Kind::refused; // 400, 403, 404: Rundeck says no
  return RunOutcome::Kind::retry; // 5xx, and 1xx/3xx (a proxy or a wrong url: fix and reload)
}

RundeckClient::RundeckClient() : curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

RundeckClient::~RundeckClient() { curl_easy_cleanup(static_cast<CURL *>(curl_)); }

RunOutcome RundeckClient::run_job(const RundeckSettings &settings, const std::string &token,
                                  const std::string &job_id, const std::string &request_json) {
  CURL *c = static_cast<CURL *>(curl_);
  curl_easy_reset(c); // keeps the connection cache
  RunOutcome out;

  char *escaped = curl_easy_escape(c, job_id.c_str(), static_cast<int>(job_id.size()));
  if (!escaped) {
    out.reason = "cannot escape the job id";
    return out;
  }
  const std::string url =
      settings.url + "/api/" + std::to_string(settings.api_version) + "/job/" + escaped + "/run";
  curl_free(escaped);

  std::string auth = "X-Rundeck-Auth-Token: " + token;
  curl_slist *raw = nullptr;
  raw = curl_slist_append(raw, auth.c_str());
  OPENSSL_cleanse(auth.data(), auth.size()); // curl keeps its own copy in the list
  raw = curl_slist_append(raw, "Content-Type: application/json");
  raw = curl_slist_append(raw, "Accept: application/json");
  raw = curl_slist_append(raw, "Expect:");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  Reply reply;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request_json.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_json.size()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.request_timeout_ms));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "rdwh-gateway");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply);

  const CURLcode rc = curl_easy_perform(c);
  headers.reset();
  if (rc != CURLE_OK) {
    // A timeout after the request was sent is ambiguous (Rundeck may have started the job); it is
    // retried all the same: losing a job is worse than running it twice (see README).
    out.reason = curl_easy_strerror(rc);
    return out;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.http_status);
  out.kind = classify_status(out.http_status);
  out.retry_after_ms = reply.retry_after_ms;
  if (out.kind == RunOutcome::Kind::started) out.execution_id = execution_id(reply.body);
  else out.reason = error_reason(reply.body, out.http_status);
  return out;
}

} // namespace rdwh::gateway
