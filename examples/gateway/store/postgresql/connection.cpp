#include "store/postgresql/connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <string_view>
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

// What a failed statement was, by its SQLSTATE: the session ended (class 08, connection
// exception; 57P01-57P03, the server shutting down or starting), a unique key, a lock held
// elsewhere (lock_not_available, deadlock_detected, serialization_failure), or something else.
Error::Kind kind_of(const PGresult *r) {
  const char *field = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = field ? field : "";
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03")
    return Error::Kind::connection_lost;
  if (state == "23505") return Error::Kind::unique_violation;
  if (state == "55P03" || state == "40P01" || state == "40001") return Error::Kind::busy;
  return Error::Kind::other;
}

// The error of failed result `r` (nullptr: none to read), with `message`. A connection found
// gone is lost whatever the result says.
Error error_of(std::string message, const PGresult *r, bool gone) {
  const Error::Kind kind = gone ? Error::Kind::connection_lost : kind_of(r);
  const char *key = kind == Error::Kind::unique_violation ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  return Error(std::move(message), kind, key ? key : "");
}

// Why a statement of a batch failed (one after a failure is skipped, without a message).
std::string batch_message(const PGresult *r) {
  const char *m = PQresultErrorMessage(r);
  std::string error = m && *m ? m : "not run: an earlier statement of the batch failed";
  while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  return error;
}

// A statement's parameters as libpq takes them: text values, and their types (int8 or text) for
// the statement's preparation.
struct Bound {
  std::vector<std::string> text;
  std::vector<const char *> values;
  std::vector<Oid> types;
  explicit Bound(std::span<const Param> params) {
    text.reserve(params.size());
    types.reserve(params.size());
    for (const Param &p : params) {
      if (const auto *i = std::get_if<int64_t>(&p)) {
        text.push_back(std::to_string(*i));
        types.push_back(kInt8Oid);
      } else {
        text.emplace_back(std::get<std::string_view>(p));
        types.push_back(kTextOid);
      }
    }
    values.reserve(text.size());
    for (const std::string &t : text) values.push_back(t.c_str());
  }
  // A move hands text's buffer over whole, so the strings (and the values pointing into them) stay put.
  Bound(Bound &&) noexcept = default;
  Bound(const Bound &) = delete;
  int count() const { return static_cast<int>(values.size()); }
};

// Calls on_row for each row of `r`; returns the rows the statement changed.
int64_t take_rows(const PGresult *r, const RowFn &on_row) {
  if (on_row)
    for (int row = 0; row < PQntuples(r); ++row) on_row(PgRow(r, row));
  const char *changed = PQcmdTuples(const_cast<PGresult *>(r));
  return changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
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
  // A connection left in pipeline mode (a batch broken off midway) is not reused either.
  if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return;
  if (!conn_) conn_ = PQconnectdb(conninfo_.c_str());
  else PQreset(conn_);
  statements_.clear(); // prepared statements died with the old session
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK)
    throw Error("cannot connect to PostgreSQL: " + message(conn_), Error::Kind::connection_lost);
  // Messages (NOTICEs) must not go to stderr unformatted: the gateway logs JSON lines only.
  PQsetNoticeProcessor(conn_, [](void *, const char *) {}, nullptr);
  if (!listening_.empty()) {
    const std::string sql = "LISTEN " + listening_;
    Result r(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("listen", r.get());
  }
}

void PgConnection::fail(const char *what, const PGresult *r) {
  const bool gone = !conn_ || PQstatus(conn_) != CONNECTION_OK;
  throw error_of(std::string(what) + ": " + message(conn_), r, gone);
}

const std::string &PgConnection::prepared(const char *sql, const std::vector<Oid> &types) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    const std::string name = "s" + std::to_string(statements_.size());
    Result r(PQprepare(conn_, name.c_str(), sql, static_cast<int>(types.size()), types.data()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("prepare", r.get());
    it = statements_.emplace(sql, name).first;
  }
  return it->second;
}

int64_t PgConnection::exec_span(const char *sql, std::span<const Param> params, const RowFn &on_row) {
  ensure_connected();
  const Bound b(params);
  const std::string &name = prepared(sql, b.types);
  Result r(PQexecPrepared(conn_, name.c_str(), b.count(), b.values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("statement", r.get());
  ++completed_;
  return take_rows(r.get(), on_row);
}

std::vector<int64_t> PgConnection::exec_all(const std::vector<Statement> &statements) {
  ensure_connected();
  std::vector<Bound> bound;
  bound.reserve(statements.size());
  std::vector<const std::string *> names;
  names.reserve(statements.size());
  for (const Statement &st : statements) { // prepared before the pipeline starts (PQprepare waits for its answer)
    bound.emplace_back(st.params);
    names.push_back(&prepared(st.sql, bound.back().types));
  }
  if (PQenterPipelineMode(conn_) != 1) fail("pipeline");
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i)
    sent = PQsendQueryPrepared(conn_, names[i]->c_str(), bound[i].count(), bound[i].values.data(), nullptr, nullptr,
                               0) == 1;
  if (!sent || PQpipelineSync(conn_) != 1)
    throw Error("statement: " + message(conn_), Error::Kind::connection_lost); // broken: ensure_connected() resets it
  // Every statement's answer is read (the server skips those after a failure, up to the sync),
  // so the connection leaves pipeline mode clean whatever happened.
  std::vector<int64_t> changed;
  changed.reserve(statements.size());
  Result failed; // the first statement that did not succeed
  bool lost = false;
  for (const Statement &st : statements) {
    Result r(PQgetResult(conn_));
    if (!r) { // no answer at all: the connection is gone
      lost = true;
      break;
    }
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      ++completed_;
      changed.push_back(take_rows(r.get(), st.on_row));
    } else if (!failed) {
      failed = std::move(r);
    }
    while (PGresult *end = PQgetResult(conn_)) PQclear(end); // the statement's terminating NULL
  }
  if (!lost) {
    Result sync(PQgetResult(conn_));
    lost = !sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC;
  }
  if (lost || PQexitPipelineMode(conn_) != 1)
    throw Error("statement: " + message(conn_), Error::Kind::connection_lost);
  if (failed) throw error_of("statement: " + batch_message(failed.get()), failed.get(), false);
  return changed;
}

void PgConnection::script(const char *sql) {
  ensure_connected();
  Result r(PQexec(conn_, sql));
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail("statement", r.get());
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
