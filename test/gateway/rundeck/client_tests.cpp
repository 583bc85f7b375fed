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

TEST_CASE("Rundeck job definitions: the options, required or not, with a default or not") {
  // Rundeck's YAML export: a list of jobs, options as a list.
  const auto listed = definition_options("- id: j1\n  name: Page\n  options:\n  - name: incident\n    required: true\n"
                                         "  - name: team\n    required: true\n    value: ops\n"
                                         "  - name: secret\n    required: true\n    storagePath: keys/x\n"
                                         "  - name: note\n");
  REQUIRE(listed);
  REQUIRE(listed->size() == 4);
  CHECK(((*listed)[0].name == "incident" && (*listed)[0].required && !(*listed)[0].has_default));
  CHECK(((*listed)[1].required && (*listed)[1].has_default));
  CHECK(((*listed)[2].required && (*listed)[2].has_default));
  CHECK((!(*listed)[3].required && !(*listed)[3].has_default));
  // Older Rundecks: options as a map by name; JSON reads the same.
  const auto mapped = definition_options(R"([{"id":"j1","options":{"incident":{"required":true}}}])");
  REQUIRE(mapped);
  REQUIRE(mapped->size() == 1);
  CHECK(((*mapped)[0].name == "incident" && (*mapped)[0].required && !(*mapped)[0].has_default));
  // A job without options; and what is not a definition (a login page, an object).
  CHECK(definition_options("- id: j1\n  name: Plain\n")->empty());
  CHECK_FALSE(definition_options("<html><body>Sign in</body></html>"));
  CHECK_FALSE(definition_options(R"({"id":"j1"})"));
}
