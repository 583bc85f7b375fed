// Rundeck's API as the dispatcher uses it: POST {url}/api/{v}/job/{id}/run, and the job's
// executions (GET {url}/api/{v}/job/{id}/executions) to learn whether a run whose answer was lost
// happened. One instance per thread (it keeps a libcurl handle, so connections are reused).
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rdwh::gateway {

struct RunOutcome {
  enum class Kind {
    started, // 2xx with Rundeck's execution JSON: it runs (execution_id set)
    refused, // about this job, for good: unknown job (404), invalid options or disabled (400), other 4xx
    retry,   // it did not run; try later: nothing was sent, 409 (already running), 429, 408, 3xx
    auth,    // 401/403: the API token is missing, wrong or expired, or lacks the right: not the job's fault
    unknown  // it may have run: timeout or reset after sending, 5xx, a 2xx that is not Rundeck's JSON
  };
  Kind kind = Kind::retry;
  long http_status = 0;        // 0: no HTTP answer
  std::string execution_id;    // started
  std::string user;            // started: the user Rundeck runs it as
  std::string permalink;       // started: Rundeck's page of the execution, when it gave one
  std::string reason;          // Rundeck's message, or the transport error; never holds the token
  int64_t retry_after_ms = -1; // from a Retry-After header, when given
};

// One execution, as Rundeck's executions API describes it.
struct Execution {
  std::string id, status, user, job_id, permalink;
  int64_t started_ms = 0, ended_ms = 0; // date-started, date-ended (0: not given)
  std::map<std::string, std::string> options;
};

// The answer to an executions query: kind is started when `executions` is Rundeck's full answer,
// else why not (auth, retry, unknown: Rundeck could not be asked).
struct ExecutionsOutcome {
  RunOutcome::Kind kind = RunOutcome::Kind::retry;
  long http_status = 0;
  std::string reason;
  std::vector<Execution> executions; // newest first
};

// One execution read by id (GET /api/{v}/execution/{id}), for following it to its end.
struct ExecutionLookup {
  enum class Kind {
    found,     // `execution` is Rundeck's answer
    not_found, // 404: Rundeck has no such execution (deleted, or another Rundeck)
    auth,      // 401/403
    retry      // no answer, 5xx, or not Rundeck's JSON: ask again later
  };
  Kind kind = Kind::retry;
  long http_status = 0;
  std::string reason; // never holds the token
  Execution execution;
};

// The ids of a project's running executions (GET /api/{v}/project/{p}/executions/running): ok,
// or why not.
struct RunningExecutions {
  bool ok = false;
  long http_status = 0;
  std::string reason;
  std::vector<std::string> ids;
};

// The end of an execution's log (GET /api/{v}/execution/{id}/output?lastlines=N): ok, or why not.
struct ExecutionOutput {
  bool ok = false;
  long http_status = 0;
  std::string reason; // never holds the token
  std::vector<std::string> lines; // oldest first
};

// One job of a project, as Rundeck's job list describes it.
struct JobSummary {
  std::string id, name, group, description;
};

// One option of a job's definition: what a run call must give.
struct JobOption {
  std::string name;
  bool required = false;
  bool has_default = false; // a default value (or a key storage default): Rundeck fills it in
};

// A job as Rundeck describes it: GET /api/{v}/job/{id}/info (exists, its project), then its
// definition GET /api/{v}/job/{id}?format=yaml (its options).
struct JobDetails {
  enum class Kind {
    found,      // the job exists (project, name, group set; options when options_read)
    not_found,  // 404: no job with this id
    auth,       // 401/403: the token is refused, or may not read this job
    no_answer,  // nothing came back: unreachable (timed_out: no answer in time)
    other       // another answer (5xx, a proxy's page): `reason` says which
  };
  Kind kind = Kind::no_answer;
  bool timed_out = false;
  long http_status = 0;
  std::string reason; // Rundeck's message or the transport error; never holds the token
  std::string project, name, group;
  bool options_read = false;      // the definition was read (else `options_reason` says why not)
  std::string options_reason;
  std::vector<JobOption> options;
};

// The answer to a job list: ok, or why not (`reason` never holds the token).
struct JobsOutcome {
  bool ok = false;
  long http_status = 0;
  std::string reason;
  std::vector<JobSummary> jobs; // as Rundeck orders them
};

class RundeckClient {
public:
  RundeckClient();
  ~RundeckClient();
  RundeckClient(const RundeckClient &) = delete;
  RundeckClient &operator=(const RundeckClient &) = delete;

  // `abort`: when it becomes true, the call in progress ends at once (outcome unknown when the
  // request was sent: the gateway is stopping).
  RunOutcome run_job(const RundeckSettings &settings, const std::string &token, const std::string &job_id,
                     const std::string &request_json, const std::atomic<bool> &abort);

  // The job's executions started at or after since_ms (by Rundeck's clock), newest first, paging
  // through GET /api/{v}/job/{id}/executions.
  ExecutionsOutcome job_executions(const RundeckSettings &settings, const std::string &token, const std::string &job_id,
                                   int64_t since_ms, const std::atomic<bool> &abort);

  // One execution, by id.
  ExecutionLookup execution(const RundeckSettings &settings, const std::string &token, const std::string &id,
                            const std::atomic<bool> &abort);
  // The project's running executions, in one call.
  RunningExecutions running_executions(const RundeckSettings &settings, const std::string &token,
                                       const std::string &project, const std::atomic<bool> &abort);

  // The last `lines` lines of the execution's log.
  ExecutionOutput execution_output(const RundeckSettings &settings, const std::string &token, const std::string &id,
                                   int lines, const std::atomic<bool> &abort);

  // The project's jobs: GET /api/{v}/project/{project}/jobs (the console's job chooser).
  JobsOutcome list_jobs(const RundeckSettings &settings, const std::string &token, const std::string &project,
                        const std::atomic<bool> &abort);

  // The job's info and option definitions (the preflight of a webhook's rules); read-only.
  JobDetails job_details(const RundeckSettings &settings, const std::string &token, const std::string &job_id,
                         const std::atomic<bool> &abort);

private:
  struct Reply;
  Reply perform(const RundeckSettings &settings, const std::string &token, const std::string &url,
                const std::string *post_body, const std::atomic<bool> &abort,
                const char *accept = "application/json");
  void *curl_; // CURL*
};

// The options of Rundeck's job definition export (YAML, or JSON: a list of jobs, the first one's
// "options": a list of {name, required, value, storagePath}, or a map by name as older Rundecks
// write it). nullopt when `text` is not such a definition.
std::optional<std::vector<JobOption>> definition_options(const std::string &text);

// The classification of an HTTP status alone (exposed for tests and docs).
RunOutcome::Kind classify_status(long http_status);

// Whether `e` is the run of `request_json` (Rundeck's run call body): every option sent has the
// same value in the execution (Rundeck adds the job's defaults), and when asUser was sent, the
// execution runs as that user; else, when `token_user` is known, as that user.
bool execution_matches(const Execution &e, const std::string &request_json, const std::string &token_user);

} // namespace rdwh::gateway
