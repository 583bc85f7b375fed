#include "console/auth.hpp"

#include "base/clock.hpp"
#include "console/api/errors.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"

#include <chrono>

namespace rdwh::gateway {

namespace {

constexpr int kMaxFailures = 10;                  // wrong tokens per address and window...
constexpr int64_t kFailureWindowMs = 60 * 1000;   // ...before the address waits
constexpr int64_t kBlockMs = 60 * 1000;
constexpr size_t kMaxSessions = 1000;             // the oldest go first beyond this

// "https://host:port/path" -> "host:port"; "" when it is not an http(s) URL.
std::string url_host(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"})
    if (url.substr(0, scheme.size()) == scheme) {
      url.remove_prefix(scheme.size());
      return std::string(url.substr(0, url.find_first_of("/?#")));
    }
  return "";
}

} // namespace

bool ConsoleAuth::throttled(const std::string &sender, int64_t now) {
  auto it = failures_.find(sender);
  return it != failures_.end() && it->second.blocked_until_ms > now;
}

void ConsoleAuth::failed(const std::string &sender, int64_t now) {
  if (failures_.size() > 10000) failures_.clear(); // bounded memory under a flood of addresses
  Failures &f = failures_[sender];
  if (now - f.window_start_ms > kFailureWindowMs) f = {0, now, 0};
  if (++f.count >= kMaxFailures) {
    f.blocked_until_ms = now + kBlockMs;
    log::warn("console: too many wrong tokens; the address waits a minute", {{"sender", sender}});
  }
}

std::optional<HttpResponse> ConsoleAuth::check_api(const HttpRequest &req, const std::string &console_token,
                                                   int api_version) {
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
  if (throttled(req.sender, now))
    return rundeck_error(429, api_version, "api.error.rate-limited", "Too many requests with a wrong token: wait a minute");
  const auto given = req.header("X-Rundeck-Auth-Token");
  if (!given || given->empty())
    return rundeck_error(401, api_version, "api.error.unauthorized",
                         "Authentication required: send the console token in the X-Rundeck-Auth-Token header");
  if (console_token.empty() || !constant_time_equal(*given, console_token)) {
    failed(req.sender, now);
    log::warn("console: API request with a wrong token", {{"sender", req.sender}});
    return rundeck_error(403, api_version, "api.error.item.unauthorized", "Not authorized: the token is not valid");
  }
  return std::nullopt;
}

std::optional<Session> ConsoleAuth::login(const HttpRequest &req, std::string_view given,
                                          const std::string &console_token, const ConsoleSettings &settings,
                                          bool &is_throttled) {
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
  is_throttled = throttled(req.sender, now);
  if (is_throttled) return std::nullopt;
  if (console_token.empty() || !constant_time_equal(given, console_token)) {
    failed(req.sender, now);
    log::warn("console: login with a wrong token", {{"sender", req.sender}});
    return std::nullopt;
  }
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = it->second.session.expires_ms <= now ? sessions_.erase(it) : std::next(it);
  while (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.session.expires_ms < oldest->second.session.expires_ms) oldest = it;
    sessions_.erase(oldest);
  }
  Session s{random_token(43), random_token(43), now + settings.session_hours * 3600 * 1000};
  sessions_[s.id] = {s, sha256_hex(console_token)};
  log::info("console: logged in", {{"sender", req.sender}});
  return s;
}

std::optional<Session> ConsoleAuth::session(const HttpRequest &req, const std::string &console_token) {
  const auto id = req.cookie(kCookie);
  if (!id || id->empty() || console_token.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = sessions_.find(std::string(*id));
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.session.expires_ms <= now_ms() || it->second.token_hash != sha256_hex(console_token)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.session;
}

void ConsoleAuth::logout(const HttpRequest &req) {
  if (const auto id = req.cookie(kCookie)) {
    std::lock_guard lock(mu_);
    sessions_.erase(std::string(*id));
  }
}

std::string ConsoleAuth::cookie(const Session &s, const ConsoleSettings &settings) {
  return std::string(kCookie) + "=" + s.id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(settings.session_hours * 3600) + (settings.secure_cookies ? "; Secure" : "");
}

std::string ConsoleAuth::clear_cookie(const ConsoleSettings &settings) {
  return std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
         (settings.secure_cookies ? "; Secure" : "");
}

bool ConsoleAuth::same_origin(const HttpRequest &req, std::string &why) {
  const auto host = req.header("Host");
  if (!host || host->empty()) {
    why = "the request has no Host header";
    return false;
  }
  std::string from;
  if (const auto origin = req.header("Origin"); origin && *origin != "null") from = url_host(*origin);
  else if (const auto referer = req.header("Referer")) from = url_host(*referer);
  else {
    why = "the request has neither an Origin nor a Referer header";
    return false;
  }
  if (from != *host) {
    why = "the request comes from another site (" + (from.empty() ? std::string("unknown") : from) + ")";
    return false;
  }
  return true;
}

bool ConsoleAuth::csrf_ok(const HttpRequest &req, const Session &s, std::string_view form_csrf, std::string &why) {
  if (!same_origin(req, why)) return false;
  if (form_csrf.empty() || !constant_time_equal(form_csrf, s.csrf)) {
    why = "the form's CSRF token is missing or stale: reload the page and try again";
    return false;
  }
  return true;
}

} // namespace rdwh::gateway
