#include "pg_db.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace rdwh::gateway::sql {

namespace {

constexpr Oid kInt8Oid = 20, kTextOid = 25; // pg_type.h

struct ResultDeleter {
  void operator()(PGresult *r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PgRow final : public Row {
public:
  PgRow(const PGresult *r, int row) : r_(r), row_(row) {}
  int64_t i64(int col) const override {
    return PQgetisnull(r_, row_, col) ? 0 : std::strtoll(PQgetvalue(r_, row_, col), nullptr, 10);
  }
  std::string text(int col) const override {
    return PQgetisnull(r_, row_, col)
               ? std::string()
               : std::string(PQgetvalue(r_, row_, col), static_cast<size_t>(PQgetlength(r_, row_, col)));
  }

private:
  const PGresult *r_;
  int row_;
};

// libpq's messages end with a newline.
std::string message(const pg_conn *c) {
  std::string m = c ? PQerrorMessage(c) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

} // namespace

PgConnection::PgConnection(std::string conninfo) : conninfo_(std::move(conninfo)) { ensure_connected(); }

PgConnection::~PgConnection() { PQfinish(conn_); }

std::string PgConnection::describe() const {
  if (!conn_) return "postgresql";
  const char *host = PQhost(conn_), *port = PQport(conn_), *db = PQdb(conn_);
  return std::string("postgresql ") + (host ? host : "") + ":" + (port ? port : "") + "/" + (db ? db : "");
}

void PgConnection::ensure_connected() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return;
  if (!conn_) conn_ = PQconnectdb(conninfo_.c_str());
  else PQreset(conn_);
  statements_.clear(); // prepared statements died with the old session
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) throw Error("cannot connect to PostgreSQL: " + message(conn_), true);
  // Messages (NOTICEs) must not go to stderr unformatted: the gateway logs JSON lines only.
  PQsetNoticeProcessor(conn_, [](void *, const char *) {}, nullptr);
  if (!listening_.empty()) {
    const std::string sql = "LISTEN " + listening_;
    Result r(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("listen");
  }
}

void PgConnection::fail(const char *what) {
  const bool lost = !conn_ || PQstatus(conn_) != CONNECTION_OK;
  throw Error(std::string(what) + ": " + message(conn_), lost);
}

int64_t PgConnection::exec(const char *sql, std::initializer_list<Param> params, const RowFn &on_row) {
  ensure_connected();
  std::vector<std::string> text;
  std::vector<const char *> values;
  std::vector<Oid> types;
  text.reserve(params.size());
  for (const Param &p : params) {
    if (const auto *i = std::get_if<int64_t>(&p)) {
      text.push_back(std::to_string(*i));
      types.push_back(kInt8Oid);
    } else {
      text.emplace_back(std::get<std::string_view>(p));
      types.push_back(kTextOid);
    }
  }
  for (const std::string &t : text) values.push_back(t.c_str());

  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    const std::string name = "s" + std::to_string(statements_.size());
    Result r(PQprepare(conn_, name.c_str(), sql, static_cast<int>(types.size()), types.data()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("prepare");
    it = statements_.emplace(sql, name).first;
  }
  Result r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                          nullptr, 0));
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("statement");
  ++completed_;
  if (on_row)
    for (int row = 0; row < PQntuples(r.get()); ++row) on_row(PgRow(r.get(), row));
  const char *changed = PQcmdTuples(r.get());
  return changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
}

void PgConnection::script(const char *sql) {
  ensure_connected();
  Result r(PQexec(conn_, sql));
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("statement");
  ++completed_;
}

void PgConnection::listen(const char *channel) {
  listening_ = channel;
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
    const std::string sql = "LISTEN " + listening_;
    script(sql.c_str());
  } else {
    ensure_connected();
  }
}

int PgConnection::socket() {
  ensure_connected();
  return PQsocket(conn_);
}

bool PgConnection::take_notifications() {
  ensure_connected();
  if (!PQconsumeInput(conn_)) fail("listen");
  bool any = false;
  while (PGnotify *n = PQnotifies(conn_)) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

} // namespace rdwh::gateway::sql
