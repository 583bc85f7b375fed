// The deliveries table (see store/delivery_store.hpp), over SqlOutbox's connections. Every statement
// runs unchanged on SQLite and PostgreSQL.
#include "store/sql_outbox.hpp"

#include "base/json.hpp"
#include "base/text.hpp"
#include "store/schema.hpp"

#include <algorithm>
#include <map>

namespace rdwh::gateway {

namespace {

#define RDWH_DELIVERY_SUMMARY                                                                                  \
  "id, received_ms, webhook_id, webhook_name, project, webhook_key, delivery_id, sender, body_bytes, "        \
  "body_truncated, status, verdict, outcome, error, job_count, replay_of, event_type, event_id, incident_id, "   \
  "incident_title, incident_number"
#define RDWH_DELIVERY_DETAIL "headers_json, body, body_base64, evaluation, jobs_json"

const char *const kInsert =
    "INSERT INTO deliveries (received_ms, webhook_id, webhook_name, project, webhook_key, delivery_id, sender, "
    "headers_json, body, body_base64, body_bytes, body_truncated, status, verdict, outcome, error, job_count, "
    "evaluation, jobs_json, replay_of, stored_bytes, signature_headers, event_type, event_id, incident_id, "
    "incident_title, incident_number) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, "
    "$23, $24, $25, $26, $27) "
    "RETURNING id";

// The state of a delivery's job `j` (linked by `l`), the one place that says it: waiting,
// retrying, running, done, refused (by Rundeck: HTTP 4xx), failed (refused without a 4xx: not
// sent), skipped; a job purged from the outbox was done (or skipped, for a skipped delivery).
#define RDWH_JOB_STATE                                                                                         \
  "(CASE WHEN j.id IS NULL THEN (CASE WHEN deliveries.outcome = 'skipped' THEN 'skipped' ELSE 'done' END) "   \
  "WHEN j.status = 'queued' AND (j.attempts > 0 OR j.uncertain <> 0) THEN 'retrying' "                        \
  "WHEN j.status = 'queued' THEN 'waiting' "                                                                  \
  "WHEN j.status = 'refused' AND j.http_status BETWEEN 400 AND 499 THEN 'refused' "                           \
  "WHEN j.status = 'refused' THEN 'failed' ELSE j.status END)"
#define RDWH_LINKED_JOBS                                                                                       \
  " FROM delivery_jobs l LEFT JOIN jobs j ON j.webhook_key = l.webhook_key AND j.delivery_key = l.delivery_key " \
  "AND j.rule_key = l.rule_key WHERE l.delivery_id = deliveries.id"

// One filter for both listings: $1 webhook id (-1 any), $2 project, $3 stored outcome, $4 ran
// nothing (1/0), $5 before id (0 none), $6 since ms, $7 limit, $8 a job state (done: all ran), $9
// an incident, event or delivery id ('' any: each of the three is looked up by its own index),
// $10 until ms (0 none), $11 one of its jobs' executions failed (1/0: the statuses are
// store/outbox.hpp's execution_failed).
#define RDWH_DELIVERY_WHERE                                                                                    \
  " FROM deliveries WHERE ($1 < 0 OR webhook_id = $1) AND ($2 = '' OR project = $2) AND ($3 = '' OR outcome = $3) " \
  "AND ($4 = 0 OR (NOT EXISTS (SELECT 1 FROM delivery_jobs l WHERE l.delivery_id = deliveries.id) "          \
  "AND outcome IN ('nothing', 'skipped', 'refused', 'failed')) OR (EXISTS (SELECT 1 FROM delivery_jobs l "    \
  "WHERE l.delivery_id = deliveries.id) AND NOT EXISTS (SELECT 1" RDWH_LINKED_JOBS " AND " RDWH_JOB_STATE       \
  " IN ('waiting', 'retrying', 'running', 'done')))) "                                                         \
  "AND ($8 = '' OR ($8 = 'done' AND EXISTS (SELECT 1" RDWH_LINKED_JOBS " AND " RDWH_JOB_STATE " = 'done') "   \
  "AND NOT EXISTS (SELECT 1" RDWH_LINKED_JOBS " AND " RDWH_JOB_STATE " <> 'done')) "                          \
  "OR ($8 <> 'done' AND EXISTS (SELECT 1" RDWH_LINKED_JOBS " AND " RDWH_JOB_STATE " = $8))) "                 \
  "AND ($9 = '' OR id IN (SELECT id FROM deliveries WHERE incident_id = $9 UNION ALL SELECT id FROM deliveries " \
  "WHERE event_id = $9 UNION ALL SELECT id FROM deliveries WHERE delivery_id = $9)) "                          \
  "AND ($11 = 0 OR EXISTS (SELECT 1" RDWH_LINKED_JOBS " AND j.execution_status IN ('failed', 'aborted', "    \
  "'timedout', 'failed-with-retry'))) "                                                                      \
  "AND ($5 = 0 OR id < $5) AND received_ms >= $6 AND ($10 = 0 OR received_ms < $10) ORDER BY id DESC LIMIT $7"

// The states of the jobs of deliveries $1..$2 (ids), one row per job.
const char *const kJobStates = "SELECT l.delivery_id, " RDWH_JOB_STATE
                               " FROM delivery_jobs l JOIN deliveries ON deliveries.id = l.delivery_id "
                               "LEFT JOIN jobs j ON j.webhook_key = l.webhook_key AND j.delivery_key = l.delivery_key "
                               "AND j.rule_key = l.rule_key WHERE l.delivery_id BETWEEN $1 AND $2";
const char *const kInsertLink =
    "INSERT INTO delivery_jobs (delivery_id, webhook_key, delivery_key, rule_key) VALUES ($1, $2, $3, $4)";

const char *const kList = "SELECT " RDWH_DELIVERY_SUMMARY RDWH_DELIVERY_WHERE;
const char *const kListFull = "SELECT " RDWH_DELIVERY_SUMMARY ", " RDWH_DELIVERY_DETAIL RDWH_DELIVERY_WHERE;
const char *const kGet = "SELECT " RDWH_DELIVERY_SUMMARY ", " RDWH_DELIVERY_DETAIL " FROM deliveries WHERE id = $1";
// Both delete the oldest rows in bounded steps, so neither holds the database long.
// A delivery's links to its jobs go with it.
const char *const kOldBefore =
    "SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM deliveries WHERE received_ms < $1 ORDER BY id LIMIT $2) o";
const char *const kPurge = "DELETE FROM deliveries WHERE id <= $1 AND received_ms < $2";
const char *const kPurgeLinks = "DELETE FROM delivery_jobs WHERE delivery_id IN "
                                "(SELECT id FROM deliveries WHERE id <= $1 AND received_ms < $2)";
// The signature headers are read by these alone (never by a listing or kGet: no view shows them).
const char *const kKeptSignature = "SELECT signature_headers FROM deliveries WHERE id = $1";
#define RDWH_SIGNATURE_REFUSED "verdict IN ('signature_missing', 'signature_invalid')"
const char *const kRefusedForSignature = "SELECT id FROM deliveries WHERE " RDWH_SIGNATURE_REFUSED
                                         " AND replay_of = 0 AND ($1 = '' OR webhook_name = $1) "
                                         "AND received_ms >= $2 ORDER BY id";
const char *const kVerifiedAgain =
    "SELECT COALESCE(MIN(id), 0) FROM deliveries WHERE replay_of = $1 AND NOT " RDWH_SIGNATURE_REFUSED;
const char *const kTotal = "SELECT COALESCE(SUM(stored_bytes), 0) FROM deliveries";
const char *const kOldest = "SELECT id, stored_bytes FROM deliveries ORDER BY id LIMIT $1";
const char *const kDeleteThrough = "DELETE FROM deliveries WHERE id <= $1";
const char *const kDeleteLinksThrough = "DELETE FROM delivery_jobs WHERE delivery_id <= $1";

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
  d.event_type = r.text(c++);
  d.event_id = r.text(c++);
  d.incident_id = r.text(c++);
  d.incident_title = r.text(c++);
  d.incident_number = r.i64(c++);
  return d;
}

constexpr int kDetailColumn = 21; // the first column after the summary

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
      std::vector<DeliveryRecord> one;
      c.exec(kGet, {id}, [&](const sql::Row &r) { one.push_back(read_full(r)); });
      read_states(c, one);
      if (!one.empty()) out = std::move(one[0]);
    });
    return out;
  }

  std::string kept_signature(int64_t id) override {
    std::string out;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries", [&](sql::Connection &c) {
      out.clear();
      c.exec(kKeptSignature, {id}, [&](const sql::Row &r) { out = r.text(0); });
    });
    return out;
  }

  std::vector<int64_t> refused_for_signature(std::string_view webhook_name, int64_t since_ms) override {
    std::vector<int64_t> out;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries", [&](sql::Connection &c) {
      out.clear();
      c.exec(kRefusedForSignature, {webhook_name, since_ms}, [&](const sql::Row &r) { out.push_back(r.i64(0)); });
    });
    return out;
  }

  int64_t verified_again(int64_t id) override {
    int64_t out = 0;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries",
             [&](sql::Connection &c) { c.exec(kVerifiedAgain, {id}, [&](const sql::Row &r) { out = r.i64(0); }); });
    return out;
  }

  int64_t purge(int64_t before_ms, int64_t max_rows) override {
    int64_t n = 0;
    db_.with(SqlOutbox::Use::record, "cannot purge the deliveries", [&](sql::Connection &c) {
      sql::Transaction tx(c);
      int64_t through = 0;
      c.exec(kOldBefore, {before_ms, max_rows}, [&](const sql::Row &r) { through = r.i64(0); });
      c.exec(kPurgeLinks, {through, before_ms});
      n = c.exec(kPurge, {through, before_ms});
      tx.commit();
    });
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
      if (through > 0) {
        sql::Transaction tx(c);
        c.exec(kDeleteLinksThrough, {through});
        c.exec(kDeleteThrough, {through});
        tx.commit();
      }
    });
    return freed;
  }

private:
  std::vector<DeliveryRecord> query(const char *sql, const DeliveryFilter &f, DeliveryRecord (*read)(const sql::Row &)) {
    // jobs_<state> asks for a job state; anything else is an outcome the intake stored.
    const bool by_jobs = f.outcome.rfind("jobs_", 0) == 0;
    const bool by_execution = f.outcome == outcome::execution_failed;
    const std::string_view stored = by_jobs || by_execution ? std::string_view() : f.outcome;
    const std::string_view job_state = by_jobs ? std::string_view(f.outcome).substr(5) : std::string_view();
    std::vector<DeliveryRecord> out;
    db_.with(SqlOutbox::Use::read, "cannot read the deliveries", [&](sql::Connection &c) {
      out.clear();
      c.exec(sql,
             {f.webhook_id, f.project, stored, int64_t{f.ran_nothing ? 1 : 0}, f.before_id, f.since_ms,
              static_cast<int64_t>(f.limit), job_state, f.search, f.until_ms, int64_t{by_execution ? 1 : 0}},
             [&](const sql::Row &r) { out.push_back(read(r)); });
      read_states(c, out);
    });
    return out;
  }

  // Fills in each record's job_states and state (the records' ids are between the first and last).
  static void read_states(sql::Connection &c, std::vector<DeliveryRecord> &records) {
    if (records.empty()) return;
    std::map<int64_t, JobStates> states;
    const auto [low, high] = std::minmax({records.front().id, records.back().id});
    c.exec(kJobStates, {low, high}, [&](const sql::Row &r) {
      JobStates &s = states[r.i64(0)];
      const std::string state = r.text(1);
      int64_t *count = state == "waiting"    ? &s.waiting
                       : state == "retrying" ? &s.retrying
                       : state == "running"  ? &s.running
                       : state == "refused"  ? &s.refused
                       : state == "failed"   ? &s.failed
                       : state == "skipped"  ? &s.skipped
                                             : &s.done;
      ++*count;
    });
    for (DeliveryRecord &d : records) {
      if (auto it = states.find(d.id); it != states.end()) d.job_states = it->second;
      d.state = d.job_states.outcome(d.outcome);
    }
  }

  SqlOutbox &db_;
};

} // namespace

std::string JobStates::outcome(const std::string &stored) const {
  if (total() == 0) return stored;
  if (refused) return outcome::jobs_refused;
  if (failed) return outcome::jobs_failed;
  if (running) return outcome::jobs_running;
  if (retrying) return outcome::jobs_retrying;
  if (waiting) return outcome::jobs_waiting;
  if (done) return outcome::jobs_done;
  return outcome::skipped;
}

sql::Statement insert_delivery_job(const DeliveryRecord &d, const NewJob &job) {
  return {kInsertLink, {d.id, job.webhook_key, job.delivery_key, job.rule_key}};
}

sql::Statement insert_delivery(DeliveryRecord &d) {
  return {kInsert,
          {d.received_ms, d.webhook_id, d.webhook_name, d.project, d.webhook_key, d.delivery_id, d.sender,
           d.headers_json, d.body, int64_t{d.body_base64 ? 1 : 0}, d.body_bytes, int64_t{d.body_truncated ? 1 : 0},
           d.status, d.verdict, d.outcome, d.error, d.job_count, d.evaluation, d.jobs_json, d.replay_of,
           stored_bytes(d), d.signature_headers_json, d.event_type, d.event_id, d.incident_id, d.incident_title,
           d.incident_number},
          [&d](const sql::Row &r) { d.id = r.i64(0); }};
}

int64_t stored_bytes(const DeliveryRecord &d) {
  return schema::kDeliveryRowOverhead +
         static_cast<int64_t>(d.headers_json.size() + d.body.size() + d.evaluation.size() + d.jobs_json.size() +
                              d.error.size() + d.signature_headers_json.size() + d.event_type.size() + d.event_id.size() + d.incident_id.size() +
                              d.incident_title.size());
}

namespace {

constexpr size_t kEventTextBytes = 200, kTitleBytes = 300; // the sender writes them

// Member `key` of object `v` when it is an object (else null).
const rapidjson::Value *member(const rapidjson::Value *v, const char *key) {
  if (!v || !v->IsObject()) return nullptr;
  const auto it = v->FindMember(key);
  return it == v->MemberEnd() ? nullptr : &it->value;
}

std::string text_of(const rapidjson::Value *v, size_t max = kEventTextBytes) {
  if (!v || !v->IsString()) return {};
  return clipped(std::string_view(v->GetString(), v->GetStringLength()), max);
}

int64_t number_of(const rapidjson::Value *v) { return v && v->IsInt64() && v->GetInt64() > 0 ? v->GetInt64() : 0; }

} // namespace

void describe_event(DeliveryRecord &d, std::string_view body) {
  d.event_type.clear(), d.event_id.clear(), d.incident_id.clear(), d.incident_title.clear();
  d.incident_number = 0;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return;
  const rapidjson::Value *incident = nullptr;
  if (const rapidjson::Value *event = member(&doc, "event"); event && event->IsObject()) {
    // V3: the incident is the data itself, or the data's incident reference (a note, a responder...),
    // or a role assignment's.
    d.event_type = text_of(member(event, "event_type"));
    d.event_id = text_of(member(event, "id"));
    const rapidjson::Value *data = member(event, "data");
    if (text_of(member(data, "type")) == "incident") incident = data;
    else if (const rapidjson::Value *ref = member(data, "incident")) incident = ref;
    else if (const rapidjson::Value *roles = member(data, "incident_role_assignments");
             roles && roles->IsArray() && !roles->Empty())
      incident = member(&(*roles)[0], "incident");
  } else if (const rapidjson::Value *messages = member(&doc, "messages");
             messages && messages->IsArray() && !messages->Empty() && (*messages)[0].IsObject()) {
    // V2 ({event, incident}) or V1 ({type, data: {incident}}).
    const rapidjson::Value &m = (*messages)[0];
    d.event_id = text_of(member(&m, "id"));
    d.event_type = text_of(member(&m, member(&m, "event") ? "event" : "type"));
    incident = member(&m, "incident");
    if (!incident) incident = member(member(&m, "data"), "incident");
  }
  if (!incident || !incident->IsObject()) return;
  d.incident_id = text_of(member(incident, "id"));
  d.incident_title = text_of(member(incident, "title"), kTitleBytes);
  if (d.incident_title.empty()) d.incident_title = text_of(member(incident, "summary"), kTitleBytes);
  d.incident_number = number_of(member(incident, "number"));
  if (!d.incident_number) d.incident_number = number_of(member(incident, "incident_number"));
}

std::unique_ptr<DeliveryStore> make_delivery_store(SqlOutbox &db) { return std::make_unique<SqlDeliveryStore>(db); }

} // namespace rdwh::gateway
