#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cstdlib>

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

void SqliteConnection::fail(const std::string &what) const {
  throw Error(what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

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
