// The HTTP server: libmicrohttpd with an internal thread pool. It only does HTTP: reads requests
// (bounded body), hands each complete one to a handler function, sends the answer, and stops
// gracefully. Routing and meaning live in the handler (intake/listener.cpp).
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

struct MHD_Daemon;
struct MHD_Connection;

namespace rdwh::gateway {

struct HttpRequest {
  std::string method;
  std::string path; // percent-decoded, without the query string
  std::vector<std::pair<std::string, std::string>> headers; // in arrival order
  std::vector<std::pair<std::string, std::string>> query;   // the query string's arguments, decoded
  std::vector<std::pair<std::string, std::string>> cookies;
  std::string body;
  bool body_too_large = false; // the body went over the limit: `body` is then empty
  std::string sender;          // the peer's IP address
  int64_t received_unix_ms = 0;

  // The first header named `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // The first query argument / cookie named `name` (case-sensitive).
  std::optional<std::string_view> arg(std::string_view name) const;
  std::optional<std::string_view> cookie(std::string_view name) const;
};

// The fields of an application/x-www-form-urlencoded body, decoded, in order (repeated names kept).
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

// HTTP header names compare case-insensitively (ASCII).
bool header_name_equals(std::string_view a, std::string_view b);

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int s, std::string type, std::string text) : status(s), content_type(std::move(type)), body(std::move(text)) {}
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; // more headers (Location, Set-Cookie...)
};

class HttpServer {
public:
  using Handler = std::function<HttpResponse(const HttpRequest &)>;

  // Listens and serves. Throws std::runtime_error when the daemon cannot start.
  HttpServer(const HttpSettings &settings, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  uint16_t port() const { return port_; }
  void set_max_body(size_t bytes) { max_body_.store(bytes); }

  // Stops accepting connections, waits up to `grace` for the requests in flight to be answered,
  // then closes every connection. Idempotent.
  void stop(std::chrono::milliseconds grace);

  // Connections cut off for sending their headers or body too slowly.
  uint64_t slow_clients_cut() const { return slow_cut_.load(); }

private:
  struct Pending;
  friend struct MhdCallbacks; // the libmicrohttpd callbacks (http/server.cpp)
  HttpResponse dispatch(const HttpRequest &req) const;
  // Deadlines of the connections still receiving a request (header or body phase).
  void set_deadline(MHD_Connection *c, int64_t deadline_ms);
  void watch_deadlines();

  Handler handler_;
  std::atomic<size_t> max_body_;
  MHD_Daemon *daemon_ = nullptr;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;

  // Slow clients: libmicrohttpd's timeout is an idle timeout, which a client sending a byte every
  // few seconds never reaches. The watchdog shuts down (never closes: the socket stays
  // libmicrohttpd's) a connection whose request is late; libmicrohttpd then closes it.
  const int64_t header_timeout_ms_, body_timeout_ms_;
  struct Deadline {
    int fd;
    int64_t at_ms;
  };
  std::mutex deadlines_mu_;
  std::unordered_map<MHD_Connection *, Deadline> deadlines_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::thread watchdog_;
  std::atomic<uint64_t> slow_cut_{0};
};

} // namespace rdwh::gateway
