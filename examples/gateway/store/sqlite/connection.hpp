// The SQLite driver of sql::Connection: one sqlite3 connection and its prepared statements.
// Not thread-safe: the owner serialises calls (SqliteOutbox holds a mutex per connection).
#pragma once

#include "store/sql.hpp"

#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace rdwh::gateway::sql {

class SqliteConnection final : public Connection {
public:
  // Opens (creating when `create`) the file. A statement waits up to busy_timeout_ms for a lock
  // another connection holds, then fails. Throws Error.
  SqliteConnection(const std::string &path, int busy_timeout_ms, bool create);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection &) = delete;
  SqliteConnection &operator=(const SqliteConnection &) = delete;

  int64_t exec_span(const char *sql, std::span<const Param> params, const RowFn &on_row) override;
  void script(const char *sql) override;
  void begin() override; // BEGIN IMMEDIATE: the write lock is taken (or waited for) up front

  // The first column of the first row of `sql` as text ("" when there is none).
  std::string scalar(const char *sql);
  sqlite3 *handle() const { return db_; }
  void set_busy_timeout(int ms);

private:
  // Throws the Error of the last failure: its kind from SQLite's extended result code.
  [[noreturn]] void fail(const std::string &what) const;
  struct Prepared {
    sqlite3_stmt *stmt;
    std::vector<int> index; // index[n - 1]: the bind index of $n (0: the statement does not use it)
  };
  const Prepared &prepared(const char *sql);

  sqlite3 *db_ = nullptr;
  int busy_timeout_ms_ = -1;
  std::unordered_map<const char *, Prepared> statements_;
};

} // namespace rdwh::gateway::sql
