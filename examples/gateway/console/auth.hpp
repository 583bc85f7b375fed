// Who may use the console: API callers send the console token in X-Rundeck-Auth-Token, as
// Rundeck's API expects; browsers log in with the same token and get a server-side session (an
// HttpOnly, SameSite=Strict cookie holding a random id). Every state-changing browser request
// carries the session's CSRF token and an Origin (else Referer) of this console's own host.
// Repeated wrong tokens from one address are slowed down (429 for a minute). Tokens are compared
// in constant time and never logged. Thread-safe.
#pragma once

#include "config/config.hpp"
#include "http/server.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace rdwh::gateway {

struct Session {
  std::string id;         // the cookie's value
  std::string csrf;       // to echo in every form (field "csrf")
  int64_t expires_ms = 0;
};

class ConsoleAuth {
public:
  static constexpr const char *kCookie = "rdwh_session";

  // nullopt when the request carries the console token; else the answer, in Rundeck's error
  // envelope: 401 without a token, 403 with a wrong one, 429 after too many wrong ones.
  std::optional<HttpResponse> check_api(const HttpRequest &req, const std::string &console_token, int api_version);

  // A login with `given`: the new session, or nullopt (a wrong token; `throttled` when the
  // address must wait).
  std::optional<Session> login(const HttpRequest &req, std::string_view given, const std::string &console_token,
                               const ConsoleSettings &settings, bool &throttled);
  // The request's live session (its cookie names one that has not expired, made with the
  // current console token), or nullopt.
  std::optional<Session> session(const HttpRequest &req, const std::string &console_token);
  void logout(const HttpRequest &req);

  // Set-Cookie values: a session's, and one that removes it.
  static std::string cookie(const Session &s, const ConsoleSettings &settings);
  static std::string clear_cookie(const ConsoleSettings &settings);

  // A state-changing browser request: its form's CSRF token is the session's and its Origin (else
  // Referer) names this console's host. `why` says what failed.
  static bool same_origin(const HttpRequest &req, std::string &why);
  static bool csrf_ok(const HttpRequest &req, const Session &s, std::string_view form_csrf, std::string &why);

private:
  bool throttled(const std::string &sender, int64_t now_ms);
  void failed(const std::string &sender, int64_t now_ms);

  struct Stored {
    Session session;
    std::string token_hash; // sha256 of the console token it was made with: a new token ends it
  };
  struct Failures {
    int count = 0;
    int64_t window_start_ms = 0;
    int64_t blocked_until_ms = 0;
  };
  std::mutex mu_;
  std::map<std::string, Stored> sessions_;     // by id
  std::map<std::string, Failures> failures_;   // by sender address
};

} // namespace rdwh::gateway
