#include "console/console.hpp"

#include "base/log.hpp"
#include "base/text.hpp"
#include "console/api/api.hpp"
#include "console/api/errors.hpp"
#include "console/pages/pages.hpp"

namespace rdwh::gateway {

namespace {

// Where a login may send the browser back to: a path of this console only ("//host" and a path
// with a backslash would leave it: browsers read a backslash as a slash).
std::string safe_next(const std::string &next) {
  const bool local = next.size() > 1 && next[0] == '/' && next[1] != '/' &&
                     next.find_first_of("\\\r\n\t") == std::string::npos;
  return local ? next : "/webhooks";
}

} // namespace

HttpResponse Console::handle(const HttpRequest &req) {
  HttpResponse r;
  try {
    r = route(req);
  } catch (const std::exception &e) {
    // Whatever failed, the answer still carries the headers below (never the exception's text:
    // it may name internals).
    log::error("console request failed", {{"method", req.method}, {"error", e.what()}});
    const bool api = req.path.rfind("/api/", 0) == 0;
    r = api ? rundeck_error(500, 33, "api.error.unknown", "Internal error")
            : HttpResponse{500, "text/plain; charset=utf-8", "Internal error"};
  }
  // Nothing the console serves may be framed, sniffed or cached, nor load anything from elsewhere.
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                         "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  if (r.status >= 500) log::warn("console request failed", {{"method", req.method}, {"status", r.status}});
  return r;
}

HttpResponse Console::route(const HttpRequest &req) {
  if (req.path.rfind("/api/", 0) != 0) return page(req);
  const std::shared_ptr<const Runtime> rt = admin_.runtime.get();
  return handle_console_api(
      admin_, req,
      [&](int version) { return auth_.check_api(req, rt->console_token(), version, rt->config().console); },
      ConsoleAuth::who_of_api_call(req, rt->config().console.trusted_proxies));
}

std::vector<std::string> Console::own_hosts(const ConsoleSettings &settings) const {
  return ConsoleAuth::own_hosts(settings, port_.load());
}

HttpResponse Console::page(const HttpRequest &req) {
  try {
    if (req.path.rfind("/static/", 0) == 0) return static_file(std::string_view(req.path).substr(8));
    if (req.path == "/favicon.ico") return static_file("favicon.svg");
    if (req.path == "/login") return login(req);
    const std::optional<Session> session = auth_.session(req, admin_.runtime.get()->console_token());
    if (req.path == "/logout" && req.method == "POST") return logout(req, session);
    if (!session) {
      if (req.method != "GET")
        return message_page(std::nullopt, req, 401, "Log in first", "Your session ended: log in again.", "/login");
      return redirect("/login?next=" + url_encode(req.path));
    }
    return signed_in(req, *session);
  } catch (const OutboxError &e) {
    return message_page(std::nullopt, req, 503, "The database is not available", e.what(), "/webhooks");
  }
}

HttpResponse Console::login(const HttpRequest &req) {
  const std::shared_ptr<const Runtime> rt = admin_.runtime.get();
  const ConsoleSettings &settings = rt->config().console;
  std::string error;
  std::string next(req.arg("next").value_or("/webhooks"));
  if (req.method == "POST") {
    const Form form = parse_form(req.body);
    next = form_field(form, "next");
    std::string why;
    if (!ConsoleAuth::same_origin(req, own_hosts(settings), why)) {
      error = "Refused: " + why;
    } else {
      int64_t retry_after_s = 0;
      if (const auto s = auth_.login(req, form_field(form, "token"), rt->console_token(), settings, retry_after_s)) {
        HttpResponse r = redirect(safe_next(next));
        r.headers.emplace_back("Set-Cookie", ConsoleAuth::cookie(*s, settings));
        return r;
      }
      if (retry_after_s > 0) {
        HttpResponse r = login_page(req, "Too many wrong tokens: wait " + std::to_string(retry_after_s) +
                                             " seconds before trying another one.", safe_next(next), 429);
        r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
        return r;
      }
      error = "Wrong token.";
    }
  }
  return login_page(req, error, safe_next(next), req.method == "POST" ? 403 : 200);
}

HttpResponse Console::logout(const HttpRequest &req, const std::optional<Session> &session) {
  std::string why;
  if (!ConsoleAuth::same_origin(req, own_hosts(admin_.runtime.get()->config().console), why))
    return message_page(session ? std::optional(session->csrf) : std::nullopt, req, 403, "Refused", why, "/webhooks");
  auth_.logout(req);
  HttpResponse r = redirect("/login");
  r.headers.emplace_back("Set-Cookie", ConsoleAuth::clear_cookie(admin_.runtime.get()->config().console));
  return r;
}

HttpResponse Console::signed_in(const HttpRequest &req, const Session &session) {
  Form form;
  if (req.method == "POST") {
    form = parse_form(req.body);
    std::string why;
    const ConsoleSettings &settings = admin_.runtime.get()->config().console;
    if (!ConsoleAuth::csrf_ok(req, own_hosts(settings), session, form_field(form, "csrf"), why)) {
      log::warn("console: refused a form",
                {{"sender", ConsoleAuth::client_address(req, settings.trusted_proxies)}, {"reason", why}});
      return message_page(session.csrf, req, 403, "Refused", why, "/webhooks");
    }
  }
  return handle_console_page(admin_, req, session.csrf, form,
                             ConsoleAuth::who_of_session(req, session,
                                                         admin_.runtime.get()->config().console.trusted_proxies));
}

} // namespace rdwh::gateway
