// The deliveries table (see store/delivery_store.hpp), over SqlOutbox's connections. Every statement
// runs unchanged on SQLite and PostgreSQL.
#include "store/sql_outbox.hpp"

#include "store/schema.hpp"

namespace rdwh::gateway {

namespace {

#define RDWH_DELIVERY_SUMMARY                                                                                  \
  "id, received_ms, webhook_id, webhook_name, project, webhook_key, delivery_id, sender, body_bytes, "        \
  "body_truncated, status, verdict, outcome, error, job_count, replay_of"
#define RDWH_DELIVERY_DETAIL "headers_json, body, body_base64, evaluation, jobs_json"

const char *const kInsert =
    "INSERT INTO deliveries (received_ms, webhook_id, webhook_name, project, webhook_key, delivery_id, sender, "
    "headers_json, body, body_base64, body_bytes, body_truncated, status, verdict, outcome, error, job_count, "
    "evaluation, jobs_json, replay_of, stored_bytes) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) "
    "RETURNING id";

// One filter for both listings: $1 webhook id (-1 any), $2 project, $3 outcome, $4 ran nothing
// (1/0), $5 before id (0 none), $6 since ms, $7 limit.
#define RDWH_DELIVERY_WHERE                                                                                    \
  " FROM deliveries WHERE ($1 < 0 OR webhook_id = $1) AND ($2 = '' OR project = $2) AND ($3 = '' OR outcome = $3) " \
  "AND ($4 = 0 OR outcome IN ('nothing', 'skipped', 'refused', 'failed')) AND ($5 = 0 OR id < $5) "            \
  "AND received_ms >= $6 ORDER BY id DESC LIMIT $7"

const char *const kList = "SELECT " RDWH_DELIVERY_SUMMARY RDWH_DELIVERY_WHERE;
const char *const kListFull = "SELECT " RDWH_DELIVERY_SUMMARY ", " RDWH_DELIVERY_DETAIL RDWH_DELIVERY_WHERE;
const char *const kGet = "SELECT " RDWH_DELIVERY_SUMMARY ", " RDWH_DELIVERY_DETAIL " FROM deliveries WHERE id = $1";
// Both delete the oldest rows in bounded steps, so neither holds the database long.
const char *const kPurge =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE received_ms < $1 ORDER BY id LIMIT $2)";
const char *const kTotal = "SELECT COALESCE(SUM(stored_bytes), 0) FROM deliveries";
const char *const kOldest = "SELECT id, stored_bytes FROM deliveries ORDER BY id LIMIT $1";
const char *const kDeleteThrough = "DELETE FROM deliveries WHERE id <= $1";

DeliveryRecord read_summary(const sql::Row &r) {
  DeliveryRecord d;
  int c = 0;
  d.id = r.i64(c++);
  d.received_ms = r.i64(c++);
  d.webhook_id = r.i64(c++);
  d.webhook_name = r.text(c++);
  d.project = r.text(c++);
  d.webhook_key = r.text(c++);
  d.delivery_id = r.text(c++);
  d.sender = r.text(c++);
  d.body_bytes = r.i64(c++);
  d.body_truncated = r.i64(c++) != 0;
  d.status = r.i64(c++);
  d.verdict = r.text(c++);
  d.outcome = r.text(c++);
  d.error = r.text(c++);
  d.job_count = r.i64(c++);
  d.replay_of = r.i64(c++);
  return d;
}

constexpr int kDetailColumn = 16; // the first column after the summary

DeliveryRecord read_full(const sql::Row &r) {
  DeliveryRecord d = read_summary(r);
  int c = kDetailColumn;
  d.headers_json = r.text(c++);
  d.body = r.text(c++);
  d.body_base64 = r.i64(c++) != 0;
  d.evaluation = r.text(c++);
  d.jobs_json = r.text(c++);
  return d;
}

class SqlDeliveryStore final : public DeliveryStore {
public:
  explicit SqlDeliveryStore(SqlOutbox &db) : db_(db) {}

  std::vector<DeliveryRecord> list(const DeliveryFilter &f) override { return query(kList, f, &read_summary); }
  std::vector<DeliveryRecord> list_full(const DeliveryFilter &f) override { return query(kListFull, f, &read_full); }

  std::optional<DeliveryRecord> get(int64_t id) override {
    std::optional<DeliveryRecord> out;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries", [&](sql::Connection &c) {
      out.reset();
      c.exec(kGet, {id}, [&](const sql::Row &r) { out = read_full(r); });
    });
    return out;
  }

  int64_t purge(int64_t before_ms, int64_t max_rows) override {
    int64_t n = 0;
    db_.with(SqlOutbox::Use::record, "cannot purge the deliveries",
             [&](sql::Connection &c) { n = c.exec(kPurge, {before_ms, max_rows}); });
    return n;
  }

  int64_t total_bytes() override {
    int64_t total = 0;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries' size",
             [&](sql::Connection &c) { c.exec(kTotal, {}, [&](const sql::Row &r) { total = r.i64(0); }); });
    return total;
  }

  int64_t evict_oldest(int64_t bytes, int64_t max_rows) override {
    int64_t freed = 0;
    db_.with(SqlOutbox::Use::record, "cannot evict deliveries", [&](sql::Connection &c) {
      freed = 0;
      int64_t through = 0;
      c.exec(kOldest, {max_rows}, [&](const sql::Row &r) {
        if (freed >= bytes) return;
        through = r.i64(0);
        freed += r.i64(1);
      });
      if (through > 0) c.exec(kDeleteThrough, {through});
    });
    return freed;
  }

private:
  std::vector<DeliveryRecord> query(const char *sql, const DeliveryFilter &f, DeliveryRecord (*read)(const sql::Row &)) {
    std::vector<DeliveryRecord> out;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries", [&](sql::Connection &c) {
      out.clear();
      c.exec(sql,
             {f.webhook_id, f.project, f.outcome, int64_t{f.ran_nothing ? 1 : 0}, f.before_id, f.since_ms,
              static_cast<int64_t>(f.limit)},
             [&](const sql::Row &r) { out.push_back(read(r)); });
    });
    return out;
  }

  SqlOutbox &db_;
};

} // namespace

sql::Statement insert_delivery(DeliveryRecord &d) {
  return {kInsert,
          {d.received_ms, d.webhook_id, d.webhook_name, d.project, d.webhook_key, d.delivery_id, d.sender,
           d.headers_json, d.body, int64_t{d.body_base64 ? 1 : 0}, d.body_bytes, int64_t{d.body_truncated ? 1 : 0},
           d.status, d.verdict, d.outcome, d.error, d.job_count, d.evaluation, d.jobs_json, d.replay_of,
           stored_bytes(d)},
          [&d](const sql::Row &r) { d.id = r.i64(0); }};
}

int64_t stored_bytes(const DeliveryRecord &d) {
  return schema::kDeliveryRowOverhead +
         static_cast<int64_t>(d.headers_json.size() + d.body.size() + d.evaluation.size() + d.jobs_json.size() +
                              d.error.size());
}

std::unique_ptr<DeliveryStore> make_delivery_store(SqlOutbox &db) { return std::make_unique<SqlDeliveryStore>(db); }

} // namespace rdwh::gateway
