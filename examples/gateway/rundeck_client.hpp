// Runs one job on Rundeck: POST {url}/api/{v}/job/{id}/run with X-Rundeck-Auth-Token and a JSON
// body, and classifies the answer. One instance per thread (it keeps a libcurl handle, so
// connections to Rundeck are reused).
#pragma once

#include "config.hpp"

#include <cstdint>
#include <string>

namespace rdwh::gateway {

struct RunOutcome {
  enum class Kind {
    started, // 2xx: Rundeck runs it (execution_id set)
    retry,   // try again later: no answer, 5xx, 429, 409 (already running), 401, 408, ...
    refused  // Rundeck refused it for good (400, 403, 404, other 4xx): reason says why
  };
  Kind kind = Kind::retry;
  long http_status = 0;     // 0: no HTTP answer
  std::string execution_id; // for started
  std::string reason;       // Rundeck's message, or the transport error; never holds the token
  int64_t retry_after_ms = -1; // from a Retry-After header, when given
};

class RundeckClient {
public:
  RundeckClient();
  ~RundeckClient();
  RundeckClient(const RundeckClient &) = delete;
  RundeckClient &operator=(const RundeckClient &) = delete;

  RunOutcome run_job(const RundeckSettings &settings, const std::string &token, const std::string &job_id,
                     const std::string &request_json);

private:
  void *curl_; // CURL*
};

// The classification alone (exposed for tests and docs): which HTTP statuses are retried.
RunOutcome::Kind classify_status(long http_status);

} // namespace rdwh::gateway
