#include "console/auth.hpp"

#include "base/clock.hpp"
#include "console/api/errors.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace rdwh::gateway {

namespace {

constexpr size_t kMaxSessions = 1000;             // the oldest go first beyond this

// "https://host:port/path" -> "host:port" in lower case, without the scheme's default port; ""
// when it is not an http(s) URL.
std::string url_host(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"})
    if (url.substr(0, scheme.size()) == scheme) {
      url.remove_prefix(scheme.size());
      std::string host(url.substr(0, url.find_first_of("/?#")));
      for (char &c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string default_port = scheme == "http://" ? ":80" : ":443";
      if (host.size() > default_port.size() && host.ends_with(default_port))
        host.resize(host.size() - default_port.size());
      return host;
    }
  return "";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool trusted_by(const std::vector<IpRange> &trusted, const IpAddress &ip) {
  return std::any_of(trusted.begin(), trusted.end(), [&](const IpRange &r) { return r.contains(ip); });
}

// Every X-Forwarded-For entry, in order (several headers read as one list).
std::vector<std::string_view> forwarded_for(const HttpRequest &req) {
  std::vector<std::string_view> out;
  for (const auto &[name, value] : req.headers) {
    if (!header_name_equals(name, "X-Forwarded-For")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      out.push_back(item);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return out;
}

HttpResponse too_many(HttpResponse r, int64_t retry_after_s) {
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

} // namespace

std::string ConsoleAuth::client_address(const HttpRequest &req, const std::vector<IpRange> &trusted) {
  const auto peer = parse_ip(req.sender);
  if (!peer || !trusted_by(trusted, *peer)) return req.sender;
  IpAddress client = *peer;
  const std::vector<std::string_view> hops = forwarded_for(req);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto hop = parse_ip(*it);
    if (!hop) break; // not an address: keep the last trusted hop
    client = *hop;
    if (!trusted_by(trusted, client)) break;
  }
  return to_string(client);
}

WrongTokenThrottle::Verdict ConsoleAuth::wrong_token(const HttpRequest &req, const ConsoleSettings &settings,
                                                     const char *what) {
  const std::string client = client_address(req, settings.trusted_proxies);
  const WrongTokenThrottle::Verdict v = throttle_.wrong(client, now_ms());
  if (v.summary)
    log::warn("console: more wrong tokens, not logged one by one", {{"count", v.summary}});
  if (v.log_line)
    log::warn(what, {{"sender", client}, {"failures", v.failures}, {"waits", v.refused || v.blocked_now}});
  return v;
}

std::optional<HttpResponse> ConsoleAuth::check_api(const HttpRequest &req, const std::string &console_token,
                                                   int api_version, const ConsoleSettings &settings) {
  const auto given = req.header("X-Rundeck-Auth-Token");
  if (!given || given->empty())
    return rundeck_error(401, api_version, "api.error.unauthorized",
                         "Authentication required: send the console token in the X-Rundeck-Auth-Token header");
  // The right token passes whatever others sent: only wrong ones are throttled.
  if (!console_token.empty() && constant_time_equal(*given, console_token)) return std::nullopt;
  const WrongTokenThrottle::Verdict v = wrong_token(req, settings, "console: API request with a wrong token");
  if (v.refused)
    return too_many(rundeck_error(429, api_version, "api.error.rate-limited",
                                  "Too many requests with a wrong token: wait " + std::to_string(v.retry_after_s) +
                                      " seconds"),
                    v.retry_after_s);
  return rundeck_error(403, api_version, "api.error.item.unauthorized", "Not authorized: the token is not valid");
}

std::optional<Session> ConsoleAuth::login(const HttpRequest &req, std::string_view given,
                                          const std::string &console_token, const ConsoleSettings &settings,
                                          int64_t &retry_after_s) {
  retry_after_s = 0;
  if (console_token.empty() || !constant_time_equal(given, console_token)) {
    const WrongTokenThrottle::Verdict v = wrong_token(req, settings, "console: login with a wrong token");
    if (v.refused) retry_after_s = v.retry_after_s;
    return std::nullopt;
  }
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
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
  log::info("console: logged in", {{"sender", client_address(req, settings.trusted_proxies)}});
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

std::vector<std::string> ConsoleAuth::own_hosts(const ConsoleSettings &settings, uint16_t port) {
  std::vector<std::string> out;
  if (!settings.public_url.empty()) out.push_back(url_host(settings.public_url));
  const ListenAddress &l = settings.http.listen;
  const std::string p = std::to_string(port ? port : l.port);
  out.push_back(lower(l.ipv6 ? "[" + l.host + "]:" + p : l.host + ":" + p));
  if (l.host == "::1" || l.host.rfind("127.", 0) == 0) out.push_back("localhost:" + p);
  return out;
}

bool ConsoleAuth::same_origin(const HttpRequest &req, const std::vector<std::string> &own, std::string &why) {
  std::string from;
  if (const auto origin = req.header("Origin"); origin && *origin != "null") from = url_host(*origin);
  else if (const auto referer = req.header("Referer")) from = url_host(*referer);
  else {
    why = "the request has neither an Origin nor a Referer header";
    return false;
  }
  const auto host = req.header("Host");
  const bool is_own = std::find(own.begin(), own.end(), from) != own.end();
  if (from.empty() || (!is_own && (!host || from != lower(*host)))) {
    why = "the request comes from another site (" + (from.empty() ? std::string("unknown") : from) + ")";
    return false;
  }
  return true;
}

bool ConsoleAuth::csrf_ok(const HttpRequest &req, const std::vector<std::string> &own, const Session &s,
                          std::string_view form_csrf, std::string &why) {
  if (!same_origin(req, own, why)) return false;
  if (form_csrf.empty() || !constant_time_equal(form_csrf, s.csrf)) {
    why = "the form's CSRF token is missing or stale: reload the page and try again";
    return false;
  }
  return true;
}

std::string ConsoleAuth::who_of_session(const HttpRequest &req, const Session &s, const std::vector<IpRange> &trusted) {
  return "console session " + sha256_hex(s.id).substr(0, 8) + " from " + client_address(req, trusted);
}

std::string ConsoleAuth::who_of_api_call(const HttpRequest &req, const std::vector<IpRange> &trusted) {
  return "api from " + client_address(req, trusted);
}

} // namespace rdwh::gateway
