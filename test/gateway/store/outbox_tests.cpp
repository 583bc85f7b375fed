// The outbox on SQLite and (with RDWH_TEST_OUTBOX=postgresql) PostgreSQL: exactly once, claims,
// leases, order per resource, requeue and purge; SQLite's migrations, guards and state lock.
#include <catch2/catch.hpp>

#include "store/outbox.hpp"
#include "store/postgresql/connection.hpp"
#include "store/postgresql/outbox.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/outbox.hpp"
#include "test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;
namespace fs = std::filesystem;

namespace {

NewJob job(const std::string &delivery, const std::string &rule, const std::string &resource = "") {
  NewJob j;
  j.webhook_key = "name:ops/Hook";
  j.webhook_name = "Hook";
  j.project = "ops";
  j.delivery_key = delivery;
  j.rule_key = rule;
  j.rule = rule;
  j.event_id = "e";
  j.resource_id = resource;
  j.job_id = "job-1";
  j.request_json = R"({"options":{"a":"b"}})";
  return j;
}

Settlement settle(const OutboxJob &j, const std::string &status, int64_t next = 0) {
  Settlement s;
  s.id = j.id;
  s.owner = j.owner;
  s.status = status;
  s.next_attempt_ms = next;
  if (status == "done") s.execution_id = "exec-" + std::to_string(j.id);
  if (status == "refused") s.reason = "Job ID does not exist: job-1";
  return s;
}

std::vector<std::string> keys(const std::vector<OutboxJob> &jobs) {
  std::vector<std::string> out;
  for (const auto &j : jobs) out.push_back(j.delivery_key + "/" + j.rule_key);
  return out;
}


} // namespace

TEST_CASE("outbox: a redelivered job is stored once, also after a restart", "[outbox]") {
  OutboxUnderTest t;
  {
    auto o = t.open();
    const EnqueueResult first = o->enqueue({job("event:e1", "rule A"), job("event:e1", "rule B")}, 1000);
    CHECK(first.inserted == 2);
    CHECK(first.duplicates == 0);
    // The same event again, with the rules in another order: nothing new.
    const EnqueueResult again = o->enqueue({job("event:e1", "rule B"), job("event:e1", "rule A")}, 2000);
    CHECK(again.inserted == 0);
    CHECK(again.duplicates == 2);
  }
  auto o = t.open(); // a restart
  CHECK(o->enqueue({job("event:e1", "rule B"), job("event:e2", "rule B")}, 3000).inserted == 1);
  // Another webhook (same name, other project) is another identity.
  NewJob other = job("event:e1", "rule A");
  other.webhook_key = "name:other/Hook";
  CHECK(o->enqueue({other}, 3000).inserted == 1);
  CHECK(o->gauges().queued == 4);
}

TEST_CASE("outbox: concurrent deliveries share commits, each stored exactly once", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  // 8 threads deliver 50 deliveries each; every delivery is sent twice (a redelivery racing the
  // first), so half of all inserts must come back as duplicates, whichever batch they land in.
  std::atomic<uint64_t> inserted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "event:" + std::to_string((th / 2) * 50 + i); // threads 2k and 2k+1 collide
        const EnqueueResult r = o->enqueue({job(key, "a"), job(key, "b")}, 1000);
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
    });
  for (auto &th : threads) th.join();
  CHECK(inserted == 400);
  CHECK(duplicates == 400);
  const OutboxGauges g = o->gauges();
  CHECK(g.queued == 400);
  CHECK(g.intake_committed_deliveries == 400); // every delivery counted once, in the commit that stored it
  CHECK(g.intake_commits >= 1);
  CHECK(g.intake_commits <= 400);
}

TEST_CASE("sql: a batch runs in order, and a failed statement fails the batch (the rest does not run)", "[outbox]") {
  OutboxUnderTest t;
  std::unique_ptr<sql::Connection> c;
  if (t.postgresql()) c = std::make_unique<sql::PgConnection>(t.conninfo);
  else c = std::make_unique<sql::SqliteConnection>((t.dir.path / "batch.sqlite3").string(), 1000, true);
  c->script("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)");
  const char *insert = "INSERT INTO t (k, n) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING RETURNING n";
  std::vector<int64_t> returned;
  const auto collect = [&](const sql::Row &r) { returned.push_back(r.i64(0)); };
  {
    sql::Transaction tx(*c);
    const std::vector<int64_t> changed = c->exec_all(
        {{insert, {std::string_view("a"), int64_t{1}}, collect}, {insert, {std::string_view("a"), int64_t{2}}, collect},
         {insert, {std::string_view("b"), int64_t{3}}, collect}});
    CHECK(changed == std::vector<int64_t>{1, 0, 1});
    CHECK(returned == std::vector<int64_t>{1, 3});
    tx.commit();
  }
  {
    // The second statement breaks the primary key: the batch throws, its transaction rolls back.
    sql::Transaction tx(*c);
    const char *plain = "INSERT INTO t (k, n) VALUES ($1, $2)";
    CHECK_THROWS_AS(c->exec_all({{plain, {std::string_view("c"), int64_t{4}}},
                                 {plain, {std::string_view("a"), int64_t{5}}},
                                 {plain, {std::string_view("d"), int64_t{6}}}}),
                    sql::Error);
  }
  // The connection goes on serving statements and batches.
  int64_t rows = -1;
  c->exec("SELECT COUNT(*) FROM t", {}, [&](const sql::Row &r) { rows = r.i64(0); });
  CHECK(rows == 2);
  returned.clear();
  CHECK(c->exec_all({{insert, {std::string_view("e"), int64_t{7}}, collect}}) == std::vector<int64_t>{1});
  CHECK(returned == std::vector<int64_t>{7});
}

TEST_CASE("outbox: claim, settle, retry, refuse; leases expire into uncertain jobs", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  o->enqueue({job("event:a", "r"), job("event:b", "r"), job("event:c", "r")}, 1000);
  ClaimResult r = o->settle_and_claim("me", {}, 2, 1000, 30000);
  REQUIRE(r.jobs.size() == 2);
  CHECK(keys(r.jobs) == std::vector<std::string>{"event:a/r", "event:b/r"});
  CHECK(r.jobs[0].status == "running");
  CHECK(r.jobs[0].owner == "me");
  // The lease is on the lease clock: the caller's on SQLite, the database's on PostgreSQL.
  if (!t.postgresql()) CHECK(r.jobs[0].lease_until_ms == 31000);
  else CHECK(std::abs(r.jobs[0].lease_until_ms - (o->clock_ms() + 30000)) < 5000);
  CHECK(r.jobs[0].attempts == 1);
  const OutboxJob a = r.jobs[0], b = r.jobs[1];
  // a: retry at 5000; b: refused; claim the rest.
  r = o->settle_and_claim("me", {settle(a, "queued", 5000), settle(b, "refused")}, 5, 1000, 30000);
  CHECK(r.lost.empty());
  REQUIRE(r.jobs.size() == 1);
  const OutboxJob c = r.jobs[0];
  CHECK(c.delivery_key == "event:c");
  CHECK(r.next_due_ms == 5000); // a waits
  r = o->settle_and_claim("me", {settle(c, "done")}, 5, 2000, 30000);
  CHECK(r.jobs.empty());
  CHECK(o->execution_recorded("exec-" + std::to_string(c.id)));
  CHECK_FALSE(o->execution_recorded("exec-0"));
  r = o->settle_and_claim("me", {}, 5, 5000, 30000);
  REQUIRE(r.jobs.size() == 1);
  CHECK(r.jobs[0].attempts == 2);
  // The owner "dies": its lease runs out; another gateway's expiry makes the job uncertain, due
  // for reconciliation once the owner's call can no longer create an execution: the lease's end
  // plus the window (7 s here).
  CHECK(o->renew_leases("me", 40000, 30000) == std::vector<int64_t>{r.jobs[0].id});
  CHECK(o->renew_leases("other", 40000, 30000).empty());
  CHECK(o->expire_leases(40000, 7000) == 0);
  CHECK(o->renew_leases("me", 40000, -1000).size() == 1); // a lease that ended a second ago
  const int64_t ended = o->list("running").at(0).lease_until_ms;
  CHECK(o->expire_leases(40000, 7000) == 1);
  const auto queued = o->list("queued");
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].uncertain);
  CHECK(queued[0].sent_ms == 5000); // its claim: the call may have been sent from then on
  CHECK(queued[0].next_attempt_ms == ended + 7000);
  CHECK(queued[0].owner.empty());
  // The late owner's outcome is not recorded: the row is someone else's now.
  r = o->settle_and_claim("me", {settle(r.jobs[0], "done")}, 0, 40002, 30000);
  CHECK(r.lost.size() == 1);
  const auto refused = o->list("refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].reason == "Job ID does not exist: job-1");
  CHECK(o->gauges().uncertain == 1);
}

TEST_CASE("outbox: a started execution is followed: one owner polls it at a time, and only it records",
          "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  o->enqueue({job("event:a", "r"), job("event:b", "r")}, 1000);
  ClaimResult r = o->settle_and_claim("me", {}, 2, 1000, 30000);
  REQUIRE(r.jobs.size() == 2);
  Settlement started = settle(r.jobs[0], "done");
  started.follow_after_ms = 3000;
  started.permalink = "http://rundeck/project/ops/execution/show/1";
  Settlement unfollowed = settle(r.jobs[1], "done"); // following off: follow_after_ms 0
  o->settle_and_claim("me", {started, unfollowed}, 0, 1000, 30000);
  const OutboxJob a = *o->find(r.jobs[0].id);
  CHECK(a.execution_status == "running");
  CHECK(a.follow_since_ms == 1000);
  CHECK(a.follow_next_ms == 4000);
  CHECK(a.permalink == "http://rundeck/project/ops/execution/show/1");
  CHECK(o->find(r.jobs[1].id)->execution_status.empty());

  FollowClaim c = o->claim_follow("gw-a", 10, 3999, 30000);
  CHECK(c.jobs.empty());
  CHECK(c.next_due_ms == 4000);
  c = o->claim_follow("gw-a", 10, 4000, 30000);
  REQUIRE(c.jobs.size() == 1);
  CHECK(c.jobs[0].follow_owner == "gw-a");
  CHECK(c.unfinished == std::map<std::string, int64_t>{{"ops", 1}});
  CHECK(o->claim_follow("gw-b", 10, 4000, 30000).jobs.empty()); // gw-a polls it now
  CHECK(o->gauges().oldest_unfinished_execution_ms > 0);

  FollowUpdate poll;
  poll.id = a.id;
  poll.execution_id = a.execution_id;
  poll.owner = "gw-b"; // not its owner: not recorded
  poll.execution_status = "running";
  poll.next_poll_ms = 10000;
  CHECK(o->record_follow({poll}, 4000).empty());
  poll.owner = "gw-a";
  CHECK(o->record_follow({poll}, 4000) == std::vector<int64_t>{a.id});
  OutboxJob now = *o->find(a.id);
  CHECK(now.follow_polls == 1);
  CHECK(now.follow_next_ms == 10000);
  CHECK(now.follow_owner.empty());
  o->shift_times(-600000, 4000 - 600000); // the clock steps back: the wait and the bound move with it
  now = *o->find(a.id);
  CHECK(now.follow_next_ms == 10000 - 600000);
  CHECK(now.follow_since_ms == 1000 - 600000);

  c = o->claim_follow("gw-b", 10, 10000, 30000); // released: any gateway polls it next
  REQUIRE(c.jobs.size() == 1);
  FollowUpdate end;
  end.id = a.id;
  end.owner = "gw-b";
  end.execution_id = "another"; // the job ran again meanwhile: not this execution's row any more
  end.execution_status = "failed";
  CHECK(o->record_follow({end}, 10000).empty());
  end.execution_id = a.execution_id;
  end.ended_ms = 9000;
  end.duration_ms = 5000;
  CHECK(o->record_follow({end}, 10000) == std::vector<int64_t>{a.id});
  now = *o->find(a.id);
  CHECK(now.execution_status == "failed");
  CHECK(now.execution_ended_ms == 9000);
  CHECK(now.execution_duration_ms == 5000);
  CHECK(now.permalink == "http://rundeck/project/ops/execution/show/1"); // kept: the update named none
  CHECK(o->claim_follow("gw-b", 10, 1'000'000, 30000).jobs.empty());
  CHECK(o->record_follow({end}, 10000).empty()); // final already: recorded once
  CHECK(o->gauges().oldest_unfinished_execution_ms == 0);
}

TEST_CASE("outbox: after a clock step, queued jobs keep what was left of their wait", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  o->enqueue({job("event:a", "r"), job("event:b", "r")}, 1000);
  ClaimResult r = o->settle_and_claim("me", {}, 1, 1000, 30000);
  REQUIRE(r.jobs.size() == 1);
  r = o->settle_and_claim("me", {settle(r.jobs[0], "queued", 5000)}, 0, 1000, 30000); // 4 s to wait
  // The clock steps back 10 minutes: 1000 is now -599000.
  const int64_t back = -600000, now = 1000 + back;
  o->shift_times(back, now);
  const auto queued = o->list("queued");
  REQUIRE(queued.size() == 2);
  CHECK(queued[0].next_attempt_ms == 5000 + back); // the retry: still 4 s away
  CHECK(queued[1].next_attempt_ms == 1000 + back); // already due: stays due
  r = o->settle_and_claim("me", {}, 5, now + 3999, 30000);
  CHECK(keys(r.jobs) == std::vector<std::string>{"event:b/r"});
  r = o->settle_and_claim("me", {}, 5, now + 4000, 30000);
  CHECK(keys(r.jobs) == std::vector<std::string>{"event:a/r"});
}

TEST_CASE("outbox: a resource's jobs are claimed one at a time, in arrival order", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  o->enqueue({job("event:1", "r", "INC1"), job("event:2", "r", "INC2")}, 1000);
  o->enqueue({job("event:3", "r", "INC1"), job("event:4", "r", "")}, 1000);
  o->enqueue({job("event:5", "r", "INC1")}, 1000);
  ClaimResult r = o->settle_and_claim("me", {}, 10, 1000, 30000);
  CHECK(keys(r.jobs) == std::vector<std::string>{"event:1/r", "event:2/r", "event:4/r"});
  const OutboxJob first = r.jobs[0];
  // INC1's first job is retried later: its next job still waits (the order holds across retries).
  r = o->settle_and_claim("me", {settle(first, "queued", 3000)}, 10, 1000, 30000);
  CHECK(r.jobs.empty());
  r = o->settle_and_claim("me", {}, 10, 3000, 30000);
  REQUIRE(r.jobs.size() == 1);
  CHECK(r.jobs[0].delivery_key == "event:1");
  r = o->settle_and_claim("me", {settle(r.jobs[0], "refused")}, 10, 3000, 30000);
  REQUIRE(r.jobs.size() == 1);
  CHECK(r.jobs[0].delivery_key == "event:3");
  r = o->settle_and_claim("me", {settle(r.jobs[0], "done")}, 10, 3000, 30000);
  REQUIRE(r.jobs.size() == 1);
  CHECK(r.jobs[0].delivery_key == "event:5");
}

TEST_CASE("outbox: gateways claiming at once never take the same job", "[outbox]") {
  OutboxUnderTest t;
  auto setup = t.open();
  std::vector<NewJob> jobs;
  for (int i = 0; i < 300; ++i) jobs.push_back(job("event:" + std::to_string(i), "r", i % 3 ? "" : "INC" + std::to_string(i % 7)));
  setup->enqueue(jobs, 1000);
  // With PostgreSQL each "gateway" is its own outbox (connections); SQLite has one process.
  std::vector<std::unique_ptr<Outbox>> gateways;
  for (int g = 0; g < 3; ++g) gateways.push_back(t.postgresql() ? t.open() : nullptr);
  std::mutex mu;
  std::map<int64_t, int> claimed;
  std::vector<std::thread> threads;
  for (int g = 0; g < 3; ++g)
    threads.emplace_back([&, g] {
      Outbox &o = gateways[g] ? *gateways[g] : *setup;
      const std::string owner = "gw" + std::to_string(g);
      std::vector<Settlement> done;
      for (int round = 0; round < 400; ++round) {
        ClaimResult r = o.settle_and_claim(owner, done, 4, 1000, 30000);
        done.clear();
        {
          std::lock_guard lock(mu);
          for (const auto &j : r.jobs) ++claimed[j.id];
        }
        for (const auto &j : r.jobs) done.push_back(settle(j, "done"));
        if (r.jobs.empty() && done.empty() && o.gauges().queued == 0) break;
      }
      o.settle_and_claim(owner, done, 0, 1000, 30000);
    });
  for (auto &th : threads) th.join();
  CHECK(claimed.size() == 300);
  for (const auto &[id, n] : claimed) CHECK(n == 1);
  CHECK(setup->gauges().done == 300);
}

TEST_CASE("outbox: requeue, skipped jobs, purge", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  NewJob old = job("event:old", "r");
  old.skip = true;
  old.reason = "too old";
  const EnqueueResult e = o->enqueue({job("event:a", "r"), job("event:b", "r"), old}, 1000);
  CHECK(e.inserted == 3);
  CHECK(e.skipped == 1);
  ClaimResult r = o->settle_and_claim("me", {}, 10, 1000, 30000);
  REQUIRE(r.jobs.size() == 2); // the skipped job is never claimed
  o->settle_and_claim("me", {settle(r.jobs[0], "refused"), settle(r.jobs[1], "done")}, 0, 1000, 30000);
  CHECK_THROWS_WITH(o->requeue({"running", "", {}}, 2000), Catch::Contains("running jobs are not requeued"));
  CHECK_THROWS_WITH(o->requeue({"bogus", "", {}}, 2000), Catch::Contains("unknown status"));
  CHECK(o->requeue({"", "Other", {}}, 2000).empty());
  // A dry run names what a requeue would take and changes nothing.
  RequeueFilter dry;
  dry.dry_run = true;
  CHECK(keys(o->requeue(dry, 2000)) == std::vector<std::string>{"event:a/r"});
  dry.skipped = true;
  CHECK(keys(o->requeue(dry, 2000)) == std::vector<std::string>{"event:a/r", "event:old/r"});
  CHECK(o->gauges().refused == 1);
  CHECK(o->gauges().skipped == 1);
  const auto back = o->requeue({}, 2000); // default: refused and queued, not skipped
  CHECK(keys(back) == std::vector<std::string>{"event:a/r"});
  CHECK_THAT(back[0].reason, Catch::Contains("requeued by an operator (was refused)"));
  CHECK(o->gauges().skipped == 1);
  CHECK(keys(o->requeue({"skipped", "", {}}, 2000)) == std::vector<std::string>{"event:old/r"});
  CHECK(o->requeue({"done", "Hook", {r.jobs[1].id}}, 2000).size() == 1);
  CHECK(o->gauges().queued == 3);
  r = o->settle_and_claim("me", {}, 10, 2000, 30000);
  CHECK(r.jobs.size() == 3);
  std::vector<Settlement> done;
  for (const auto &j : r.jobs) done.push_back(settle(j, "done"));
  o->settle_and_claim("me", done, 0, 3000, 30000);
  CHECK(o->purge_done(2500) == 0);
  CHECK(o->purge_done(3001) == 3);
  CHECK(o->health(4000).ok);
}

TEST_CASE("outbox: a delivery's jobs, and a requeue of the jobs named", "[outbox]") {
  OutboxUnderTest t;
  auto o = t.open();
  DeliveryRecord first, again, other;
  first.received_ms = again.received_ms = other.received_ms = 1000;
  first.status = again.status = other.status = 200;
  o->enqueue({job("event:a", "r1"), job("event:a", "r2")}, 1000, &first);
  o->enqueue({job("event:a", "r2")}, 1000, &again); // a redelivery: the job is stored once
  o->enqueue({job("event:b", "r1")}, 1000, &other);
  REQUIRE(first.id > 0);
  const std::vector<OutboxJob> jobs = o->delivery_jobs({first.id, again.id});
  CHECK(keys(jobs) == std::vector<std::string>{"event:a/r1", "event:a/r2"});
  CHECK(keys(o->delivery_jobs({other.id})) == std::vector<std::string>{"event:b/r1"});
  CHECK(o->delivery_jobs({other.id + 100}).empty());

  ClaimResult r = o->settle_and_claim("me", {}, 10, 1000, 30000);
  REQUIRE(r.jobs.size() == 3);
  o->settle_and_claim("me", {settle(r.jobs[0], "refused"), settle(r.jobs[1], "done"), settle(r.jobs[2], "refused")},
                      0, 1000, 30000);
  // Only the jobs named, and of those only the ones a requeue takes (not the done one).
  RequeueFilter f;
  f.ids = {jobs[0].id, jobs[1].id, jobs[0].id};
  f.dry_run = true;
  CHECK(keys(o->requeue(f, 2000)) == std::vector<std::string>{"event:a/r1"});
  CHECK(o->gauges().refused == 2);
  f.dry_run = false;
  CHECK(keys(o->requeue(f, 2000)) == std::vector<std::string>{"event:a/r1"});
  CHECK(o->gauges().refused == 1); // event:b's job, not named, is left alone
  CHECK(o->gauges().queued == 1);
}

TEST_CASE("sqlite outbox: a version 1 file is migrated; rows left running become uncertain", "[sqlite]") {
  TempDir dir;
  const std::string db = (dir.path / "outbox.sqlite3").string();
  {
    sql::SqliteConnection v1(db, 1000, true);
    v1.script(R"sql(
CREATE TABLE jobs (id INTEGER PRIMARY KEY, webhook_key TEXT NOT NULL, webhook_name TEXT NOT NULL, project TEXT NOT NULL,
  delivery_key TEXT NOT NULL, event_index INTEGER NOT NULL, rule_index INTEGER NOT NULL, rule TEXT NOT NULL,
  event_id TEXT NOT NULL, job_id TEXT NOT NULL, request_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'refused')),
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, execution_id TEXT NOT NULL DEFAULT '', http_status INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '', UNIQUE (webhook_key, delivery_key, event_index, rule_index));
CREATE INDEX jobs_due ON jobs (status, next_attempt_ms, id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO jobs VALUES (1, 'Hook', 'Hook', 'ops', 'id:w1', 0, 1, 'r', 'e', 'job-1', '{}', 'running', 1, 0, 10, 20, '', 0, '');
INSERT INTO jobs VALUES (2, 'uuid-1', 'Hook2', 'ops', 'id:w2', 0, 0, 'r', 'e', 'job-1', '{}', 'done', 1, 0, 10, 20, '77', 200, '');
PRAGMA user_version = 1;)sql");
  }
  SqliteOutbox o(db, 1000);
  const auto rows = o.list("");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].webhook_key == "name:ops/Hook");
  CHECK(rows[0].delivery_key == "id:w1#0");
  CHECK(rows[0].rule_key == "index:1");
  CHECK(rows[0].uncertain);
  CHECK(rows[1].webhook_key == "uuid:uuid-1");
  CHECK(rows[1].execution_id == "77");
  // Version 9: a job already done with an execution is followed, from when it was last updated
  // (its call's time is unknown before version 2), due at once; the others are not followed.
  CHECK(rows[1].execution_status == "running");
  CHECK(rows[1].follow_since_ms == 20);
  CHECK(rows[1].follow_next_ms == 0);
  CHECK(rows[0].execution_status.empty());
  const FollowClaim claim = o.claim_follow("me", 10, 100, 30000, "");
  REQUIRE(claim.jobs.size() == 1);
  CHECK(claim.jobs[0].execution_id == "77");
  CHECK(o.expire_leases(100, 0, "me") == 1); // the old process's row is taken over at start
  CHECK(o.list("queued").size() == 1);
}

TEST_CASE("sqlite outbox: a corrupt file does not open; a deleted one fails deliveries and health", "[sqlite]") {
  TempDir dir;
  const std::string db = (dir.path / "outbox.sqlite3").string();
  {
    SqliteOutbox o(db, 1000);
    std::vector<NewJob> many;
    for (int i = 0; i < 200; ++i) many.push_back(job("event:" + std::to_string(i), "r"));
    o.enqueue(many, 1000);
  }
  int64_t jobs_page = 0;
  {
    sql::SqliteConnection c(db, 1000, false);
    jobs_page = std::stoll(c.scalar("SELECT rootpage FROM sqlite_master WHERE name = 'jobs'"));
  }
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((jobs_page - 1) * 4096); // the jobs table's root page, header included
    const std::string garbage(4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  CHECK_THROWS_WITH(SqliteOutbox(db, 1000), Catch::Contains("outbox") );
  fs::remove(db);
  fs::remove(db + "-wal");
  fs::remove(db + "-shm");
  SqliteOutbox o(db, 1000);
  CHECK(o.health(1000).ok);
  fs::remove(db);
  const Health h = o.health(2000);
  CHECK_FALSE(h.ok);
  CHECK_THAT(h.reason, Catch::Contains("is gone"));
  CHECK_THROWS_WITH(o.enqueue({job("event:x", "r")}, 2000), Catch::Contains("is gone"));
}

TEST_CASE("state directory lock: a second holder is refused, naming the first's pid", "[sqlite]") {
  TempDir dir;
  StateDirLock first(dir.path.string());
  // flock locks belong to open file descriptions: a second open in this process conflicts too.
  CHECK_THROWS_WITH(StateDirLock(dir.path.string()),
                    Catch::Contains("in use by another rdwh-gateway (pid " + std::to_string(::getpid()) + ")"));
}
