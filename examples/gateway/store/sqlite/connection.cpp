#include "store/sqlite/connection.hpp"

#include "store/schema.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <string_view>

namespace rdwh::gateway::sql {

namespace {

class SqliteRow final : public Row {
public:
  explicit SqliteRow(sqlite3_stmt *s) : s_(s) {}
  int64_t i64(int col) const override { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const override {
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }

private:
  sqlite3_stmt *s_;
};

// Resets the statement (and its bindings) on scope exit, so it is ready for the next call and
// holds no read snapshot open.
struct ResetOnExit {
  sqlite3_stmt *s;
  ~ResetOnExit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

// The key a unique violation broke, as the schema names it. SQLite reports the key's columns in
// its message for these codes, in one format: "UNIQUE constraint failed: webhooks.project,
// webhooks.name". Columns the schema names no key for are returned as reported.
std::string violated_key(std::string_view message) {
  constexpr std::string_view kFailed = "constraint failed: ";
  const size_t at = message.find(kFailed);
  if (at == std::string_view::npos) return std::string(message);
  const std::string_view reported = message.substr(at + kFailed.size());
  std::string_view table, rest = reported;
  std::vector<std::string_view> columns;
  while (!rest.empty()) {
    const size_t comma = rest.find(", ");
    const std::string_view item = rest.substr(0, comma);
    const size_t dot = item.find('.');
    if (dot == std::string_view::npos || (!table.empty() && item.substr(0, dot) != table)) return std::string(reported);
    table = item.substr(0, dot);
    columns.push_back(item.substr(dot + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  const std::string_view name = schema::unique_key_named(table, columns);
  return std::string(name.empty() ? reported : name);
}

// What the last failure on `db` was, by its extended result code.
Error error_of(std::string what, sqlite3 *db) {
  if (!db) return Error(what + ": out of memory");
  const char *message = sqlite3_errmsg(db);
  const int code = sqlite3_extended_errcode(db);
  what += std::string(": ") + message;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    return Error(what, Error::Kind::unique_violation, violated_key(message));
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) return Error(what, Error::Kind::busy);
  return Error(what);
}

} // namespace

SqliteConnection::SqliteConnection(const std::string &path, int busy_timeout_ms, bool create) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(path + ": cannot open: " + why);
  }
  set_busy_timeout(busy_timeout_ms);
}

void SqliteConnection::set_busy_timeout(int ms) {
  if (ms == busy_timeout_ms_) return;
  sqlite3_busy_timeout(db_, ms);
  busy_timeout_ms_ = ms;
}

SqliteConnection::~SqliteConnection() {
  for (auto &[sql, p] : statements_) sqlite3_finalize(p.stmt);
  sqlite3_close(db_);
}

void SqliteConnection::fail(const std::string &what) const { throw error_of(what, db_); }

const SqliteConnection::Prepared &SqliteConnection::prepared(const char *sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) fail("prepare");
  // $n are named parameters: their bind indexes are looked up once, here.
  Prepared p{s, {}};
  for (int i = 1; i <= sqlite3_bind_parameter_count(s); ++i) {
    const char *name = sqlite3_bind_parameter_name(s, i);
    if (!name || name[0] != '$') continue;
    const size_t n = std::strtoul(name + 1, nullptr, 10);
    if (n == 0) continue;
    if (p.index.size() < n) p.index.resize(n, 0);
    p.index[n - 1] = i;
  }
  return statements_.emplace(sql, std::move(p)).first->second;
}

int64_t SqliteConnection::exec_span(const char *sql, std::span<const Param> params, const RowFn &on_row) {
  const Prepared &prepared_stmt = prepared(sql);
  sqlite3_stmt *s = prepared_stmt.stmt;
  ResetOnExit reset{s};
  for (size_t n = 0; n < params.size() && n < prepared_stmt.index.size(); ++n) {
    const int index = prepared_stmt.index[n];
    if (index == 0) continue; // the statement does not use this parameter
    const Param &p = params[n];
    int rc;
    if (const auto *i = std::get_if<int64_t>(&p)) rc = sqlite3_bind_int64(s, index, *i);
    else {
      const std::string_view v = std::get<std::string_view>(p);
      rc = sqlite3_bind_text64(s, index, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) fail("bind");
  }
  const SqliteRow row(s);
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      if (on_row) on_row(row);
      continue;
    }
    if (rc == SQLITE_DONE) break;
    fail("step");
  }
  return sqlite3_changes64(db_);
}

void SqliteConnection::script(const char *sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("exec");
}

void SqliteConnection::begin() { script("BEGIN IMMEDIATE"); }

std::string SqliteConnection::scalar(const char *sql) {
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) fail("prepare");
  std::string out;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) out = SqliteRow(s).text(0);
  while (rc == SQLITE_ROW) rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) fail("step");
  return out;
}

} // namespace rdwh::gateway::sql
