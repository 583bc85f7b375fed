// Who may use the console: API callers send the console token in X-Rundeck-Auth-Token, as
// Rundeck's API expects; browsers log in with the same token and get a server-side session (an
// HttpOnly, SameSite=Strict cookie holding a random id). Every state-changing browser request
// carries the session's CSRF token and an Origin (else Referer) of this console's own host.
// The right token is always accepted; wrong ones are throttled per client address and in all
// (console/throttle.hpp), the client being the peer or, behind a trusted proxy
// (console.trustedProxies), its X-Forwarded-For. Tokens are compared in constant time and never
// logged. Thread-safe.
#pragma once

#include "config/config.hpp"
#include "console/throttle.hpp"
#include "http/server.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // envelope: 401 without a token, 403 with a wrong one, 429 (Retry-After) for a wrong one from an
  // address that sent too many, or in a flood of them.
  std::optional<HttpResponse> check_api(const HttpRequest &req, const std::string &console_token, int api_version,
                                        const ConsoleSettings &settings);

  // A login with `given`: the new session, or nullopt (a wrong token; `retry_after_s` > 0 when
  // wrong tokens from the address must wait that long).
  std::optional<Session> login(const HttpRequest &req, std::string_view given, const std::string &console_token,
                               const ConsoleSettings &settings, int64_t &retry_after_s);
  // The request's live session (its cookie names one that has not expired, made with the
  // current console token), or nullopt.
  std::optional<Session> session(const HttpRequest &req, const std::string &console_token);
  void logout(const HttpRequest &req);

  // Set-Cookie values: a session's, and one that removes it.
  static std::string cookie(const Session &s, const ConsoleSettings &settings);
  static std::string clear_cookie(const ConsoleSettings &settings);

  // The console's own names, as an Origin gives them ("host[:port]", lower case, without a
  // default port): console.publicUrl's, console.listen's with the port it listens on, and
  // "localhost:<port>" for a loopback listener.
  static std::vector<std::string> own_hosts(const ConsoleSettings &settings, uint16_t port);
  // A state-changing browser request: its form's CSRF token is the session's and its Origin (else
  // Referer) names this console: one of `own` (own_hosts()), or the request's Host. `why` says
  // what failed.
  static bool same_origin(const HttpRequest &req, const std::vector<std::string> &own, std::string &why);
  static bool csrf_ok(const HttpRequest &req, const std::vector<std::string> &own, const Session &s,
                      std::string_view form_csrf, std::string &why);

  // The client's address: the peer's; for a peer in `trusted`, the rightmost address of
  // X-Forwarded-For that is not in `trusted` (every header of that name, in order), or the
  // leftmost one when all are. An entry that is not an IP address ends the walk: the hop after
  // it (the last trusted one) is taken.
  static std::string client_address(const HttpRequest &req, const std::vector<IpRange> &trusted);

  // Who a webhook's history says made a change. Every caller holds the same console token, so
  // this names no person: a browser's "console session <id>" (8 hex digits of the session id's
  // sha256: tells sessions apart, gives nothing of the cookie away) or "api", then "from <client>".
  static std::string who_of_session(const HttpRequest &req, const Session &s, const std::vector<IpRange> &trusted);
  static std::string who_of_api_call(const HttpRequest &req, const std::vector<IpRange> &trusted);

private:
  // A wrong token from the request's client: counted, logged within the throttle's bounds.
  WrongTokenThrottle::Verdict wrong_token(const HttpRequest &req, const ConsoleSettings &settings, const char *what);

  struct Stored {
    Session session;
    std::string token_hash; // sha256 of the console token it was made with: a new token ends it
  };
  std::mutex mu_;
  std::map<std::string, Stored> sessions_;     // by id
  WrongTokenThrottle throttle_;
};

} // namespace rdwh::gateway
