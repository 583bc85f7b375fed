// PagerDuty's REST API as the gateway calls it to write a job's result back onto its incident:
// post a note (POST {apiUrl}/incidents/{id}/notes), list the notes (GET, to find the marker of a
// note whose post had an unknown outcome), resolve the incident (PUT {apiUrl}/incidents/{id}).
// One instance per thread (it keeps a libcurl handle, so connections are reused). The token is
// never in an outcome, a reason or a log line.
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rdwh::gateway {

struct PagerDutyOutcome {
  enum class Kind {
    ok,      // 2xx: done
    retry,   // it did not happen; try later: 5xx, 429 (retry_after_ms), nothing sent, a query that failed
    stop,    // PagerDuty says no, for good: 400 (e.g. From is not a user), 404 (no such incident), other 4xx
    auth,    // 401/403: the token is missing, wrong or lacks the right; not the incident's fault: wait for a fix
    unknown  // it may have happened: timeout or reset after the request was sent, a proxy's 502/504 to a
             // post: list the incident's notes for the marker before posting again
  };
  Kind kind = Kind::retry;
  long http_status = 0;        // 0: no HTTP answer
  std::string reason;          // PagerDuty's message, or the transport error; never holds the token
  int64_t retry_after_ms = -1; // 429: its Retry-After, else its ratelimit-reset, in ms
  std::string note_id;         // post_note ok: the note's id, when PagerDuty gave it
};

// The answer to a search of an incident's notes: outcome ok when the list was read, then `found`.
struct NoteSearch {
  PagerDutyOutcome outcome;
  bool found = false;
  std::string note_id;
};

class PagerDutyClient {
public:
  PagerDutyClient();
  ~PagerDutyClient();
  PagerDutyClient(const PagerDutyClient &) = delete;
  PagerDutyClient &operator=(const PagerDutyClient &) = delete;

  // `abort`: when it becomes true, the call in progress ends at once (unknown when the request was
  // sent: the gateway is stopping).
  PagerDutyOutcome post_note(const PagerDutySettings &settings, const std::string &token,
                             const std::string &incident_id, const std::string &content,
                             const std::atomic<bool> &abort);
  // Whether one of the incident's notes contains `marker` (note_marker()).
  NoteSearch find_note(const PagerDutySettings &settings, const std::string &token, const std::string &incident_id,
                       const std::string &marker, const std::atomic<bool> &abort);
  // Sets the incident's status to resolved (resolving a resolved incident is ok too).
  PagerDutyOutcome resolve(const PagerDutySettings &settings, const std::string &token,
                           const std::string &incident_id, const std::atomic<bool> &abort);

private:
  struct Reply;
  Reply perform(const PagerDutySettings &settings, const std::string &token, const std::string &url,
                const char *method, const std::string *body, const std::atomic<bool> &abort);
  void *curl_; // CURL*
};

// What an HTTP status means (`changes`: the call posts something, so a proxy's 502/504 may hide
// that PagerDuty did it). Exposed for tests and docs.
PagerDutyOutcome::Kind classify_pagerduty_status(long http_status, bool changes);

// What a note says about one execution.
struct NoteContent {
  std::string job_name, execution_id, status; // status: Rundeck's final one (succeeded, failed, ...)
  int64_t duration_ms = -1;                   // -1: unknown
  std::string permalink;                      // Rundeck's page of the execution
  std::vector<std::string> log_lines;         // the execution's log (its end is shown)
  std::string log_unavailable;                // why the log could not be read ("": it was)
  int output_lines = 10;                      // followUp.outputLines: how many of the last lines
  std::vector<std::string> secrets;           // values from key storage: shown as **** wherever they appear
};

// "[rdwh execution ID]": every note carries it, so a post of unknown outcome is found again.
std::string note_marker(const std::string &execution_id);

// The note's text: the job, the execution and its final status, the duration, the permalink, the
// last output_lines lines of its log, the marker last. Secrets replaced by ****; the whole kept
// under PagerDuty's note size (the oldest log lines go first).
std::string render_note(const NoteContent &note);

} // namespace rdwh::gateway
