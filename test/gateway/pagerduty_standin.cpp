// A stand-in for PagerDuty's REST API (incidents and their notes), for the gateway's tests
// (loopback only), with the ways PagerDuty (or the network to it) fails.
//
//   rdwh-pagerduty-standin --record FILE [--port N] [--port-file FILE] [--token T] [--incidents ID,ID...]
//
// API (answers in the shape of PagerDuty's REST API v2; errors in its envelope
// {"error":{"message":"...","code":N,"errors":["..."]}}):
//   POST /incidents/{id}/notes   body {"note":{"content":"..."}}: creates the note, 201 {"note":{...}}
//   GET  /incidents/{id}/notes   {"notes":[...]}, oldest first
//   PUT  /incidents/{id}         body {"incident":{"type":"incident_reference","status":"resolved"}}:
//                                200 {"incident":{...}} with the new status
//   GET  /incidents/{id}         {"incident":{"id","status",...}}
//   Every call needs "Authorization: Token token=T" (when --token is given), else 401; POST and PUT
//   need a From header, else 400 ("Requester User Not Found"); an unknown incident is 404.
// Record: one JSON line per API call in FILE, written when the call arrives:
//   {"seq","method","path","authorization","from","accept","contentType","body","status","applied"}
//   (`applied`: the call changed something: a note created, an incident resolved).
// Control:
//   POST /_control/fail?count=N&status=S[&retryAfter=SECS][&reset=SECS]   the next N API calls
//        answer S (default 500), nothing happens; retryAfter/reset: the Retry-After and
//        ratelimit-reset headers (a 429's hints)
//   POST /_control/fault?kind=K&count=N[&ms=D]   the next N calls that change something:
//        hang: applies it, then holds the answer D ms (default 60000; a client times out first)
//        reset: reads the request, applies it, then drops the connection without an answer
//   POST /_control/incident?id=ID           adds a triggered incident
//   POST /_control/token?value=T            the token accepted from now on
//   GET  /_control/notes?incident=ID        the incident's notes (as the API lists them), without a token
//   GET  /_control/ping                     200 "ok" (readiness)
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
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct Note {
  std::string id, content, from;
};

struct Incident {
  std::string status = "triggered";
  std::vector<Note> notes;
};

struct State {
  int record_fd = -1;
  std::mutex mu;
  long seq = 0, next_note = 1;
  std::string token; // empty: any token
  std::map<std::string, Incident> incidents;
  int fail_count = 0, fail_status = 500, retry_after = -1, ratelimit_reset = -1;
  int fault_count = 0, fault_ms = 60000;
  std::string fault_kind;
  std::atomic<bool> stopping{false};
};

struct Pending {
  std::string body;
};

MHD_Result reply(MHD_Connection *c, unsigned int status, const std::string &body, const char *type,
                 int retry_after = -1, int ratelimit_reset = -1) {
  MHD_Response *r = MHD_create_response_from_buffer(body.size(), const_cast<char *>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", type);
  if (retry_after >= 0) MHD_add_response_header(r, "Retry-After", std::to_string(retry_after).c_str());
  if (ratelimit_reset >= 0) MHD_add_response_header(r, "ratelimit-reset", std::to_string(ratelimit_reset).c_str());
  const MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

constexpr const char *kJson = "application/json";

std::string envelope(const std::string &message, int code, const std::string &detail = "") {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message"), w.String(message.c_str());
  w.Key("code"), w.Int(code);
  w.Key("errors");
  w.StartArray();
  if (!detail.empty()) w.String(detail.c_str());
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

const char *header(MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}
const char *arg(MHD_Connection *c, const char *name) { return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name); }
int int_arg(MHD_Connection *c, const char *name, int fallback) {
  const char *v = arg(c, name);
  return v ? std::atoi(v) : fallback;
}

// One line of the record, as described at the top. Caller holds s.mu.
void record(State &s, MHD_Connection *c, const std::string &method, const std::string &path, const std::string &body,
            int status, bool applied) {
  rapidjson::Document parsed;
  parsed.Parse(body.data(), body.size());
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("seq"), w.Int64(++s.seq);
  w.Key("method"), w.String(method.c_str());
  w.Key("path"), w.String(path.c_str());
  for (const auto &[key, name] : {std::pair{"authorization", "Authorization"}, std::pair{"from", "From"},
                                  std::pair{"accept", "Accept"}, std::pair{"contentType", "Content-Type"}}) {
    const char *v = header(c, name);
    w.Key(key), w.String(v ? v : "");
  }
  w.Key("body");
  if (body.empty()) w.Null();
  else if (!parsed.HasParseError()) parsed.Accept(w);
  else w.String(body.data(), static_cast<rapidjson::SizeType>(body.size()));
  w.Key("status"), w.Int(status);
  w.Key("applied"), w.Bool(applied);
  w.EndObject();
  std::string line(buf.GetString(), buf.GetSize());
  line += '\n';
  if (::write(s.record_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::perror("record");
}

void write_note(Writer &w, const Note &n) {
  w.StartObject();
  w.Key("id"), w.String(n.id.c_str());
  w.Key("content"), w.String(n.content.c_str());
  w.Key("created_at"), w.String("2026-01-01T00:00:00Z");
  w.Key("user");
  w.StartObject();
  w.Key("type"), w.String("user_reference");
  w.Key("summary"), w.String(n.from.c_str());
  w.EndObject();
  w.EndObject();
}

std::string notes_json(const Incident &i) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("notes");
  w.StartArray();
  for (const Note &n : i.notes) write_note(w, n);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string incident_json(const std::string &id, const Incident &i) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("incident");
  w.StartObject();
  w.Key("id"), w.String(id.c_str());
  w.Key("type"), w.String("incident");
  w.Key("status"), w.String(i.status.c_str());
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

// The note's content, or "" when the body is not {"note":{"content":"..."}}.
std::string note_content(const std::string &body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("note") || !d["note"].IsObject()) return "";
  const auto &n = d["note"];
  return n.HasMember("content") && n["content"].IsString() ? n["content"].GetString() : "";
}

std::string resolved_status(const std::string &body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("incident") || !d["incident"].IsObject()) return "";
  const auto &i = d["incident"];
  return i.HasMember("status") && i["status"].IsString() ? i["status"].GetString() : "";
}

struct Answer {
  unsigned status = 200;
  std::string body;
  bool applied = false;
  int retry_after = -1, ratelimit_reset = -1;
};

// What an API call gets, before faults. Caller holds s.mu.
Answer api(State &s, MHD_Connection *c, const std::string &m, const std::string &id, bool notes,
           const std::string &body) {
  const char *auth = header(c, "Authorization");
  if (!s.token.empty() && (!auth || std::string(auth) != "Token token=" + s.token))
    return {401, envelope("Unauthorized", 2006)};
  const char *from = header(c, "From");
  if ((m == "POST" || m == "PUT") && (!from || !*from))
    return {400, envelope("Invalid Input Provided", 2001, "Requester User Not Found")};
  auto it = s.incidents.find(id);
  if (it == s.incidents.end()) return {404, envelope("Not Found", 2100, "Incident Not Found")};
  Incident &inc = it->second;
  if (notes && m == "GET") return {200, notes_json(inc)};
  if (notes && m == "POST") {
    const std::string content = note_content(body);
    if (content.empty()) return {400, envelope("Invalid Input Provided", 2001, "Note content is required")};
    inc.notes.push_back({"PN" + std::to_string(s.next_note++), content, from});
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("note");
    write_note(w, inc.notes.back());
    w.EndObject();
    return {201, buf.GetString(), true};
  }
  if (!notes && m == "GET") return {200, incident_json(id, inc)};
  if (!notes && m == "PUT") {
    const std::string status = resolved_status(body);
    if (status != "resolved" && status != "acknowledged")
      return {400, envelope("Invalid Input Provided", 2001, "Incident status must be acknowledged or resolved")};
    inc.status = status;
    return {200, incident_json(id, inc), true};
  }
  return {405, envelope("Method Not Allowed", 2000)};
}

MHD_Result control(State &s, MHD_Connection *c, const std::string &m, const std::string &path) {
  std::lock_guard lock(s.mu);
  if (m == "GET" && path == "/_control/notes") {
    auto it = s.incidents.find(arg(c, "incident") ? arg(c, "incident") : "");
    return it == s.incidents.end() ? reply(c, 404, "{}", kJson) : reply(c, 200, notes_json(it->second), kJson);
  }
  if (m != "POST") return reply(c, 404, "{}", kJson);
  if (path == "/_control/fail") {
    s.fail_count = int_arg(c, "count", 1);
    s.fail_status = int_arg(c, "status", 500);
    s.retry_after = int_arg(c, "retryAfter", -1);
    s.ratelimit_reset = int_arg(c, "reset", -1);
  } else if (path == "/_control/fault") {
    s.fault_kind = arg(c, "kind") ? arg(c, "kind") : "";
    s.fault_count = int_arg(c, "count", 1);
    s.fault_ms = int_arg(c, "ms", 60000);
  } else if (path == "/_control/incident" && arg(c, "id")) {
    s.incidents[arg(c, "id")];
  } else if (path == "/_control/token") {
    s.token = arg(c, "value") ? arg(c, "value") : "";
  } else {
    return reply(c, 404, "{}", kJson);
  }
  return reply(c, 200, "{}", kJson);
}

// "/incidents/{id}" or "/incidents/{id}/notes": the id and whether it is the notes; false otherwise.
bool incident_path(const std::string &path, std::string &id, bool &notes) {
  constexpr std::string_view prefix = "/incidents/";
  if (path.rfind(prefix, 0) != 0) return false;
  std::string rest = path.substr(prefix.size());
  notes = rest.size() > 6 && rest.compare(rest.size() - 6, 6, "/notes") == 0;
  if (notes) rest.resize(rest.size() - 6);
  id = rest;
  return !id.empty() && id.find('/') == std::string::npos;
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
  if (path.rfind("/_control/", 0) == 0) return control(s, c, m, path);
  std::string id;
  bool notes = false;
  if (!incident_path(path, id, notes)) return reply(c, 404, envelope("Not Found", 2100), kJson);
  Answer a;
  std::string fault;
  int hold_ms = 0;
  {
    std::lock_guard lock(s.mu);
    if (s.fail_count > 0) {
      --s.fail_count;
      a = {static_cast<unsigned>(s.fail_status), envelope("Failure on demand", 0), false, s.retry_after,
           s.ratelimit_reset};
    } else {
      a = api(s, c, m, id, notes, p->body);
      if (a.applied && s.fault_count > 0) {
        --s.fault_count;
        fault = s.fault_kind;
        hold_ms = fault == "hang" ? s.fault_ms : 0;
      }
    }
    record(s, c, m, path, p->body, fault == "reset" ? 0 : static_cast<int>(a.status), a.applied);
  }
  if (fault == "reset") return MHD_NO; // drops the connection: the client never hears back
  for (int waited = 0; waited < hold_ms && !s.stopping; waited += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return reply(c, a.status, a.body, kJson, a.retry_after, a.ratelimit_reset);
}

void on_completed(void *, MHD_Connection *, void **req_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending *>(*req_cls);
  *req_cls = nullptr;
}

int usage() {
  std::fprintf(stderr, "usage: rdwh-pagerduty-standin --record FILE [--port N] [--port-file FILE] [--token T] "
                       "[--incidents ID,ID...]\n");
  return 2;
}

bool write_port_file(const std::string &port_file, unsigned port) {
  // Written whole, then renamed: a reader never sees a partial number.
  const std::string tmp = port_file + ".tmp";
  FILE *f = std::fopen(tmp.c_str(), "w");
  return f && std::fprintf(f, "%u\n", port) >= 0 && std::fclose(f) == 0 &&
         std::rename(tmp.c_str(), port_file.c_str()) == 0;
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
    else if (a == "--incidents") {
      std::stringstream ids(argv[++i]);
      for (std::string id; std::getline(ids, id, ',');)
        if (!id.empty()) state.incidents[id];
    } else return usage();
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
    std::fprintf(stderr, "rdwh-pagerduty-standin: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  const MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (!port_file.empty() && !write_port_file(port_file, info ? info->port : static_cast<unsigned>(port))) {
    std::perror(port_file.c_str());
    MHD_stop_daemon(d);
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  state.stopping = true;
  MHD_stop_daemon(d);
  ::close(state.record_fd);
  return 0;
}
