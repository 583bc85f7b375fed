// The PostgreSQL driver of sql::Connection (libpq): one connection and its prepared statements,
// reconnecting after the connection is lost (the server restarted, a network cut). Not
// thread-safe: the owner serialises calls.
#pragma once

#include "store/sql.hpp"

#include <string>
#include <unordered_map>

struct pg_conn;
struct pg_result;

namespace rdwh::gateway::sql {

class PgConnection final : public Connection {
public:
  // Connects with a libpq connection string. Throws Error (the message never holds the string,
  // which may carry a password).
  explicit PgConnection(std::string conninfo);
  ~PgConnection() override;
  PgConnection(const PgConnection &) = delete;
  PgConnection &operator=(const PgConnection &) = delete;

  int64_t exec_span(const char *sql, std::span<const Param> params, const RowFn &on_row) override;
  // In one round trip: libpq's pipeline mode sends every statement, then reads every answer.
  std::vector<int64_t> exec_all(const std::vector<Statement> &statements) override;
  void script(const char *sql) override;
  void begin() override { script("BEGIN"); }

  // For LISTEN: the socket to wait on (-1 when disconnected), and whether a notification arrived
  // (reads what is pending without blocking). Reconnects (and LISTENs again) when the connection
  // was lost; throws Error when that fails.
  int socket();
  bool take_notifications();
  void listen(const char *channel);

  // "host:port/dbname" for logs (no user, no password).
  std::string describe() const;
  // Statements that succeeded on this object so far (tells whether a failed unit of work had
  // reached the server before the connection was lost).
  uint64_t completed() const { return completed_; }

private:
  void ensure_connected();
  // Throws the Error of a failed call: its kind from `r`'s SQLSTATE (nullptr: none to read), or
  // connection_lost when the connection is gone.
  [[noreturn]] void fail(const char *what, const pg_result *r = nullptr);
  // The name `sql` is prepared under on this session (prepared now with `types` when new).
  const std::string &prepared(const char *sql, const std::vector<unsigned int> &types);

  std::string conninfo_;
  pg_conn *conn_ = nullptr;
  std::unordered_map<const char *, std::string> statements_; // sql -> prepared statement name
  std::string listening_;
  uint64_t completed_ = 0;                                     // channel to LISTEN on again after a reconnect
};

} // namespace rdwh::gateway::sql
