// rdwh-host send: deliver a body as PagerDuty does (see send.hpp).
//
// Headers sent: Content-Type: application/json, Accept: application/json,
// User-Agent: PagerDuty-Webhook/V3.0, X-Webhook-Id: <fresh random UUID>, and with --key
// X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>. A --header with the same name
// replaces the default; `--header 'X-Webhook-Id:'` (no value) sends no X-Webhook-Id at all.
// --fresh rewrites the event before it is signed (see send.hpp); without it the file's bytes go
// out unchanged.
#include "send.hpp"

#include "sign.hpp"

#include <curl/curl.h>

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/writer.h>
#include <rapidjson/stringbuffer.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr const char *kUsage =
    "usage: rdwh-host send URL --body FILE [--fresh] [--key SECRET] [--header 'Name: value']...\n";

int usage(const std::string &why) {
  std::fprintf(stderr, "rdwh-host send: %s\n%s", why.c_str(), kUsage);
  return 2;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The lowercase name of a "Name: value" header line.
std::string header_name(std::string_view line) {
  const size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  return lower(name);
}

std::string random_uuid() {
  std::random_device rd;
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned char b[16];
  for (unsigned char &x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xf];
  }
  return out;
}

// The length of the valid UTF-8 sequence at s[i], or 0 when the byte there starts none.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  return n;
}

// A JSON string literal; bytes that are not UTF-8 become U+FFFD so the output is always valid.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out.append(s.substr(i, n));
    i += n;
  }
  return out + "\"";
}

// A ULID, as PagerDuty's event ids are: 48 bits of Unix milliseconds, 80 random bits, in
// Crockford's base32.
std::string new_event_id(int64_t now_ms) {
  static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::random_device rd;
  std::uniform_int_distribution<int> symbol(0, 31);
  std::string out(26, '0');
  auto t = static_cast<uint64_t>(now_ms);
  for (int i = 9; i >= 0; --i, t >>= 5) out[static_cast<size_t>(i)] = digits[t & 31];
  for (size_t i = 10; i < out.size(); ++i) out[i] = digits[symbol(rd)];
  return out;
}

// "2024-05-01T12:00:00.123Z", PagerDuty's occurred_at form.
std::string iso_utc(int64_t now_ms) {
  const time_t seconds = static_cast<time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[80]; // room for any int the fields could hold, so the format is never cut
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(now_ms % 1000));
  return buf;
}

// --fresh: the V3 event as if it had just happened, so a receiver's replay guard (maxEventAge)
// and its once-per-event memory let it run again. nullopt (with `why`) when the body is no V3
// delivery.
std::optional<std::string> freshen(const std::string &body, std::string &why) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("event") || !doc["event"].IsObject()) {
    why = "--fresh needs a PagerDuty V3 delivery ({\"event\": {...}})";
    return std::nullopt;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  rapidjson::Value &event = doc["event"];
  auto &a = doc.GetAllocator();
  auto set = [&](const char *name, const std::string &value) {
    if (event.HasMember(name)) event[name].SetString(value, a);
    else event.AddMember(rapidjson::StringRef(name), rapidjson::Value(value, a), a);
  };
  set("id", new_event_id(now_ms));
  set("occurred_at", iso_utc(now_ms));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

size_t on_body(char *data, size_t size, size_t count, void *user) {
  static_cast<std::string *>(user)->append(data, size * count);
  return size * count;
}

} // namespace

int run_send(int argc, char **argv) {
  std::string url, body_file, key;
  bool have_key = false, fresh = false;
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--body") {
      if (!value(body_file)) return usage("--body needs a file");
    } else if (arg == "--key") {
      if (!value(key)) return usage("--key needs a secret");
      have_key = true;
    } else if (arg == "--fresh") {
      fresh = true;
    } else if (arg == "--header") {
      std::string h;
      if (!value(h)) return usage("--header needs 'Name: value'");
      if (h.find(':') == std::string::npos || h.front() == ':') return usage("--header needs 'Name: value'");
      extra.push_back(h);
    } else if (arg.rfind("--", 0) == 0) {
      return usage("unknown option " + arg);
    } else if (url.empty()) {
      url = arg;
    } else {
      return usage("more than one URL");
    }
  }
  if (url.empty()) return usage("a URL is needed");
  if (body_file.empty()) return usage("--body is needed");
  std::ifstream in(body_file, std::ios::binary);
  if (!in) return usage("cannot read " + body_file);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (fresh) {
    std::string why;
    std::optional<std::string> rewritten = freshen(body, why);
    if (!rewritten) return usage(body_file + ": " + why);
    body = std::move(*rewritten);
  }

  // Defaults first, each left out when --header names it; curl drops a "Name:" line with no
  // value from the request, which is how a default is suppressed.
  std::vector<std::string> headers;
  auto given = [&](std::string_view name) {
    for (const auto &h : extra)
      if (header_name(h) == name) return true;
    return false;
  };
  if (!given("content-type")) headers.emplace_back("Content-Type: application/json");
  if (!given("accept")) headers.emplace_back("Accept: application/json");
  if (!given("user-agent")) headers.emplace_back("User-Agent: PagerDuty-Webhook/V3.0");
  if (!given("x-webhook-id")) headers.push_back("X-Webhook-Id: " + random_uuid());
  if (have_key && !given("x-pagerduty-signature"))
    headers.push_back("X-PagerDuty-Signature: " + rdwh::harness::pagerduty_signature(key, body));
  headers.emplace_back("Expect:"); // PagerDuty does not wait for 100-continue
  headers.insert(headers.end(), extra.begin(), extra.end());

  CURL *c = curl_easy_init();
  if (!c) {
    std::fprintf(stderr, "rdwh-host send: cannot initialise libcurl\n");
    return 1;
  }
  curl_slist *list = nullptr;
  for (const auto &h : headers) list = curl_slist_append(list, h.c_str());
  std::string response;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L); // PagerDuty waits 5 s; be generous for tests
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "rdwh-host send: %s: %s\n", url.c_str(), error[0] ? error : curl_easy_strerror(rc));
    return 1;
  }
  std::printf("{\"status\":%ld,\"body\":%s}\n", status, json_string(response).c_str());
  // Scripts can tell "not sent" (1) from "answered, but not accepted" (3).
  return status >= 200 && status < 300 ? 0 : 3;
}
