// A small SQL interface over the two databases the outbox runs on (SQLite, PostgreSQL), so the
// outbox's logic and statements are written once. Statements use PostgreSQL's `$1..$n`
// placeholders; the SQLite driver binds them by name. Every statement is prepared once per
// connection and kept (keyed by the address of its text, which must therefore outlive the
// connection: string literals or strings owned by the outbox).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rdwh::gateway::sql {

// A failed statement or connection, with what the database said it was: read from SQLSTATE
// (PostgreSQL) or the extended result code (SQLite), never from the message's words.
class Error : public std::runtime_error {
public:
  enum class Kind {
    other,
    // The connection is gone (PostgreSQL restarted, network): the driver reconnects on the next call.
    connection_lost,
    // A unique key refused the row; constraint() names the key.
    unique_violation,
    // Another transaction holds a lock this statement needed (SQLite's busy timeout ran out; a
    // PostgreSQL lock, deadlock or serialization failure). Nothing retries it: the caller fails.
    busy,
  };
  explicit Error(const std::string &what, Kind kind = Kind::other, std::string constraint = {})
      : std::runtime_error(what), kind_(kind), constraint_(std::move(constraint)) {}
  Kind kind() const { return kind_; }
  bool connection_lost() const { return kind_ == Kind::connection_lost; }
  // unique_violation: the key's name as store/schema.hpp declares it (the same on both databases),
  // or what the database reported when the schema names no such key; else "".
  const std::string &constraint() const { return constraint_; }

private:
  Kind kind_;
  std::string constraint_;
};

// What the SQL must say differently on each database; a backend gives its one to the shared SQL
// (store/sql_outbox.hpp, store/schema.hpp). nullptr: the database needs nothing there.
struct Dialect {
  const char *id_column;  // a table's primary key: "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"
  const char *claim_lock; // appended to the claim's row selection: "FOR UPDATE SKIP LOCKED" or ""
  const char *notify;     // run inside a transaction that queued jobs (wakes the other gateways)
  // Run first in the transactions that store delivery records alone, so their commits do not wait
  // for the disk (nothing acknowledged depends on them).
  const char *relaxed;
  // The database's own clock, in epoch milliseconds: an expression (leases are set and compared on
  // it, so gateways sharing the database agree whatever their clocks say) and a query reading it.
  // nullptr: the database has no clock of its own (SQLite: the gateway's is used).
  const char *lease_clock;
  const char *clock_query;
};

using Param = std::variant<int64_t, std::string_view>;

// One result row; columns are 0-based. NULL reads as 0 or "".
class Row {
public:
  virtual ~Row() = default;
  virtual int64_t i64(int col) const = 0;
  virtual std::string text(int col) const = 0;
};

using RowFn = std::function<void(const Row &)>;

// One statement of a batch (Connection::exec_all). The params' views must outlive the call.
struct Statement {
  const char *sql;
  std::vector<Param> params;
  RowFn on_row = {};
};

class Connection {
public:
  virtual ~Connection() = default;
  // Runs one statement with `params` for $1..$n; calls on_row for each row. Returns the number
  // of rows the statement changed (INSERT/UPDATE/DELETE). Throws Error.
  int64_t exec(const char *sql, std::initializer_list<Param> params = {}, const RowFn &on_row = {}) {
    return exec_span(sql, std::span<const Param>(params.begin(), params.size()), on_row);
  }
  virtual int64_t exec_span(const char *sql, std::span<const Param> params, const RowFn &on_row) = 0;
  // Runs `statements` in order, as exec() each, and returns the rows each changed. A driver
  // whose server is across a connection sends them all before reading any answer (one round trip
  // for the batch). When one fails, those after it do not run and Error is thrown: use it inside
  // a transaction, which the failure then rolls back. Throws Error.
  virtual std::vector<int64_t> exec_all(const std::vector<Statement> &statements) {
    std::vector<int64_t> changed;
    changed.reserve(statements.size());
    for (const Statement &st : statements) changed.push_back(exec_span(st.sql, st.params, st.on_row));
    return changed;
  }
  // Runs one or more statements without parameters or rows (schema, PRAGMA). Throws Error.
  virtual void script(const char *sql) = 0;
  // Starts a transaction that holds the write lock from the start where the database has one.
  virtual void begin() = 0;
};

// A transaction, rolled back on scope exit unless committed.
class Transaction {
public:
  explicit Transaction(Connection &c) : c_(c) { c_.begin(); }
  ~Transaction() {
    if (!done_) try {
        c_.script("ROLLBACK");
      } catch (const Error &) {
        // The connection is gone or the transaction already ended: nothing to roll back.
      }
  }
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  void commit() {
    c_.script("COMMIT");
    done_ = true;
  }

private:
  Connection &c_;
  bool done_ = false;
};

} // namespace rdwh::gateway::sql
