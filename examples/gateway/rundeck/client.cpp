#include "rundeck/client.hpp"

#include "base/json.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <curl/curl.h>
#include <yaml-cpp/yaml.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace rdwh::gateway {

namespace {

constexpr size_t kMaxResponseBytes = 1024 * 1024; // Rundeck's execution JSON is a few KB
constexpr size_t kMaxReasonBytes = 500;

struct ReplyBuffer {
  std::string body;
  int64_t retry_after_ms = -1;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<ReplyBuffer *>(user);
  const size_t n = size * count;
  if (reply->body.size() + n > kMaxResponseBytes) return 0; // aborts the transfer
  reply->body.append(data, n);
  return n;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<ReplyBuffer *>(user);
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

// Rundeck's ids are numbers; a string is accepted too.
std::string id_text(const rapidjson::Value &obj) {
  auto id = obj.FindMember("id");
  if (id == obj.MemberEnd()) return "";
  if (id->value.IsString()) return id->value.GetString();
  if (id->value.IsInt64()) return std::to_string(id->value.GetInt64());
  if (id->value.IsUint64()) return std::to_string(id->value.GetUint64());
  return "";
}

// A string member's text, or "" (absent or not a string).
std::string text_member(const rapidjson::Value &obj, const char *name) { return string_member(obj, name).value_or(""); }

// A date member's unixtime ({"unixtime": ms, "date": ...}), or 0.
int64_t unixtime(const rapidjson::Value &e, const char *name) {
  if (auto d = e.FindMember(name); d != e.MemberEnd() && d->value.IsObject())
    if (auto u = d->value.FindMember("unixtime"); u != d->value.MemberEnd() && u->value.IsInt64())
      return u->value.GetInt64();
  return 0;
}

// An execution object: id, status, user, permalink, date-started/date-ended.unixtime, job.id, job.options.
Execution read_execution(const rapidjson::Value &e) {
  Execution x;
  x.id = id_text(e);
  x.status = text_member(e, "status");
  x.user = text_member(e, "user");
  x.permalink = text_member(e, "permalink");
  x.started_ms = unixtime(e, "date-started");
  x.ended_ms = unixtime(e, "date-ended");
  if (auto j = e.FindMember("job"); j != e.MemberEnd() && j->value.IsObject()) {
    x.job_id = text_member(j->value, "id");
    if (auto o = j->value.FindMember("options"); o != j->value.MemberEnd() && o->value.IsObject())
      for (const auto &opt : o->value.GetObject())
        if (opt.value.IsString()) x.options[opt.name.GetString()] = opt.value.GetString();
  }
  return x;
}

int on_progress(void *abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool> *>(abort)->load() ? 1 : 0;
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
  using K = RunOutcome::Kind;
  if (s >= 200 && s < 300) return K::started; // if the body is Rundeck's execution JSON (run_job checks)
  // Rundeck answers 403 to an expired or wrong token, 401 to none: the token's fault, never the job's.
  if (s == 401 || s == 403) return K::auth;
  // 409: the job is already running (no multiple executions): it did not start this time.
  if (s == 408 || s == 409 || s == 425 || s == 429) return K::retry;
  if (s >= 400 && s < 500) return K::refused; // 400 (invalid options, disabled), 404 (unknown job): Rundeck says no
  if (s >= 500) return K::unknown;            // Rundeck (or a proxy's upstream) may have started it before failing
  return K::retry;                            // 1xx/3xx: a proxy or a wrong url answered, not Rundeck: fix and reload
}

struct RundeckClient::Reply {
  CURLcode rc = CURLE_OK;
  bool sent = false; // some of the request reached the server
  long status = 0;
  std::string body;
  std::string content_type;
  int64_t retry_after_ms = -1;
};

RundeckClient::RundeckClient() : curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

RundeckClient::~RundeckClient() { curl_easy_cleanup(static_cast<CURL *>(curl_)); }

namespace {

// The request's headers: the token, and JSON both ways.
std::unique_ptr<curl_slist, SlistDeleter> request_headers(const std::string &token, bool post, const char *accept) {
  std::string auth = "X-Rundeck-Auth-Token: " + token;
  curl_slist *raw = nullptr;
  raw = curl_slist_append(raw, auth.c_str());
  OPENSSL_cleanse(auth.data(), auth.size()); // curl keeps its own copy in the list
  if (post) raw = curl_slist_append(raw, "Content-Type: application/json");
  raw = curl_slist_append(raw, (std::string("Accept: ") + accept).c_str());
  raw = curl_slist_append(raw, "Expect:");
  return std::unique_ptr<curl_slist, SlistDeleter>(raw);
}

void set_request(CURL *c, const RundeckSettings &settings, const std::string &url, curl_slist *headers,
                 const std::string *post_body) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (post_body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.request_timeout_ms));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "rdwh-gateway");
}

void set_callbacks(CURL *c, ReplyBuffer &buffer, const std::atomic<bool> &abort) {
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &buffer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &buffer);
  // libcurl calls this at least once a second, also while waiting: a stopping gateway ends the
  // call within a second instead of waiting for Rundeck's answer.
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort);
}

} // namespace

RundeckClient::Reply RundeckClient::perform(const RundeckSettings &settings, const std::string &token,
                                            const std::string &url, const std::string *post_body,
                                            const std::atomic<bool> &abort, const char *accept) {
  CURL *c = static_cast<CURL *>(curl_);
  curl_easy_reset(c); // keeps the connection cache
  std::unique_ptr<curl_slist, SlistDeleter> headers = request_headers(token, post_body != nullptr, accept);
  Reply reply;
  ReplyBuffer buffer;
  set_request(c, settings, url, headers.get(), post_body);
  set_callbacks(c, buffer, abort);

  reply.rc = curl_easy_perform(c);
  headers.reset();
  long request_bytes = 0;
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_bytes);
  reply.sent = request_bytes > 0;
  if (reply.rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    char *type = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) reply.content_type = type;
  }
  reply.body = std::move(buffer.body);
  reply.retry_after_ms = buffer.retry_after_ms;
  return reply;
}

namespace {

std::string api_url(const RundeckSettings &s, CURL *c, const std::string &job_id, const char *tail) {
  char *escaped = curl_easy_escape(c, job_id.c_str(), static_cast<int>(job_id.size()));
  if (!escaped) throw std::bad_alloc();
  std::string url = s.url + "/api/" + std::to_string(s.api_version) + "/job/" + escaped + tail;
  curl_free(escaped);
  return url;
}

// What a failed transfer means for a call that changes something.
RunOutcome::Kind transport_kind(bool sent) { return sent ? RunOutcome::Kind::unknown : RunOutcome::Kind::retry; }

std::string transport_reason(CURLcode rc, bool sent) {
  if (rc == CURLE_ABORTED_BY_CALLBACK) return "the gateway stopped during the call";
  std::string r = curl_easy_strerror(rc);
  if (sent) r += " (after the request was sent: it may have run)";
  return r;
}

} // namespace

RunOutcome RundeckClient::run_job(const RundeckSettings &settings, const std::string &token,
                                  const std::string &job_id, const std::string &request_json,
                                  const std::atomic<bool> &abort) {
  RunOutcome out;
  const Reply r =
      perform(settings, token, api_url(settings, static_cast<CURL *>(curl_), job_id, "/run"), &request_json, abort);
  if (r.rc != CURLE_OK) {
    out.kind = transport_kind(r.sent);
    out.reason = transport_reason(r.rc, r.sent);
    return out;
  }
  out.http_status = r.status;
  out.kind = classify_status(r.status);
  out.retry_after_ms = r.retry_after_ms;
  if (out.kind != RunOutcome::Kind::started) {
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  // A 2xx that is not Rundeck's execution JSON (an SSO proxy's login page, a misrouted url) says
  // nothing about whether the job runs.
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  out.execution_id = doc.HasParseError() || !doc.IsObject() ? "" : id_text(doc);
  if (out.execution_id.empty()) {
    out.kind = RunOutcome::Kind::unknown;
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's execution JSON (content type '" +
                      r.content_type + "'): a proxy or login page answered?");
    return out;
  }
  if (auto u = doc.FindMember("user"); u != doc.MemberEnd() && u->value.IsString()) out.user = u->value.GetString();
  out.permalink = text_member(doc, "permalink");
  return out;
}

namespace {

// {url}/api/{v}/{first}/{escaped}{tail}
std::string api_path(const RundeckSettings &s, CURL *c, const char *first, const std::string &name, const char *tail) {
  char *escaped = curl_easy_escape(c, name.c_str(), static_cast<int>(name.size()));
  if (!escaped) throw std::bad_alloc();
  std::string url = s.url + "/api/" + std::to_string(s.api_version) + "/" + first + "/" + escaped + tail;
  curl_free(escaped);
  return url;
}

} // namespace

ExecutionLookup RundeckClient::execution(const RundeckSettings &settings, const std::string &token,
                                         const std::string &id, const std::atomic<bool> &abort) {
  ExecutionLookup out;
  const Reply r = perform(settings, token, api_path(settings, static_cast<CURL *>(curl_), "execution", id, ""),
                          nullptr, abort);
  if (r.rc != CURLE_OK) {
    out.reason = transport_reason(r.rc, false);
    return out;
  }
  out.http_status = r.status;
  if (r.status < 200 || r.status >= 300) {
    out.kind = r.status == 404                                    ? ExecutionLookup::Kind::not_found
               : classify_status(r.status) == RunOutcome::Kind::auth ? ExecutionLookup::Kind::auth
                                                                      : ExecutionLookup::Kind::retry;
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject() || id_text(doc).empty() || text_member(doc, "status").empty()) {
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's execution JSON (content type '" +
                      r.content_type + "')");
    return out;
  }
  out.kind = ExecutionLookup::Kind::found;
  out.execution = read_execution(doc);
  return out;
}

RunningExecutions RundeckClient::running_executions(const RundeckSettings &settings, const std::string &token,
                                                    const std::string &project, const std::atomic<bool> &abort) {
  RunningExecutions out;
  // One page, as large as Rundeck serves: an execution left out is asked for by id, so a
  // shorter list costs requests, never a wrong status.
  const Reply r = perform(
      settings, token,
      api_path(settings, static_cast<CURL *>(curl_), "project", project, "/executions/running?max=1000"), nullptr,
      abort);
  if (r.rc != CURLE_OK) {
    out.reason = transport_reason(r.rc, false);
    return out;
  }
  out.http_status = r.status;
  if (r.status < 200 || r.status >= 300) {
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  auto list = doc.HasParseError() || !doc.IsObject() ? doc.MemberEnd() : doc.FindMember("executions");
  if (list == doc.MemberEnd() || !list->value.IsArray()) {
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's executions JSON (content type '" +
                      r.content_type + "')");
    return out;
  }
  for (const auto &e : list->value.GetArray())
    if (e.IsObject())
      if (std::string id = id_text(e); !id.empty()) out.ids.push_back(std::move(id));
  out.ok = true;
  return out;
}

ExecutionOutput RundeckClient::execution_output(const RundeckSettings &settings, const std::string &token,
                                                const std::string &id, int lines, const std::atomic<bool> &abort) {
  ExecutionOutput out;
  const std::string tail = "/output?lastlines=" + std::to_string(std::max(lines, 1));
  const Reply r =
      perform(settings, token, api_path(settings, static_cast<CURL *>(curl_), "execution", id, tail.c_str()), nullptr,
              abort);
  if (r.rc != CURLE_OK) {
    out.reason = transport_reason(r.rc, false);
    return out;
  }
  out.http_status = r.status;
  if (r.status < 200 || r.status >= 300) {
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  auto entries = doc.HasParseError() || !doc.IsObject() ? doc.MemberEnd() : doc.FindMember("entries");
  if (entries == doc.MemberEnd() || !entries->value.IsArray()) {
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's output JSON (content type '" +
                      r.content_type + "')");
    return out;
  }
  for (const auto &e : entries->value.GetArray())
    if (e.IsObject())
      if (auto log = e.FindMember("log"); log != e.MemberEnd() && log->value.IsString())
        out.lines.emplace_back(log->value.GetString(), log->value.GetStringLength());
  out.ok = true;
  return out;
}

ExecutionsOutcome RundeckClient::job_executions(const RundeckSettings &settings, const std::string &token,
                                                const std::string &job_id, int64_t since_ms,
                                                const std::atomic<bool> &abort) {
  constexpr int kPage = 50, kMaxPages = 20; // newest first: stops at the first execution before since_ms
  ExecutionsOutcome out;
  for (int page = 0; page < kMaxPages; ++page) {
    const std::string url = api_url(settings, static_cast<CURL *>(curl_), job_id, "/executions") +
                            "?max=" + std::to_string(kPage) + "&offset=" + std::to_string(page * kPage);
    const Reply r = perform(settings, token, url, nullptr, abort);
    if (r.rc != CURLE_OK) {
      out.kind = RunOutcome::Kind::retry; // a query changes nothing: just ask again later
      out.reason = transport_reason(r.rc, false);
      return out;
    }
    out.http_status = r.status;
    if (r.status < 200 || r.status >= 300) {
      const RunOutcome::Kind k = classify_status(r.status);
      out.kind = k == RunOutcome::Kind::auth ? k : RunOutcome::Kind::retry;
      out.reason = error_reason(r.body, r.status);
      return out;
    }
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    auto list = doc.HasParseError() || !doc.IsObject() ? doc.MemberEnd() : doc.FindMember("executions");
    if (list == doc.MemberEnd() || !list->value.IsArray()) {
      out.kind = RunOutcome::Kind::retry;
      out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's executions JSON (content type '" +
                        r.content_type + "')");
      return out;
    }
    bool older = false;
    for (const auto &e : list->value.GetArray()) {
      if (!e.IsObject()) continue;
      Execution x = read_execution(e);
      if (x.started_ms && x.started_ms < since_ms) {
        older = true;
        continue;
      }
      out.executions.push_back(std::move(x));
    }
    if (older || static_cast<int>(list->value.Size()) < kPage) {
      out.kind = RunOutcome::Kind::started;
      return out;
    }
  }
  out.kind = RunOutcome::Kind::started; // kMaxPages pages all in the window: what was seen is the answer
  return out;
}

JobsOutcome RundeckClient::list_jobs(const RundeckSettings &settings, const std::string &token,
                                     const std::string &project, const std::atomic<bool> &abort) {
  JobsOutcome out;
  CURL *c = static_cast<CURL *>(curl_);
  char *escaped = curl_easy_escape(c, project.c_str(), static_cast<int>(project.size()));
  if (!escaped) throw std::bad_alloc();
  const std::string url = settings.url + "/api/" + std::to_string(settings.api_version) + "/project/" + escaped + "/jobs";
  curl_free(escaped);
  const Reply r = perform(settings, token, url, nullptr, abort);
  if (r.rc != CURLE_OK) {
    out.reason = transport_reason(r.rc, false);
    return out;
  }
  out.http_status = r.status;
  if (r.status < 200 || r.status >= 300) {
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's job list JSON (content type '" +
                      r.content_type + "')");
    return out;
  }
  for (const auto &j : doc.GetArray())
    if (j.IsObject())
      out.jobs.push_back({text_member(j, "id"), text_member(j, "name"), text_member(j, "group"),
                          text_member(j, "description")});
  out.ok = true;
  return out;
}

namespace {

// A YAML scalar's text, or "" (absent, null or not a scalar).
std::string scalar(const YAML::Node &n) { return n && n.IsScalar() ? n.Scalar() : std::string(); }

JobOption read_option(const std::string &name, const YAML::Node &o) {
  JobOption opt;
  opt.name = name;
  opt.required = scalar(o["required"]) == "true";
  opt.has_default = !scalar(o["value"]).empty() || !scalar(o["storagePath"]).empty();
  return opt;
}

} // namespace

std::optional<std::vector<JobOption>> definition_options(const std::string &text) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text); // JSON is YAML too
  } catch (const YAML::Exception &) {
    return std::nullopt;
  }
  if (!doc.IsSequence() || doc.size() == 0 || !doc[0].IsMap()) return std::nullopt;
  std::vector<JobOption> out;
  const YAML::Node options = doc[0]["options"];
  if (!options || options.IsNull()) return out;
  if (options.IsSequence()) {
    for (const YAML::Node &o : options)
      if (o.IsMap() && !scalar(o["name"]).empty()) out.push_back(read_option(scalar(o["name"]), o));
  } else if (options.IsMap()) {
    for (const auto &kv : options)
      if (kv.first.IsScalar() && kv.second.IsMap()) out.push_back(read_option(kv.first.Scalar(), kv.second));
  } else {
    return std::nullopt;
  }
  return out;
}

JobDetails RundeckClient::job_details(const RundeckSettings &settings, const std::string &token,
                                      const std::string &job_id, const std::atomic<bool> &abort) {
  JobDetails out;
  CURL *c = static_cast<CURL *>(curl_);
  const Reply r = perform(settings, token, api_url(settings, c, job_id, "/info"), nullptr, abort);
  if (r.rc != CURLE_OK) {
    out.timed_out = r.rc == CURLE_OPERATION_TIMEDOUT;
    out.reason = transport_reason(r.rc, false);
    return out;
  }
  out.http_status = r.status;
  if (r.status < 200 || r.status >= 300) {
    out.kind = r.status == 404                    ? JobDetails::Kind::not_found
               : classify_status(r.status) == RunOutcome::Kind::auth ? JobDetails::Kind::auth
                                                                      : JobDetails::Kind::other;
    out.reason = error_reason(r.body, r.status);
    return out;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject() || id_text(doc).empty()) {
    out.kind = JobDetails::Kind::other;
    out.reason = clip("HTTP " + std::to_string(r.status) + " without Rundeck's job info JSON (content type '" +
                      r.content_type + "'): a proxy or login page answered?");
    return out;
  }
  out.kind = JobDetails::Kind::found;
  out.project = text_member(doc, "project");
  out.name = text_member(doc, "name");
  out.group = text_member(doc, "group");

  // The definition export: YAML, which every API version the gateway speaks offers.
  const Reply d = perform(settings, token, api_url(settings, c, job_id, "?format=yaml"), nullptr, abort,
                          "application/yaml, text/yaml, */*");
  if (d.rc != CURLE_OK) {
    out.timed_out = d.rc == CURLE_OPERATION_TIMEDOUT;
    out.options_reason = transport_reason(d.rc, false);
  } else if (d.status < 200 || d.status >= 300) {
    out.options_reason = error_reason(d.body, d.status);
  } else if (auto options = definition_options(d.body)) {
    out.options_read = true;
    out.options = std::move(*options);
  } else {
    out.options_reason = clip("HTTP " + std::to_string(d.status) + " without Rundeck's job definition (content type '" +
                              d.content_type + "')");
  }
  return out;
}

bool execution_matches(const Execution &e, const std::string &request_json, const std::string &token_user) {
  rapidjson::Document req;
  req.Parse(request_json.data(), request_json.size());
  if (req.HasParseError() || !req.IsObject()) return false;
  if (auto opts = req.FindMember("options"); opts != req.MemberEnd() && opts->value.IsObject())
    for (const auto &o : opts->value.GetObject()) {
      auto it = e.options.find(o.name.GetString());
      if (it == e.options.end() || !o.value.IsString() || it->second != o.value.GetString()) return false;
    }
  if (auto as = req.FindMember("asUser"); as != req.MemberEnd() && as->value.IsString())
    return e.user == as->value.GetString();
  return token_user.empty() || e.user == token_user;
}

} // namespace rdwh::gateway
