// Unit tests of the intake pipeline (intake/pipeline.cpp) as a replay drives it: what is stored
// for each Commit, and the record it completes. The listener's use of it is in listener_tests.cpp.
#include <catch2/catch.hpp>

#include "intake/pipeline.hpp"
#include "intake_support.hpp"

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;
using Catch::Contains;

namespace {

struct Replays {
  Listener l;
  std::shared_ptr<const Runtime> rt = l.current->get();
  const Webhook &hook = *rt->find("tok-pd");
  int added = 0;
  IntakePipeline pipeline{*l.outbox, [this] { ++added; }};

  // A record of delivery "d-1" as the delivery store keeps it.
  DeliveryRecord record(const std::string &text) const {
    HttpRequest req;
    req.body = text;
    req.received_unix_ms = 1714564800000;
    return record_of(req, &hook.config, "d-1", 65536);
  }
  Processed process(const std::string &text, DeliveryRecord *record, Commit commit, std::string prefix = "") const {
    const int64_t now = 1714564800000;
    return pipeline.process({hook.config, *hook.handler, hook.keys.get(),
                             plugin_request(hook.config, {{"X-PagerDuty-Signature", sign(text)}}, text, "d-1",
                                            "192.0.2.7", now, true),
                             {0, 0, std::move(prefix)}, record, commit});
  }
};

} // namespace

TEST_CASE("intake pipeline: a dry run judges and describes the delivery, and stores nothing", "[intake]") {
  Replays t;
  const std::string text = body("EVT-1");
  DeliveryRecord d = t.record(text);
  const Processed p = t.process(text, &d, Commit::none);
  CHECK(p.failure == Processed::Failure::none);
  CHECK(p.verdict == RDWH_VERDICT_ACCEPTED);
  CHECK(p.answer.status == 200);
  REQUIRE(p.jobs.size() == 1);
  CHECK(p.jobs[0].delivery_key == "event:EVT-1");
  CHECK_FALSE(p.stored);
  CHECK(d.status == 200);
  CHECK(d.verdict == "accepted");
  CHECK(d.outcome == outcome::nothing);
  CHECK(d.job_count == 1);
  CHECK_THAT(d.jobs_json, Contains(R"("deliveryKey":"event:EVT-1")"));
  CHECK_FALSE(d.evaluation.empty());
  CHECK(t.l.outbox->list("").empty());
  CHECK(t.l.outbox->deliveries().list({}).empty());
  CHECK(t.added == 0);
}

TEST_CASE("intake pipeline: Commit::always stores the record with its jobs, or alone; a prefix gives new identities",
          "[intake]") {
  Replays t;
  const std::string text = body("EVT-1");
  DeliveryRecord d = t.record(text);
  Processed p = t.process(text, &d, Commit::always);
  CHECK(p.stored);
  CHECK(p.enqueued.inserted == 1);
  CHECK(d.id > 0);
  CHECK(d.outcome == outcome::queued);
  CHECK(t.added == 1);

  // The same event again: a duplicate, unless its jobs get identities of their own.
  DeliveryRecord again = t.record(text);
  p = t.process(text, &again, Commit::always);
  CHECK(p.enqueued.duplicates == 1);
  CHECK(again.outcome == outcome::duplicate);
  CHECK(t.added == 1);
  DeliveryRecord run_again = t.record(text);
  p = t.process(text, &run_again, Commit::always, "replay:r-1:");
  CHECK(p.enqueued.inserted == 1);
  CHECK(t.added == 2);
  const std::vector<OutboxJob> jobs = t.l.outbox->list("");
  REQUIRE(jobs.size() == 2);
  CHECK((jobs[0].delivery_key == "replay:r-1:event:EVT-1" || jobs[1].delivery_key == "replay:r-1:event:EVT-1"));

  // No rule fires: the record is stored alone, at once.
  const std::string quiet = body("EVT-2", "incident.acknowledged");
  DeliveryRecord alone = t.record(quiet);
  p = t.process(quiet, &alone, Commit::always);
  CHECK(p.stored);
  CHECK(p.jobs.empty());
  CHECK(alone.id > 0);
  CHECK(alone.outcome == outcome::nothing);
  CHECK(alone.jobs_json == "[]");
  CHECK(t.l.outbox->deliveries().list({}).size() == 4);
}

TEST_CASE("intake pipeline: Commit::with_jobs leaves a record without jobs to the caller", "[intake]") {
  Replays t;
  const std::string quiet = body("EVT-2", "incident.acknowledged");
  DeliveryRecord d = t.record(quiet);
  const Processed p = t.process(quiet, &d, Commit::with_jobs);
  CHECK_FALSE(p.stored);
  CHECK(p.answer.status == 200);
  CHECK(d.id == 0);
  CHECK(d.verdict.empty());        // the caller completes it (record_answer) for the recorder
  CHECK_FALSE(d.evaluation.empty()); // the explanation is the plugin's, kept either way
  CHECK(t.l.outbox->deliveries().list({}).empty());
}
