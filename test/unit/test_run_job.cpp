// webhook-run-job, Rundeck's open-source "Run Job" handler: its argString read as Rundeck reads it
// (OptsUtil.burst / join, FrameworkService.parseOptsFromArray), its config, its deliveries.
#include "base/error.hpp"
#include "pipeline/handler.hpp"
#include "rules/argstring.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using Catch::Contains;
using rdwh::pipeline::Handler;
using Strings = std::vector<std::string>;
using Options = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("argString tokens: spaces split, a leading quote quotes, a doubled quote is one", "[run-job]") {
  using rdwh::rules::burst;
  CHECK(burst("-opt1 value -opt2 \"other value\"") == Strings{"-opt1", "value", "-opt2", "other value"});
  CHECK(burst("  -a   'b c'  ") == Strings{"-a", "b c"});
  CHECK(burst("-a \"say \"\"hi\"\"\"") == Strings{"-a", "say \"hi\""});
  CHECK(burst("-a 'it''s'") == Strings{"-a", "it's"});
  CHECK(burst("-a 'mixed \"quotes\"'") == Strings{"-a", "mixed \"quotes\""});
  CHECK(burst("-a x\"y z\"") == Strings{"-a", "x\"y", "z\""}); // a quote inside an unquoted token is plain
  CHECK(burst("-a 'one'two") == Strings{"-a", "onetwo"});      // the token goes on after its quote
  CHECK(burst("-a \"\"") == Strings{"-a", ""});
  CHECK(burst("-a\tb\nc") == Strings{"-a", "b", "c"});          // any character up to a space splits
  CHECK(burst("-a 'unterminated") == Strings{"-a", "unterminated"});
  CHECK(burst("").empty());
}

TEST_CASE("argString join quotes what burst would split, so tokens survive the round trip", "[run-job]") {
  using rdwh::rules::burst;
  using rdwh::rules::join;
  CHECK(join({"-a", "b c", "say \"hi\"", "", "it's", "x"}) == "-a \"b c\" \"say \"\"hi\"\"\" \"\" \"it's\" x");
  const Strings tokens{"-raw", "{\"a\": 1,\n \"b\": \"two words\"}", "-q", "'quoted'"};
  CHECK(burst(join(tokens)) == tokens);
  // A tab is not quoted by join but splits in burst: Rundeck's round trip loses it, so does ours.
  CHECK(burst(join({"-a", "x\ty"})) == Strings{"-a", "x", "y"});
}

TEST_CASE("argString options: -name value pairs, the last value of a name wins", "[run-job]") {
  using rdwh::rules::parse_options;
  CHECK(parse_options({"-a", "1", "-b", "two words"}) == Options{{"a", "1"}, {"b", "two words"}});
  CHECK(parse_options({"-n", "-5", "-m", "x"}) == Options{{"n", "-5"}, {"m", "x"}}); // a value may start with -
  CHECK(parse_options({"stray", "-a", "1", "-", "x", "-a", "2", "-last"}) == Options{{"a", "2"}});
  CHECK(parse_options({"-e", ""}) == Options{{"e", ""}});
}

namespace {

// Rundeck's documented example (docs: webhooks/run-job).
constexpr const char *docs_config =
    R"({"jobId":"9bb310cf-3a86-4a45-9dc7-8e2c6c2e3c3f",)"
    R"("argString":"-raw ${raw} -field1 ${data.field1} -sub1 ${data.sub1.subfield} -timestamp ${webhook.timestamp}"})";
constexpr const char *docs_body = R"({"field1":"value one","sub1":{"subfield":"deep"}})";

rdwh::pipeline::Delivery run_job_delivery(std::string_view body) {
  rdwh::pipeline::Delivery d = rdwh::test::delivery(body);
  d.received_unix_ms = 1714564800000;
  d.project = "ops";
  return d;
}

} // namespace

TEST_CASE("run job: Rundeck's documented example gives the documented options", "[run-job][handler]") {
  rdwh::test::FakeServices services;
  Handler handler(rdwh::test::spec("webhook-run-job"), docs_config, services);
  auto out = handler.handle(run_job_delivery(docs_body), false);
  CHECK(out.http_status == 200);
  CHECK(out.content_type == "application/json; charset=UTF-8");
  CHECK(out.body == R"({"jobId":"9bb310cf-3a86-4a45-9dc7-8e2c6c2e3c3f"})");
  const auto jobs = rdwh::test::jobs_of(out.rendered);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].rule == "Run Job");
  CHECK(jobs[0].job_id == "9bb310cf-3a86-4a45-9dc7-8e2c6c2e3c3f");
  CHECK(jobs[0].options ==
        Options{{"raw", docs_body}, {"field1", "value one"}, {"sub1", "deep"}, {"timestamp", "1714564800000"}});
  CHECK(services.all_lines().empty());
}

TEST_CASE("run job: job id, node filter and user are templates too; a missing value is null", "[run-job][handler]") {
  rdwh::test::FakeServices services;
  Handler handler(rdwh::test::spec("webhook-run-job"),
                  R"({"jobId":"$data.job","nodeFilter":"tags: ${data.tag}","asUser":"${data.user}",)"
                  R"("argString":"-missing ${data.nope} -quoted '${data.title}'"})",
                  services);
  auto out = handler.handle(run_job_delivery(R"({"job":"j-1","tag":"web","title":"Disk \"full\" now"})"), false);
  REQUIRE(out.http_status == 200);
  const auto jobs = rdwh::test::jobs_of(out.rendered);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].job_id == "j-1");
  CHECK(jobs[0].filter == "tags: web");
  CHECK(jobs[0].as_user == "null"); // Groovy renders a missing key as null, as Rundeck runs it
  CHECK(jobs[0].options == Options{{"missing", "null"}, {"quoted", "Disk \"full\" now"}});
}

TEST_CASE("run job: what Rundeck refuses is refused with its messages", "[run-job][handler]") {
  rdwh::test::FakeServices services;
  Handler handler(rdwh::test::spec("webhook-run-job"), docs_config, services);
  // ${data.sub1.subfield} without sub1: Groovy fails (Rundeck: a 500 it does not catch; rdwh: 400).
  auto failed = handler.handle(run_job_delivery(R"({"field1":"x"})"), false);
  CHECK(failed.http_status == 400);
  CHECK(failed.verdict == rdwh::Verdict::unprocessable);
  CHECK(failed.body == R"({"err":"Failed to substitute data: argString token '${data.sub1.subfield}' cannot be rendered: )"
                       R"(Cannot get property 'subfield' on null object"})");
  CHECK(failed.jobs().empty());
  CHECK_THAT(services.all_lines(), Contains("rule 'Run Job' on event 0: argString token"));
  auto not_json = handler.handle(run_job_delivery("not json"), false);
  CHECK(not_json.http_status == 400);
  CHECK_THAT(not_json.body, Contains("Unable to parse posted JSON data"));
  // An empty body reads as {}: raw is "{}" there, as Rundeck reads it.
  Handler raw_only(rdwh::test::spec("webhook-run-job"), R"({"jobId":"j","argString":"-raw ${raw}"})", services);
  auto empty = raw_only.handle(run_job_delivery(""), false);
  REQUIRE(empty.http_status == 200);
  CHECK(rdwh::test::jobs_of(empty.rendered)[0].options == Options{{"raw", "{}"}});
  // A job id that renders empty: Rundeck cannot find the job.
  Handler empty_id(rdwh::test::spec("webhook-run-job"), R"({"jobId":"${webhook['X-Job']}","missingValues":"empty"})",
                   services);
  auto no_job = empty_id.handle(run_job_delivery("{}"), false);
  CHECK(no_job.http_status == 400);
  CHECK(no_job.body == R"({"err":"Cannot run job, not found:  in project ops: the job id is empty"})");
}

TEST_CASE("run job config: jobId required, values compiled up front, unknown keys diagnosed", "[run-job][config]") {
  const auto &spec = rdwh::test::spec("webhook-run-job");
  CHECK_THROWS_WITH(spec.compile_config(R"({"argString":"-a b"})", {}), "jobId: is required: the job to run");
  CHECK_THROWS_WITH(spec.compile_config(R"({"jobId":"j","argString":"-a ${data.x"})", {}),
                    Contains("argString: unterminated '${'"));
  CHECK_THROWS_WITH(spec.compile_config(R"({"jobId":"j","asUser":"<%= 1 %>"})", {}),
                    Contains("asUser: Groovy scriptlets") && Contains("(rule 'Run Job')"));
  const rdwh::rules::Config config = spec.compile_config(R"({"jobId":"j","argstring":"-a b","nodefilter":""})", {});
  REQUIRE(config.diagnostics.size() == 2);
  CHECK(config.diagnostics[0].suggestion == "argString");
  CHECK(config.diagnostics[1].suggestion == "nodeFilter");
  REQUIRE(config.rules.size() == 1);
  CHECK(config.rules[0].conditions == 0);
  CHECK(config.rules[0].arg_tokens.empty());
}
