#include "http/server.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace rdwh::gateway {

namespace {

// A body declared this far over the limit is refused before it is read (MHD then closes the
// connection). Anything smaller is read and discarded, so the client gets its 413 rather than a
// connection reset from unread data.
size_t hard_cap(size_t limit) { return std::max(limit * 4, limit + 1024 * 1024); }

MHD_Result collect_value(void *cls, MHD_ValueKind, const char *key, size_t key_size, const char *value,
                         size_t value_size) {
  auto *headers = static_cast<std::vector<std::pair<std::string, std::string>> *>(cls);
  headers->emplace_back(std::string(key, key_size), value ? std::string(value, value_size) : std::string());
  return MHD_YES;
}

std::string peer_address(MHD_Connection *c) {
  const MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  const sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

MHD_Result send_response(MHD_Connection *c, const HttpResponse &r) {
  MHD_Response *resp =
      MHD_create_response_from_buffer(r.body.size(), const_cast<char *>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  if (!r.content_type.empty()) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  for (const auto &[name, value] : r.headers) MHD_add_response_header(resp, name.c_str(), value.c_str());
  const MHD_Result ret = MHD_queue_response(c, static_cast<unsigned int>(r.status), resp);
  MHD_destroy_response(resp);
  return ret;
}

void mhd_logger(void *, const char *fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string text(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  log::warn("http server", {{"detail", text}});
}

} // namespace

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  auto decode = [](std::string_view s) {
    std::string text(s);
    for (char &ch : text)
      if (ch == '+') ch = ' ';
    text.resize(MHD_http_unescape(text.data())); // %xx; text is NUL-terminated (std::string)
    return text;
  };
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view field = body.substr(start, end - start);
    if (!field.empty()) {
      const size_t eq = field.find('=');
      out.emplace_back(decode(field.substr(0, eq)), eq == std::string_view::npos ? "" : decode(field.substr(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

bool header_name_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto &[n, v] : headers)
    if (header_name_equals(n, name)) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::arg(std::string_view name) const {
  for (const auto &[n, v] : query)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::cookie(std::string_view name) const {
  for (const auto &[n, v] : cookies)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

struct HttpServer::Pending {
  HttpRequest req;
  size_t limit = 0;
};

struct MhdCallbacks {
  static void on_connection(void *cls, MHD_Connection *c, void **socket_context, MHD_ConnectionNotificationCode code);
  static MHD_Result on_access(void *cls, MHD_Connection *c, const char *url, const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size, void **req_cls);
  static void on_completed(void *cls, MHD_Connection *c, void **req_cls, MHD_RequestTerminationCode reason);
};

HttpServer::HttpServer(const HttpSettings &s, Handler handler)
    : handler_(std::move(handler)), max_body_(s.max_body_bytes), header_timeout_ms_(s.header_timeout_s * 1000LL),
      body_timeout_ms_(s.body_timeout_s * 1000LL) {
  sockaddr_storage addr{};
  unsigned int flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (s.listen.ipv6) {
    auto *a6 = reinterpret_cast<sockaddr_in6 *>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(s.listen.port);
    inet_pton(AF_INET6, s.listen.host.c_str(), &a6->sin6_addr);
    flags |= MHD_USE_IPv6;
  } else {
    auto *a4 = reinterpret_cast<sockaddr_in *>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(s.listen.port);
    inet_pton(AF_INET, s.listen.host.c_str(), &a4->sin_addr);
  }
  daemon_ = MHD_start_daemon(flags, s.listen.port, nullptr, nullptr, &MhdCallbacks::on_access, this,
                             MHD_OPTION_EXTERNAL_LOGGER, &mhd_logger, nullptr, // first, so it sees everything
                             MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr *>(&addr),
                             MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned int>(s.threads),
                             MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned int>(s.connection_timeout_s),
                             MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned int>(s.max_connections),
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<unsigned int>(s.max_connections_per_ip),
                             MHD_OPTION_NOTIFY_CONNECTION, &MhdCallbacks::on_connection, this,
                             MHD_OPTION_NOTIFY_COMPLETED, &MhdCallbacks::on_completed, this,
                             MHD_OPTION_END);
  if (!daemon_) throw std::runtime_error("cannot listen on " + s.listen.host + ":" + std::to_string(s.listen.port));
  const MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : s.listen.port;
  watchdog_ = std::thread([this] { watch_deadlines(); });
}

void HttpServer::set_deadline(MHD_Connection *c, int64_t deadline_ms) {
  std::lock_guard lock(deadlines_mu_);
  auto it = deadlines_.find(c);
  if (it != deadlines_.end()) it->second.at_ms = deadline_ms;
}

void HttpServer::watch_deadlines() {
  std::unique_lock lock(deadlines_mu_);
  while (!watchdog_stop_) {
    watchdog_cv_.wait_for(lock, std::chrono::milliseconds(250));
    const int64_t now = now_ms();
    uint64_t cut = 0;
    for (auto &[conn, d] : deadlines_)
      if (d.at_ms <= now) {
        // Under deadlines_mu_: the connection's CLOSED notification (which precedes the close of
        // its socket) waits for us, so the descriptor is still this connection's.
        ::shutdown(d.fd, SHUT_RDWR);
        d.at_ms = INT64_MAX;
        ++cut;
      }
    if (cut) {
      slow_cut_ += cut;
      log::debug("cut off connections that sent their request too slowly", {{"connections", cut}});
    }
  }
}

void MhdCallbacks::on_connection(void *cls, MHD_Connection *c, void **, MHD_ConnectionNotificationCode code) {
  auto *self = static_cast<HttpServer *>(cls);
  std::lock_guard lock(self->deadlines_mu_);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) self->deadlines_[c] = {ci->connect_fd, now_ms() + self->header_timeout_ms_};
  } else {
    self->deadlines_.erase(c);
  }
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

HttpResponse HttpServer::dispatch(const HttpRequest &req) const {
  try {
    return handler_(req);
  } catch (const std::exception &e) {
    log::error("request failed", {{"method", req.method}, {"error", e.what()}});
  } catch (...) {
    log::error("request failed", {{"method", req.method}});
  }
  // 500 makes PagerDuty retry later.
  return {500, "application/json", R"({"err":"Internal error"})"};
}

MHD_Result MhdCallbacks::on_access(void *cls, MHD_Connection *c, const char *url, const char *method, const char *,
                                     const char *upload_data, size_t *upload_data_size, void **req_cls) {
  auto *self = static_cast<HttpServer *>(cls);
  auto *p = static_cast<HttpServer::Pending *>(*req_cls);
  if (!p) {
    // First call: headers are complete, no body read yet.
    p = new HttpServer::Pending();
    *req_cls = p;
    {
      std::lock_guard lock(self->mu_);
      ++self->in_flight_;
    }
    p->limit = self->max_body_.load();
    p->req.method = method;
    p->req.path = url;
    p->req.sender = peer_address(c);
    p->req.received_unix_ms = now_ms();
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, &collect_value, &p->req.headers);
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, &collect_value, &p->req.query);
    MHD_get_connection_values_n(c, MHD_COOKIE_KIND, &collect_value, &p->req.cookies);
    self->set_deadline(c, p->req.received_unix_ms + self->body_timeout_ms_);
    if (auto cl = p->req.header(MHD_HTTP_HEADER_CONTENT_LENGTH)) {
      const unsigned long long declared = std::strtoull(std::string(*cl).c_str(), nullptr, 10);
      if (declared > p->limit) p->req.body_too_large = true;
      if (declared > hard_cap(p->limit)) return send_response(c, self->dispatch(p->req));
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    // A chunk of body. Over the limit: keep reading, keep nothing.
    if (!p->req.body_too_large && p->req.body.size() + *upload_data_size > p->limit) {
      p->req.body_too_large = true;
      std::string().swap(p->req.body);
    }
    if (!p->req.body_too_large) p->req.body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  self->set_deadline(c, INT64_MAX); // complete: the time from here on is ours (the outbox commit)
  return send_response(c, self->dispatch(p->req));
}

void MhdCallbacks::on_completed(void *cls, MHD_Connection *c, void **req_cls, MHD_RequestTerminationCode) {
  auto *self = static_cast<HttpServer *>(cls);
  auto *p = static_cast<HttpServer::Pending *>(*req_cls);
  if (!p) return;
  self->set_deadline(c, now_ms() + self->header_timeout_ms_); // a kept-alive connection's next request
  delete p;
  *req_cls = nullptr;
  std::lock_guard lock(self->mu_);
  if (--self->in_flight_ == 0) self->idle_.notify_all();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (watchdog_.joinable()) {
    {
      std::lock_guard lock(deadlines_mu_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    watchdog_.join();
  }
  if (!daemon_) return;
  const MHD_socket listener = MHD_quiesce_daemon(daemon_);
  {
    std::unique_lock lock(mu_);
    idle_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
    if (in_flight_ > 0) log::warn("stopping with requests still in flight", {{"requests", in_flight_}});
  }
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  if (listener != MHD_INVALID_SOCKET) close(listener); // ours to close, only after MHD_stop_daemon
}

} // namespace rdwh::gateway
