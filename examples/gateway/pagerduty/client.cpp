#include "pagerduty/client.hpp"

#include "base/json.hpp"
#include "base/text.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace rdwh::gateway {

namespace {

constexpr size_t kMaxResponseBytes = 4 * 1024 * 1024; // an incident's notes, each up to 25,000 characters
constexpr size_t kMaxReasonBytes = 500;
// PagerDuty refuses a note over 25,000 characters; stay below it in bytes, which are never fewer.
constexpr size_t kMaxNoteBytes = 24000;
constexpr size_t kMaxLogLineBytes = 1000;

struct ReplyBuffer {
  std::string body;
  int64_t retry_after_ms = -1, ratelimit_reset_ms = -1;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<ReplyBuffer *>(user);
  const size_t n = size * count;
  if (reply->body.size() + n > kMaxResponseBytes) return 0; // aborts the transfer
  reply->body.append(data, n);
  return n;
}

// The seconds of header `name` ("retry-after:", lowercase with its colon) in `line`, or -1.
int64_t header_seconds(std::string_view line, std::string_view name) {
  if (line.size() <= name.size()) return -1;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return -1;
  // Only the delay-seconds form; an HTTP date is ignored (the caller's backoff applies).
  const std::string value(line.substr(name.size()));
  char *end = nullptr;
  const long secs = std::strtol(value.c_str(), &end, 10);
  return end != value.c_str() && secs >= 0 ? static_cast<int64_t>(secs) * 1000 : -1;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *reply = static_cast<ReplyBuffer *>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  if (const int64_t ms = header_seconds(line, "retry-after:"); ms >= 0) reply->retry_after_ms = ms;
  // PagerDuty's rate limit headers: ratelimit-reset is the seconds until the window resets.
  if (const int64_t ms = header_seconds(line, "ratelimit-reset:"); ms >= 0) reply->ratelimit_reset_ms = ms;
  return n;
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

// Any text that reaches a reason: control characters out, clipped, and the token never in it
// (a proxy or a stand-in could echo the request's headers).
std::string clean_reason(std::string s, const std::string &token) {
  if (!token.empty())
    for (size_t at = s.find(token); at != std::string::npos; at = s.find(token, at)) s.replace(at, token.size(), "****");
  for (char &c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return clipped(s, kMaxReasonBytes);
}

// PagerDuty's error envelope: {"error":{"message":"...","code":N,"errors":["...", ...]}}.
std::string error_reason(const std::string &body, long status) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  std::string out = "HTTP " + std::to_string(status);
  auto err = !doc.HasParseError() && doc.IsObject() ? doc.FindMember("error") : doc.MemberEnd();
  if (err == doc.MemberEnd() || !err->value.IsObject()) return body.empty() ? out : out + ": " + body;
  if (auto m = string_member(err->value, "message")) out += ": " + *m;
  std::string details; // PagerDuty's list of what is wrong, e.g. "Requester User Not Found"
  if (auto list = err->value.FindMember("errors"); list != err->value.MemberEnd() && list->value.IsArray())
    for (const auto &e : list->value.GetArray())
      if (e.IsString()) details += (details.empty() ? "" : "; ") + std::string(e.GetString());
  if (!details.empty()) out += " (" + details + ")";
  return out;
}

std::unique_ptr<curl_slist, SlistDeleter> request_headers(const std::string &token, const std::string &from,
                                                          bool body) {
  std::string auth = "Authorization: Token token=" + token;
  curl_slist *raw = nullptr;
  raw = curl_slist_append(raw, auth.c_str());
  OPENSSL_cleanse(auth.data(), auth.size()); // curl keeps its own copy in the list
  raw = curl_slist_append(raw, "Accept: application/vnd.pagerduty+json;version=2");
  if (!from.empty()) raw = curl_slist_append(raw, ("From: " + from).c_str());
  if (body) raw = curl_slist_append(raw, "Content-Type: application/json");
  raw = curl_slist_append(raw, "Expect:");
  return std::unique_ptr<curl_slist, SlistDeleter>(raw);
}

std::string incident_url(const PagerDutySettings &s, CURL *c, const std::string &incident_id, const char *tail) {
  char *escaped = curl_easy_escape(c, incident_id.c_str(), static_cast<int>(incident_id.size()));
  if (!escaped) throw std::bad_alloc();
  std::string url = s.api_url + "/incidents/" + escaped + tail;
  curl_free(escaped);
  return url;
}

} // namespace

PagerDutyOutcome::Kind classify_pagerduty_status(long s, bool changes) {
  using K = PagerDutyOutcome::Kind;
  if (s >= 200 && s < 300) return K::ok;
  if (s == 401 || s == 403) return K::auth;
  if (s == 408 || s == 429) return K::retry;
  if (s >= 400 && s < 500) return K::stop;
  // A proxy's 502/504 may come after PagerDuty took the post; its own 5xx means it did not.
  if (changes && (s == 502 || s == 504)) return K::unknown;
  return K::retry; // 5xx; 1xx/3xx: a proxy or a wrong apiUrl answered, not PagerDuty
}

struct PagerDutyClient::Reply {
  CURLcode rc = CURLE_OK;
  bool sent = false; // some of the request reached the server
  long status = 0;
  std::string body;
  int64_t retry_after_ms = -1;
};

PagerDutyClient::PagerDutyClient() : curl_(curl_easy_init()) {
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

PagerDutyClient::~PagerDutyClient() { curl_easy_cleanup(static_cast<CURL *>(curl_)); }

PagerDutyClient::Reply PagerDutyClient::perform(const PagerDutySettings &settings, const std::string &token,
                                                const std::string &url, const char *method, const std::string *body,
                                                const std::atomic<bool> &abort) {
  CURL *c = static_cast<CURL *>(curl_);
  curl_easy_reset(c); // keeps the connection cache
  // PagerDuty needs From on what changes an incident; a GET is sent without it.
  auto headers = request_headers(token, body ? settings.from : std::string(), body != nullptr);
  ReplyBuffer buffer;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.request_timeout_ms));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "rdwh-gateway");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &buffer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &buffer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L); // a stopping gateway ends the call within a second
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort);

  Reply reply;
  reply.rc = curl_easy_perform(c);
  headers.reset();
  long request_bytes = 0;
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_bytes);
  reply.sent = request_bytes > 0;
  if (reply.rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(buffer.body);
  reply.retry_after_ms = buffer.retry_after_ms >= 0 ? buffer.retry_after_ms : buffer.ratelimit_reset_ms;
  return reply;
}

namespace {

// The outcome of a reply: the transport's failure, else the status's meaning and PagerDuty's reason.
template <class Reply>
PagerDutyOutcome outcome_of(const Reply &r, bool changes, const std::string &token) {
  PagerDutyOutcome out;
  if (r.rc != CURLE_OK) {
    out.kind = changes && r.sent ? PagerDutyOutcome::Kind::unknown : PagerDutyOutcome::Kind::retry;
    std::string why = r.rc == CURLE_ABORTED_BY_CALLBACK ? "the gateway stopped during the call" : curl_easy_strerror(r.rc);
    if (changes && r.sent) why += " (after the request was sent: PagerDuty may have done it)";
    out.reason = clean_reason(why, token);
    return out;
  }
  out.http_status = r.status;
  out.kind = classify_pagerduty_status(r.status, changes);
  if (out.kind != PagerDutyOutcome::Kind::ok) out.reason = clean_reason(error_reason(r.body, r.status), token);
  if (out.kind == PagerDutyOutcome::Kind::auth)
    out.reason = "PagerDuty refuses the API token (pagerduty.tokenFile): " + out.reason;
  if (r.status == 429) out.retry_after_ms = r.retry_after_ms;
  return out;
}

} // namespace

PagerDutyOutcome PagerDutyClient::post_note(const PagerDutySettings &settings, const std::string &token,
                                            const std::string &incident_id, const std::string &content,
                                            const std::atomic<bool> &abort) {
  const std::string body = json_text([&](JsonWriter &j) {
    j.StartObject();
    j.Key("note"), j.StartObject(), j.Key("content"), write_str(j, content), j.EndObject();
    j.EndObject();
  });
  const Reply r = perform(settings, token, incident_url(settings, static_cast<CURL *>(curl_), incident_id, "/notes"),
                          "POST", &body, abort);
  PagerDutyOutcome out = outcome_of(r, true, token);
  if (out.kind != PagerDutyOutcome::Kind::ok) return out;
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  if (!doc.HasParseError() && doc.IsObject())
    if (auto note = doc.FindMember("note"); note != doc.MemberEnd() && note->value.IsObject())
      out.note_id = string_member(note->value, "id").value_or("");
  return out;
}

NoteSearch PagerDutyClient::find_note(const PagerDutySettings &settings, const std::string &token,
                                      const std::string &incident_id, const std::string &marker,
                                      const std::atomic<bool> &abort) {
  NoteSearch out;
  const Reply r = perform(settings, token, incident_url(settings, static_cast<CURL *>(curl_), incident_id, "/notes"),
                          "GET", nullptr, abort);
  out.outcome = outcome_of(r, false, token);
  if (out.outcome.kind != PagerDutyOutcome::Kind::ok) return out;
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  auto notes = !doc.HasParseError() && doc.IsObject() ? doc.FindMember("notes") : doc.MemberEnd();
  if (notes == doc.MemberEnd() || !notes->value.IsArray()) {
    // Not PagerDuty's list (a proxy's page): nothing is known, so nothing may be posted yet.
    out.outcome.kind = PagerDutyOutcome::Kind::retry;
    out.outcome.reason = "HTTP " + std::to_string(r.status) + " without PagerDuty's notes JSON";
    return out;
  }
  for (const auto &n : notes->value.GetArray()) {
    if (!n.IsObject()) continue;
    if (string_member(n, "content").value_or("").find(marker) == std::string::npos) continue;
    out.found = true;
    out.note_id = string_member(n, "id").value_or("");
    break;
  }
  return out;
}

PagerDutyOutcome PagerDutyClient::resolve(const PagerDutySettings &settings, const std::string &token,
                                          const std::string &incident_id, const std::atomic<bool> &abort) {
  static const std::string body = R"({"incident":{"type":"incident_reference","status":"resolved"}})";
  const Reply r =
      perform(settings, token, incident_url(settings, static_cast<CURL *>(curl_), incident_id, ""), "PUT", &body, abort);
  // Resolving twice leaves the incident as once: a lost answer is simply retried.
  return outcome_of(r, false, token);
}

std::string note_marker(const std::string &execution_id) { return "[rdwh execution " + execution_id + "]"; }

namespace {

std::string duration_text(int64_t ms) {
  if (ms < 0) return "unknown";
  const int64_t s = (ms + 500) / 1000;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h ";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m ";
  return out + std::to_string(s % 60) + "s";
}

// `text` with every secret replaced by ****, the longest first (one secret may hold another).
std::string redact(std::string text, const std::vector<std::string> &secrets) {
  std::vector<const std::string *> order;
  for (const std::string &s : secrets)
    if (!s.empty()) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const std::string *a, const std::string *b) { return a->size() > b->size(); });
  for (const std::string *s : order)
    for (size_t at = text.find(*s); at != std::string::npos; at = text.find(*s, at + 4)) text.replace(at, s->size(), "****");
  return text;
}

} // namespace

std::string render_note(const NoteContent &n) {
  const std::string marker = note_marker(n.execution_id);
  std::string head = "Rundeck job '" + n.job_name + "': execution " + n.execution_id + " " + n.status + " after " +
                     duration_text(n.duration_ms) + "\n";
  if (!n.permalink.empty()) head += n.permalink + "\n";
  head = redact(utf8_clean(head), n.secrets);
  const size_t wanted = static_cast<size_t>(std::max(0, n.output_lines));
  const size_t first = n.log_lines.size() > wanted ? n.log_lines.size() - wanted : 0;
  std::vector<std::string> lines;
  for (size_t i = first; i < n.log_lines.size(); ++i)
    lines.push_back(clipped(redact(utf8_clean(n.log_lines[i]), n.secrets), kMaxLogLineBytes));
  // The oldest lines go first when the note would be too long for PagerDuty.
  size_t bytes = head.size() + marker.size() + 64;
  size_t keep_from = lines.size();
  while (keep_from > 0 && bytes + lines[keep_from - 1].size() + 1 <= kMaxNoteBytes) bytes += lines[--keep_from].size() + 1;
  std::string out = head;
  if (wanted > 0 && !n.log_lines.empty()) {
    out += "\nLast " + std::to_string(lines.size() - keep_from) + " lines of its log:\n";
    for (size_t i = keep_from; i < lines.size(); ++i) out += lines[i] + "\n";
  }
  if (!n.log_unavailable.empty())
    out += "\nLog unavailable: " + clipped(redact(utf8_clean(n.log_unavailable), n.secrets), kMaxLogLineBytes) + "\n";
  return out + "\n" + marker;
}

} // namespace rdwh::gateway
