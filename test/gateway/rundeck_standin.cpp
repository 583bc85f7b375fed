// A stand-in for Rundeck's job run API, for the gateway's end-to-end tests (loopback only).
//
//   rdwh-rundeck-standin --record FILE [--port N] [--port-file FILE]
//
// POST /api/{v}/job/{id}/run   records the request as one JSON line in FILE, then answers:
//     - 404 with Rundeck's error envelope when the job id starts with "missing-";
//     - the status set by /_control/fail while its count lasts (with an error envelope);
//     - else 200 with an execution object {"id": N, ...}.
//   Recorded: {"seq","method","path","token","contentType","body","status","executionId"}; `body`
//   is the request's JSON (or a string when it is not JSON). Recorded on arrival, before any delay.
// POST /_control/fail?count=N&status=S   answer the next N run requests with S (default 503)
// POST /_control/delay?ms=D               hold each run answer D ms (0: none)
// GET  /_control/ping                     200 "ok" (readiness)
// SIGTERM/SIGINT: exit 0. Port 0 (default) picks a free port; --port-file receives it.
#include <microhttpd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace {

struct State {
  int record_fd = -1;
  std::mutex mu;
  long seq = 0;
  long next_execution = 1000;
  int fail_count = 0;
  int fail_status = 503;
  std::atomic<int> delay_ms{0};
};

struct Pending {
  std::string body;
};

MHD_Result reply(MHD_Connection *c, unsigned int status, const std::string &body, const char *type) {
  MHD_Response *r = MHD_create_response_from_buffer(body.size(), const_cast<char *>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", type);
  const MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

std::string envelope(int status, const std::string &code, const std::string &message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error"), w.Bool(true);
  w.Key("apiversion"), w.Int(41);
  w.Key("errorCode"), w.String(code.c_str());
  w.Key("message"), w.String((message + " (HTTP " + std::to_string(status) + ")").c_str());
  w.EndObject();
  return buf.GetString();
}

const char *arg(MHD_Connection *c, const char *name) { return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name); }

// "/api/{v}/job/{id}/run" -> id; empty when the path is something else.
std::string run_job_id(const std::string &path) {
  if (path.rfind("/api/", 0) != 0) return "";
  const size_t job = path.find("/job/");
  const std::string suffix = "/run";
  if (job == std::string::npos || path.size() < suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  const size_t start = job + 5;
  const size_t end = path.size() - suffix.size();
  return end > start ? path.substr(start, end - start) : "";
}

MHD_Result run_job(State &s, MHD_Connection *c, const std::string &path, const std::string &job_id,
                   const std::string &body) {
  const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Rundeck-Auth-Token");
  const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  int status = 200;
  long execution = 0;
  std::string answer;
  std::string line;
  {
    std::lock_guard lock(s.mu);
    const long seq = ++s.seq;
    if (job_id.rfind("missing-", 0) == 0) {
      status = 404;
      answer = envelope(404, "api.error.item.doesnotexist", "Job ID does not exist: " + job_id);
    } else if (s.fail_count > 0) {
      --s.fail_count;
      status = s.fail_status;
      answer = envelope(status, status == 409 ? "api.error.execution.conflict" : "api.error.unavailable",
                        "stand-in told to fail");
    } else {
      execution = s.next_execution++;
      answer = "{\"id\":" + std::to_string(execution) + ",\"href\":\"http://127.0.0.1/api/41/execution/" +
               std::to_string(execution) + "\",\"status\":\"running\",\"job\":{\"id\":\"" + job_id + "\"}}";
    }
    rapidjson::Document parsed;
    parsed.Parse(body.data(), body.size());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("seq"), w.Int64(seq);
    w.Key("method"), w.String("POST");
    w.Key("path"), w.String(path.c_str());
    w.Key("jobId"), w.String(job_id.c_str());
    w.Key("token"), w.String(token ? token : "");
    w.Key("contentType"), w.String(ctype ? ctype : "");
    w.Key("body");
    if (!parsed.HasParseError()) parsed.Accept(w);
    else w.String(body.data(), static_cast<rapidjson::SizeType>(body.size()));
    w.Key("status"), w.Int(status);
    w.Key("executionId"), w.Int64(execution);
    w.EndObject();
    line.assign(buf.GetString(), buf.GetSize());
    line += '\n';
    if (::write(s.record_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::perror("record");
  }
  if (const int d = s.delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
  return reply(c, static_cast<unsigned int>(status), answer, "application/json");
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
  if (m == "POST" && path == "/_control/fail") {
    std::lock_guard lock(s.mu);
    s.fail_count = arg(c, "count") ? std::atoi(arg(c, "count")) : 1;
    s.fail_status = arg(c, "status") ? std::atoi(arg(c, "status")) : 503;
    return reply(c, 200, "{}", "application/json");
  }
  if (m == "POST" && path == "/_control/delay") {
    s.delay_ms = arg(c, "ms") ? std::atoi(arg(c, "ms")) : 0;
    return reply(c, 200, "{}", "application/json");
  }
  if (m == "POST") {
    const std::string job = run_job_id(path);
    if (!job.empty()) return run_job(s, c, path, job, p->body);
  }
  return reply(c, 404, envelope(404, "api.error.invalid.request", "no such endpoint"), "application/json");
}

void on_completed(void *, MHD_Connection *, void **req_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending *>(*req_cls);
  *req_cls = nullptr;
}

int usage() {
  std::fprintf(stderr, "usage: rdwh-rundeck-standin --record FILE [--port N] [--port-file FILE]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string record, port_file;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--record") record = argv[++i];
    else if (a == "--port") port = std::atoi(argv[++i]);
    else if (a == "--port-file") port_file = argv[++i];
    else return usage();
  }
  if (record.empty()) return usage();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  State state;
  state.record_fd = ::open(record.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (state.record_fd < 0) {
    std::perror(record.c_str());
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
                                   MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
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
  MHD_stop_daemon(d);
  ::close(state.record_fd);
  return 0;
}
