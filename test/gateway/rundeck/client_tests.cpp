// Rundeck's API as the gateway reads it: what an answer means, when an execution is the job's.
#include <catch2/catch.hpp>

#include "rundeck/client.hpp"

using namespace rdwh::gateway;

TEST_CASE("Rundeck answers: what is retried, reconciled, refused, or the token's fault") {
  using K = RunOutcome::Kind;
  CHECK(classify_status(200) == K::started);
  for (long s : {400L, 404L, 422L}) CHECK(classify_status(s) == K::refused);
  for (long s : {401L, 403L}) CHECK(classify_status(s) == K::auth);
  for (long s : {408L, 409L, 429L, 302L}) CHECK(classify_status(s) == K::retry);
  for (long s : {500L, 502L, 503L, 504L}) CHECK(classify_status(s) == K::unknown);
}

TEST_CASE("Rundeck executions: a match needs the options sent, and the user") {
  Execution e;
  e.id = "12";
  e.user = "oncall";
  e.options = {{"a", "b"}, {"default_opt", "x"}};
  CHECK(execution_matches(e, R"({"options":{"a":"b"},"asUser":"oncall"})", ""));
  CHECK_FALSE(execution_matches(e, R"({"options":{"a":"c"},"asUser":"oncall"})", ""));
  CHECK_FALSE(execution_matches(e, R"({"options":{"a":"b","z":"1"}})", ""));
  CHECK_FALSE(execution_matches(e, R"({"options":{"a":"b"},"asUser":"admin"})", ""));
  CHECK(execution_matches(e, R"({"options":{"a":"b"}})", ""));          // token user unknown
  CHECK(execution_matches(e, R"({"options":{"a":"b"}})", "oncall"));
  CHECK_FALSE(execution_matches(e, R"({"options":{"a":"b"}})", "admin"));
  CHECK(execution_matches(e, R"({})", ""));
}
