// The host kit the gateway builds on: Rundeck's Run Job answer.
#include <catch2/catch.hpp>

#include "hostkit.hpp"

TEST_CASE("hostkit: run_job_answer is Rundeck's Run Job answer, the execution id a string", "[hostkit]") {
  CHECK(rdwh::host::run_job_answer("job-1", "1000") == R"({"jobId":"job-1","executionId":"1000"})");
  CHECK(rdwh::host::run_job_answer("a\"b", "7") == R"({"jobId":"a\"b","executionId":"7"})");
}
