// A stand-in for Rundeck's job run and executions API, for the gateway's tests (loopback only),
// with the ways a production Rundeck (or the proxy in front of it) fails.
//
//   rdwh-rundeck-standin --record FILE [--port N] [--port-file FILE] [--token T] [--project P]
//
// API (answers in the shape of Rundeck's API docs; errors in its envelope
// {"error":true,"apiversion":N,"errorCode":"...","message":"..."}):
//   POST /api/{v}/job/{id}/run          runs the job: creates an execution {"id":N,...} and answers
//                                       200 with it. 404 when the id starts with "missing-", 400
//                                       (options invalid) when it starts with "invalid-".
//   GET  /api/{v}/job/{id}/executions?max=&offset=                       newest first, with paging
//   GET  /api/{v}/project/{p}/executions?jobIdListFilter=&begin=&max=    begin: epoch ms or ISO-8601
//   GET  /api/{v}/project/{p}/executions/running   the project's executions not ended
//   GET  /api/{v}/execution/{id}         "running", then its final status with date-ended (see
//                                        /_control/executions); 404 for an id it never made
//   GET  /api/{v}/execution/{id}/output  a few log lines (entries[] with "log"), as Rundeck's
//   GET  /api/{v}/project/{p}/jobs       the project's jobs (kJobs below), in the shape of Rundeck's job list
//   GET  /api/{v}/job/{id}/info          a job of kJobs (in --project), as Rundeck's job info; 404 otherwise
//                                        (and for "missing-job")
//   GET  /api/{v}/job/{id}?format=yaml   its definition, as Rundeck's YAML export, with its options
//   Every API call needs X-Rundeck-Auth-Token equal to --token (when given), else 403 as Rundeck
//   answers an expired or wrong token. An execution runs as the body's asUser, else as "admin".
// Record: one JSON line per API call in FILE, written when the call arrives:
//   {"seq","ms","method","path","jobId","token","contentType","body","status","executed","executionId"}
//   (ms: when it arrived, epoch milliseconds); a run call also has "alsoInFlight": the seqs of the
//   run calls not yet answered when it arrived, so tests assert overlap and order from the record,
//   never from clocks.
//   `executed` is true when the call created an execution (what "ran" means in the tests).
// Control:
//   POST /_control/fail?count=N&status=S   the next N runs answer S (default 503), nothing runs
//   POST /_control/fault?kind=K&count=N[&ms=D]   the next N runs fail this way:
//        hang: runs, then holds the answer D ms (default 60000; a client times out first)
//        reset: runs, then drops the connection without an answer
//        html: nothing runs; 200 with an HTML login page (an SSO proxy)
//        html-after-run: runs; 200 with an HTML page (a proxy that mangles the answer)
//        gateway-timeout: runs; 504 from a proxy
//   POST /_control/delay?ms=D              runs at once, answers D ms later (0: none)
//   POST /_control/lag?ms=D                each run call waits D ms before it creates its execution
//                                          (and is recorded): a Rundeck slow to start a job, which
//                                          still starts it when the client gave up waiting (0: none)
//   GET  /_control/arrived                 the number of run calls that arrived (lagging ones too)
//   POST /_control/gather?calls=N          the next run calls are answered only once N of them are
//                                          in flight at once (or after 60 s, which a test then sees
//                                          in the record), then everything flows again
//   GET  /_control/inflight                the number of run calls not yet answered
//   POST /_control/token?value=T           the token accepted from now on
//   POST /_control/hang?ms=D               job info and definition requests hold their answer D ms
//                                          (0: none): a Rundeck that does not answer
//   POST /_control/executions?after_ms=D&status=S   executions created from now on end D ms after
//                                          they start with status S (succeeded, failed, aborted...);
//                                          after_ms=-1: only when /_control/executions/finish says.
//                                          Default: they end at once, succeeded. A job whose id
//                                          starts with "failing-" always ends failed
//   POST /_control/executions/finish       every execution not ended ends now (with its status)
//   GET  /_control/ping                    200 "ok" (readiness)
// SIGTERM/SIGINT: exit 0. Port 0 (default) picks a free port; --port-file receives it.
#include <microhttpd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <condition_variable>
#include <vector>

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct Execution {
  long id = 0;
  std::string job_id, project, user;
  int64_t started_ms = 0;
  std::string options_json; // {"name":"value",...}
  int64_t ends_ms = 0;      // when it ends (-1: when told to, /_control/executions/finish)
  std::string final_status = "succeeded";
  bool ended(int64_t now) const { return ends_ms >= 0 && now >= ends_ms; }
};

struct State {
  int record_fd = -1;
  std::string project = "ops";
  std::mutex mu;
  long seq = 0;
  long next_execution = 1000;
  std::string token; // empty: any token
  int fail_count = 0, fail_status = 503;
  int fault_count = 0, fault_ms = 60000;
  std::string fault_kind;
  std::vector<Execution> executions;
  std::atomic<int> delay_ms{0};
  std::atomic<int> lag_ms{0};
  std::atomic<int> hang_ms{0};
  std::atomic<long> arrived{0};
  int64_t end_after_ms = 0; // what new executions do (see /_control/executions)
  std::string end_status = "succeeded";
  std::set<long> run_calls_in_flight; // their seqs
  size_t gather = 0;                  // answer no run call before this many are in flight
  std::condition_variable in_flight_changed;
  std::atomic<bool> stopping{false};
};

struct Pending {
  std::string body;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso8601(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Epoch ms, or ISO-8601 "yyyy-MM-ddTHH:mm:ssZ"; -1 when neither.
int64_t parse_time(const char *s) {
  if (!s || !*s) return -1;
  if (std::all_of(s, s + std::strlen(s), [](char c) { return c >= '0' && c <= '9'; })) return std::atoll(s);
  std::tm tm{};
  if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

MHD_Result reply(MHD_Connection *c, unsigned int status, const std::string &body, const char *type) {
  MHD_Response *r = MHD_create_response_from_buffer(body.size(), const_cast<char *>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", type);
  const MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

std::string envelope(int status, const std::string &code, const std::string &message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("error"), w.Bool(true);
  w.Key("apiversion"), w.Int(41);
  w.Key("errorCode"), w.String(code.c_str());
  w.Key("message"), w.String((message + " (HTTP " + std::to_string(status) + ")").c_str());
  w.EndObject();
  return buf.GetString();
}

const char *arg(MHD_Connection *c, const char *name) { return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name); }
int int_arg(MHD_Connection *c, const char *name, int fallback) {
  const char *v = arg(c, name);
  return v ? std::atoi(v) : fallback;
}

void write_execution(Writer &w, const Execution &e) {
  const std::string href = "http://127.0.0.1/api/41/execution/" + std::to_string(e.id);
  const std::string permalink = "http://127.0.0.1/project/" + e.project + "/execution/show/" + std::to_string(e.id);
  const bool ended = e.ended(now_ms());
  w.StartObject();
  w.Key("id"), w.Int64(e.id);
  w.Key("href"), w.String(href.c_str());
  w.Key("permalink"), w.String(permalink.c_str());
  w.Key("status"), w.String(ended ? e.final_status.c_str() : "running");
  if (ended) {
    w.Key("date-ended");
    w.StartObject();
    w.Key("unixtime"), w.Int64(e.ends_ms);
    w.Key("date"), w.String(iso8601(e.ends_ms).c_str());
    w.EndObject();
  }
  w.Key("project"), w.String(e.project.c_str());
  w.Key("executionType"), w.String("user");
  w.Key("user"), w.String(e.user.c_str());
  w.Key("date-started");
  w.StartObject();
  w.Key("unixtime"), w.Int64(e.started_ms);
  w.Key("date"), w.String(iso8601(e.started_ms).c_str());
  w.EndObject();
  w.Key("job");
  w.StartObject();
  w.Key("id"), w.String(e.job_id.c_str());
  w.Key("name"), w.String(e.job_id.c_str());
  w.Key("group"), w.String("");
  w.Key("project"), w.String(e.project.c_str());
  w.Key("options");
  w.RawValue(e.options_json.data(), e.options_json.size(), rapidjson::kObjectType);
  w.EndObject();
  w.Key("description"), w.String("");
  w.EndObject();
}

// The execution's log as Rundeck's output API writes it: a few lines, the last its status.
std::string output_json(const Execution &e) {
  const bool ended = e.ended(now_ms());
  const std::vector<std::string> lines = {"starting job " + e.job_id + " as " + e.user, "options: " + e.options_json,
                                          "working on it",
                                          ended ? "finished: " + e.final_status : std::string("still running")};
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id"), w.String(std::to_string(e.id).c_str());
  w.Key("execCompleted"), w.Bool(ended);
  w.Key("execState"), w.String(ended ? e.final_status.c_str() : "running");
  w.Key("entries");
  w.StartArray();
  for (const std::string &l : lines) {
    w.StartObject();
    w.Key("log"), w.String(l.c_str());
    w.Key("level"), w.String("NORMAL");
    w.Key("time"), w.String(iso8601(e.started_ms).substr(11, 8).c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string executions_json(const std::vector<const Execution *> &all, size_t offset, size_t max) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const size_t end = std::min(all.size(), offset + max);
  w.StartObject();
  w.Key("paging");
  w.StartObject();
  w.Key("count"), w.Int64(static_cast<int64_t>(end > offset ? end - offset : 0));
  w.Key("total"), w.Int64(static_cast<int64_t>(all.size()));
  w.Key("offset"), w.Int64(static_cast<int64_t>(offset));
  w.Key("max"), w.Int64(static_cast<int64_t>(max));
  w.EndObject();
  w.Key("executions");
  w.StartArray();
  for (size_t i = offset; i < end; ++i) write_execution(w, *all[i]);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

// Splits "/api/{v}/a/b/c" into {"a","b","c"}; empty when it is not an API path.
std::vector<std::string> api_parts(const std::string &path) {
  std::vector<std::string> parts;
  if (path.rfind("/api/", 0) != 0) return parts;
  size_t start = 5;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() < 2) return {};
  parts.erase(parts.begin()); // the version
  return parts;
}

// One line of the record, as described at the top; returns its seq. Caller holds s.mu.
long record(State &s, MHD_Connection *c, const char *method, const std::string &path, const std::string &job_id,
            const std::string &body, int status, long execution, bool run_call = false) {
  const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Rundeck-Auth-Token");
  const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  rapidjson::Document parsed;
  parsed.Parse(body.data(), body.size());
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  const long seq = ++s.seq;
  w.Key("seq"), w.Int64(seq);
  w.Key("ms"), w.Int64(now_ms());
  w.Key("method"), w.String(method);
  w.Key("path"), w.String(path.c_str());
  w.Key("jobId"), w.String(job_id.c_str());
  w.Key("token"), w.String(token ? token : "");
  w.Key("contentType"), w.String(ctype ? ctype : "");
  w.Key("body");
  if (body.empty()) w.Null();
  else if (!parsed.HasParseError()) parsed.Accept(w);
  else w.String(body.data(), static_cast<rapidjson::SizeType>(body.size()));
  w.Key("status"), w.Int(status);
  w.Key("executed"), w.Bool(execution != 0);
  w.Key("executionId"), w.Int64(execution);
  if (run_call) {
    w.Key("alsoInFlight");
    w.StartArray();
    for (long other : s.run_calls_in_flight) w.Int64(other);
    w.EndArray();
  }
  w.EndObject();
  std::string line(buf.GetString(), buf.GetSize());
  line += '\n';
  if (::write(s.record_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::perror("record");
  return seq;
}

// A run call is in flight from its arrival to its answer. With a gather set, it waits until that
// many are in flight together (the first to see them all ends the gathering).
void run_call_arrived(State &s, std::unique_lock<std::mutex> &lock, long seq) {
  s.run_calls_in_flight.insert(seq);
  s.in_flight_changed.notify_all();
  if (s.gather == 0) return;
  s.in_flight_changed.wait_for(lock, std::chrono::seconds(60),
                               [&] { return s.gather == 0 || s.run_calls_in_flight.size() >= s.gather || s.stopping; });
  s.gather = 0;
  s.in_flight_changed.notify_all();
}

void run_call_answered(State &s, long seq) {
  std::lock_guard lock(s.mu);
  s.run_calls_in_flight.erase(seq);
}

bool authorised(State &s, MHD_Connection *c) {
  if (s.token.empty()) return true;
  const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Rundeck-Auth-Token");
  return token && s.token == token;
}

// The jobs every project of the stand-in lists (the console's job chooser): {id, name, group,
// description}, and the options of their definitions ("name:required:default", ';' between).
struct JobInfo {
  const char *id, *name, *group, *description, *options;
};
constexpr JobInfo kJobs[] = {
    {"9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01", "Diagnose incident", "pagerduty", "Collects diagnostics for an incident",
     "pd_incident_id:false:;verbosity:true:info"},
    {"3a13fca8-0000-4000-8000-000000000001", "Restart service", "pagerduty/remediation", "Restarts the incident's service",
     ""},
    {"missing-job", "Deleted job", "", "Rundeck answers 404 when it is run", ""},
    {"5e1f0c2a-0000-4000-8000-00000000000a", "Page on-call", "pagerduty", "Needs the incident id",
     "pd_incident_id:true:;team:true:ops;note:false:"},
};

const JobInfo *find_job(const std::string &id) {
  for (const JobInfo &j : kJobs)
    if (id == j.id && id.rfind("missing-", 0) != 0) return &j;
  return nullptr;
}

// A job as Rundeck's job list writes it; its info (GET job/{id}/info) adds averageDuration.
void write_job(Writer &w, const JobInfo &j, const std::string &project, bool info) {
  const std::string href = std::string("http://127.0.0.1/api/41/job/") + j.id;
  w.StartObject();
  w.Key("id"), w.String(j.id);
  w.Key("name"), w.String(j.name);
  w.Key("group"), w.String(j.group);
  w.Key("project"), w.String(project.c_str());
  w.Key("description"), w.String(j.description);
  w.Key("href"), w.String(href.c_str());
  w.Key("permalink"), w.String(href.c_str());
  w.Key("scheduled"), w.Bool(false);
  w.Key("scheduleEnabled"), w.Bool(true);
  w.Key("enabled"), w.Bool(true);
  if (info) w.Key("averageDuration"), w.Int(1200);
  w.EndObject();
}

std::string job_info_json(const JobInfo &j, const std::string &project) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_job(w, j, project, true);
  return buf.GetString();
}

// The job as Rundeck's definition export writes it (format=yaml): a list of one job.
std::string job_yaml(const JobInfo &j) {
  std::string y = std::string("- id: ") + j.id + "\n  uuid: " + j.id + "\n  name: " + j.name + "\n  group: '" + j.group +
                  "'\n  description: " + j.description + "\n  loglevel: INFO\n  nodeFilterEditable: false\n";
  std::string spec = j.options;
  if (!spec.empty()) y += "  options:\n";
  for (size_t start = 0; start < spec.size();) {
    size_t end = spec.find(';', start);
    if (end == std::string::npos) end = spec.size();
    const std::string one = spec.substr(start, end - start);
    const size_t c1 = one.find(':'), c2 = one.find(':', c1 + 1);
    y += "  - name: " + one.substr(0, c1) + "\n";
    if (one.substr(c1 + 1, c2 - c1 - 1) == "true") y += "    required: true\n";
    if (c2 + 1 < one.size()) y += "    value: " + one.substr(c2 + 1) + "\n";
    start = end + 1;
  }
  y += "  sequence:\n    keepgoing: false\n    strategy: node-first\n    commands:\n    - exec: echo ok\n";
  return y;
}

std::string jobs_json(const std::string &project) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const JobInfo &j : kJobs) write_job(w, j, project, false);
  w.EndArray();
  return buf.GetString();
}

const char *const kLoginPage = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method=\"post\">"
                               "<input name=\"user\"><input type=\"password\" name=\"password\"></form></body></html>";

MHD_Result run_job(State &s, MHD_Connection *c, const std::string &path, const std::string &job_id,
                   const std::string &body) {
  int status = 200;
  long execution = 0;
  std::string answer, type = "application/json", fault;
  int hold_ms = 0;
  long seq = 0;
  s.arrived.fetch_add(1);
  const int lag = s.lag_ms.load();
  for (int waited = 0; waited < lag && !s.stopping; waited += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::unique_lock lock(s.mu);
    bool runs = false;
    if (!authorised(s, c)) {
      status = 403;
      answer = envelope(403, "api.error.item.unauthorized", "Not authorized: invalid or expired token");
    } else if (job_id.rfind("missing-", 0) == 0) {
      status = 404;
      answer = envelope(404, "api.error.item.doesnotexist", "Job ID does not exist: " + job_id);
    } else if (job_id.rfind("invalid-", 0) == 0) {
      status = 400;
      answer = envelope(400, "api.error.job.options-invalid", "Job options were not valid: Option 'x' is required");
    } else if (s.fail_count > 0) {
      --s.fail_count;
      status = s.fail_status;
      answer = envelope(status, status == 409 ? "api.error.execution.conflict" : "api.error.unavailable",
                        "stand-in told to fail");
    } else if (s.fault_count > 0) {
      --s.fault_count;
      fault = s.fault_kind;
      runs = fault != "html";
      hold_ms = fault == "hang" ? s.fault_ms : 0;
    } else {
      runs = true;
    }
    if (runs) {
      Execution e;
      e.id = s.next_execution++;
      e.job_id = job_id;
      e.project = s.project;
      e.user = "admin";
      e.started_ms = now_ms();
      e.options_json = "{}";
      e.ends_ms = s.end_after_ms < 0 ? -1 : e.started_ms + s.end_after_ms;
      // A job whose id starts with "failing-" always ends failed (an event whose jobs end differently).
      e.final_status = job_id.rfind("failing-", 0) == 0 ? "failed" : s.end_status;
      rapidjson::Document req;
      req.Parse(body.data(), body.size());
      if (!req.HasParseError() && req.IsObject()) {
        if (auto u = req.FindMember("asUser"); u != req.MemberEnd() && u->value.IsString()) e.user = u->value.GetString();
        if (auto o = req.FindMember("options"); o != req.MemberEnd() && o->value.IsObject()) {
          rapidjson::StringBuffer ob;
          Writer ow(ob);
          o->value.Accept(ow);
          e.options_json = ob.GetString();
        }
      }
      execution = e.id;
      s.executions.push_back(e);
      rapidjson::StringBuffer buf;
      Writer w(buf);
      write_execution(w, e);
      answer = buf.GetString();
    }
    if (fault == "html" || fault == "html-after-run") {
      answer = kLoginPage;
      type = "text/html; charset=utf-8";
    } else if (fault == "gateway-timeout") {
      status = 504;
      answer = "<html><body>504 Gateway Time-out</body></html>";
      type = "text/html";
    }
    seq = record(s, c, "POST", path, job_id, body, fault == "reset" ? 0 : status, execution, true);
    run_call_arrived(s, lock, seq);
  }
  if (fault == "reset") {
    run_call_answered(s, seq);
    return MHD_NO; // drops the connection: the client never hears back
  }
  for (int waited = 0; waited < hold_ms && !s.stopping; waited += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (const int d = s.delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
  const MHD_Result answered = reply(c, static_cast<unsigned int>(status), answer, type.c_str());
  run_call_answered(s, seq);
  return answered;
}

MHD_Result query(State &s, MHD_Connection *c, const std::string &path, const std::vector<std::string> &parts) {
  const bool job_read = parts.size() >= 2 && parts[0] == "job" && (parts.size() == 2 || parts[2] == "info");
  if (job_read) // a Rundeck that does not answer: held outside the lock, ended by a stop
    for (int waited = 0, hold = s.hang_ms.load(); waited < hold && !s.stopping; waited += 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::lock_guard lock(s.mu);
  const std::string job = parts.size() >= 2 && parts[0] == "job" ? parts[1] : "";
  if (!authorised(s, c)) {
    record(s, c, "GET", path, job, "", 403, 0);
    return reply(c, 403, envelope(403, "api.error.item.unauthorized", "Not authorized: invalid or expired token"),
                 "application/json");
  }
  if (job_read && parts.size() <= 3) {
    const JobInfo *j = find_job(job);
    if (!j) {
      record(s, c, "GET", path, job, "", 404, 0);
      return reply(c, 404, envelope(404, "api.error.item.doesnotexist", "Job ID does not exist: " + job),
                   "application/json");
    }
    record(s, c, "GET", path, job, "", 200, 0);
    if (parts.size() == 3) return reply(c, 200, job_info_json(*j, s.project), "application/json");
    const char *format = arg(c, "format");
    if (!format || std::string(format) != "yaml")
      return reply(c, 400, envelope(400, "api.error.invalid.request", "the stand-in exports format=yaml only"),
                   "application/json");
    return reply(c, 200, job_yaml(*j), "text/yaml");
  }
  if (parts.size() == 3 && parts[0] == "project" && parts[2] == "jobs") {
    record(s, c, "GET", path, "", "", 200, 0);
    return reply(c, 200, jobs_json(parts[1]), "application/json");
  }
  std::vector<const Execution *> found; // newest first
  for (auto it = s.executions.rbegin(); it != s.executions.rend(); ++it) found.push_back(&*it);
  const size_t max = static_cast<size_t>(std::max(1, int_arg(c, "max", 20)));
  const size_t offset = static_cast<size_t>(std::max(0, int_arg(c, "offset", 0)));
  if (parts.size() == 3 && parts[0] == "job" && parts[2] == "executions") {
    found.erase(std::remove_if(found.begin(), found.end(), [&](const Execution *e) { return e->job_id != parts[1]; }),
                found.end());
  } else if (parts.size() == 3 && parts[0] == "project" && parts[2] == "executions") {
    const char *jobs = arg(c, "jobIdListFilter");
    const int64_t begin = parse_time(arg(c, "begin"));
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Execution *e) {
                                 return e->project != parts[1] || (jobs && e->job_id != jobs) ||
                                        (begin >= 0 && e->started_ms < begin);
                               }),
                found.end());
  } else if (parts.size() == 4 && parts[0] == "project" && parts[2] == "executions" && parts[3] == "running") {
    const int64_t now = now_ms();
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Execution *e) { return e->project != parts[1] || e->ended(now); }),
                found.end());
  } else if (parts.size() == 3 && parts[0] == "execution" && parts[2] == "output") {
    for (const Execution *e : found)
      if (std::to_string(e->id) == parts[1]) {
        record(s, c, "GET", path, e->job_id, "", 200, 0);
        return reply(c, 200, output_json(*e), "application/json");
      }
    record(s, c, "GET", path, "", "", 404, 0);
    return reply(c, 404, envelope(404, "api.error.item.doesnotexist", "Execution ID does not exist: " + parts[1]),
                 "application/json");
  } else if (parts.size() == 2 && parts[0] == "execution") {
    for (const Execution *e : found)
      if (std::to_string(e->id) == parts[1]) {
        record(s, c, "GET", path, e->job_id, "", 200, 0);
        rapidjson::StringBuffer buf;
        Writer w(buf);
        write_execution(w, *e);
        return reply(c, 200, buf.GetString(), "application/json");
      }
    record(s, c, "GET", path, "", "", 404, 0);
    return reply(c, 404, envelope(404, "api.error.item.doesnotexist", "Execution ID does not exist: " + parts[1]),
                 "application/json");
  } else {
    return reply(c, 404, envelope(404, "api.error.invalid.request", "no such endpoint"), "application/json");
  }
  record(s, c, "GET", path, job, "", 200, 0);
  return reply(c, 200, executions_json(found, offset, max), "application/json");
}

MHD_Result on_access(void *cls, MHD_Connection *c, const char *url, const char *method, const char *,
                     const char *upload_data, size_t *upload_data_size, void **req_cls) {
  auto &s = *static_cast<State *>(cls);
  auto *p = static_cast<Pending *>(*req_cls);
  if (!p) {
    *req_cls = new Pending();
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (p->body.size() < 1024 * 1024) p->body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  const std::string path = url, m = method;
  if (m == "GET" && path == "/_control/ping") return reply(c, 200, "ok", "text/plain");
  if (m == "GET" && path == "/_control/inflight") {
    std::lock_guard lock(s.mu);
    return reply(c, 200, std::to_string(s.run_calls_in_flight.size()), "text/plain");
  }
  if (m == "GET" && path == "/_control/arrived") return reply(c, 200, std::to_string(s.arrived.load()), "text/plain");
  if (m == "POST" && path.rfind("/_control/", 0) == 0) {
    std::lock_guard lock(s.mu);
    if (path == "/_control/fail") {
      s.fail_count = int_arg(c, "count", 1);
      s.fail_status = int_arg(c, "status", 503);
    } else if (path == "/_control/fault") {
      s.fault_kind = arg(c, "kind") ? arg(c, "kind") : "";
      s.fault_count = int_arg(c, "count", 1);
      s.fault_ms = int_arg(c, "ms", 60000);
    } else if (path == "/_control/delay") {
      s.delay_ms = int_arg(c, "ms", 0);
    } else if (path == "/_control/hang") {
      s.hang_ms = int_arg(c, "ms", 0);
    } else if (path == "/_control/lag") {
      s.lag_ms = int_arg(c, "ms", 0);
    } else if (path == "/_control/gather") {
      s.gather = static_cast<size_t>(int_arg(c, "calls", 0));
      s.in_flight_changed.notify_all();
    } else if (path == "/_control/executions") {
      s.end_after_ms = int_arg(c, "after_ms", 0);
      s.end_status = arg(c, "status") ? arg(c, "status") : "succeeded";
    } else if (path == "/_control/executions/finish") {
      const int64_t now = now_ms();
      for (Execution &e : s.executions)
        if (!e.ended(now)) e.ends_ms = now;
    } else if (path == "/_control/token") {
      s.token = arg(c, "value") ? arg(c, "value") : "";
    } else {
      return reply(c, 404, "{}", "application/json");
    }
    return reply(c, 200, "{}", "application/json");
  }
  const std::vector<std::string> parts = api_parts(path);
  if (m == "POST" && parts.size() == 3 && parts[0] == "job" && parts[2] == "run" && !parts[1].empty())
    return run_job(s, c, path, parts[1], p->body);
  if (m == "GET" && !parts.empty()) return query(s, c, path, parts);
  return reply(c, 404, envelope(404, "api.error.invalid.request", "no such endpoint"), "application/json");
}

void on_completed(void *, MHD_Connection *, void **req_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending *>(*req_cls);
  *req_cls = nullptr;
}

int usage() {
  std::fprintf(stderr, "usage: rdwh-rundeck-standin --record FILE [--port N] [--port-file FILE] [--token T] "
                       "[--project P]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string record_path, port_file;
  int port = 0;
  State state;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--record") record_path = argv[++i];
    else if (a == "--port") port = std::atoi(argv[++i]);
    else if (a == "--port-file") port_file = argv[++i];
    else if (a == "--token") state.token = argv[++i];
    else if (a == "--project") state.project = argv[++i];
    else return usage();
  }
  if (record_path.empty()) return usage();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  state.record_fd = ::open(record_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (state.record_fd < 0) {
    std::perror(record_path.c_str());
    return 1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                   static_cast<uint16_t>(port), nullptr, nullptr, &on_access, &state,
                                   MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr *>(&addr),
                                   MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
  if (!d) {
    std::fprintf(stderr, "rdwh-rundeck-standin: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  const MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  const unsigned port_bound = info ? info->port : static_cast<unsigned>(port);
  if (!port_file.empty()) {
    // Written whole, then renamed: a reader never sees a partial number.
    const std::string tmp = port_file + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "w");
    if (!f || std::fprintf(f, "%u\n", port_bound) < 0 || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::perror(port_file.c_str());
      MHD_stop_daemon(d);
      return 1;
    }
  }
  int sig = 0;
  sigwait(&signals, &sig);
  {
    std::lock_guard lock(state.mu);
    state.stopping = true;
    state.in_flight_changed.notify_all();
  }
  MHD_stop_daemon(d);
  ::close(state.record_fd);
  return 0;
}
