// PagerDuty's REST API as the gateway calls it, against the project's stand-in
// (rdwh-pagerduty-standin): what each answer means, the headers sent, the token kept out of every
// reason, the marker found again; and the note's text.
#include <catch2/catch.hpp>

#include "pagerduty/client.hpp"
#include "test_support.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

using namespace rdwh::gateway;
using namespace rdwh::gateway::test;

namespace {

constexpr const char *kToken = "pd-token-7f3a9c";
using K = PagerDutyOutcome::Kind;

// The stand-in on a free loopback port, with incidents P1 and P2; stopped (SIGTERM) at scope exit.
struct Standin {
  TempDir dir;
  pid_t pid = -1;
  PagerDutySettings settings;

  Standin() {
    const std::string record = (dir.path / "record.jsonl").string(), port_file = (dir.path / "port").string();
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      execl(RDWH_TEST_PAGERDUTY_STANDIN, RDWH_TEST_PAGERDUTY_STANDIN, "--record", record.c_str(), "--port-file",
            port_file.c_str(), "--token", kToken, "--incidents", "P1,P2", static_cast<char *>(nullptr));
      _exit(127);
    }
    // Readiness: the port file appears once it listens (bounded, not a timing assertion).
    for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string port = read_file(port_file);
    while (!port.empty() && port.back() == '\n') port.pop_back();
    settings.enabled = true;
    settings.api_url = "http://127.0.0.1:" + port;
    settings.from = "oncall@example.com";
    settings.request_timeout_ms = 5000;
  }
  ~Standin() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  // POST /_control/<what> (what: "fail?count=1&status=500").
  void control(const std::string &what) const {
    CURL *c = curl_easy_init();
    REQUIRE(c);
    const std::string url = settings.api_url + "/_control/" + what;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char *, size_t size, size_t n, void *) { return size * n; });
    long status = 0;
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    REQUIRE(rc == CURLE_OK);
    REQUIRE(status == 200);
  }
  // The record's lines, parsed.
  std::vector<rapidjson::Document> calls() const {
    std::vector<rapidjson::Document> out;
    std::stringstream in(read_file((dir.path / "record.jsonl").string()));
    for (std::string line; std::getline(in, line);) {
      out.emplace_back();
      out.back().Parse(line.c_str());
    }
    return out;
  }
};

std::string text(const rapidjson::Value &v, const char *key) {
  return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

} // namespace

TEST_CASE("pagerduty answers: ok, retry, stop, the token's fault, or unknown") {
  CHECK(classify_pagerduty_status(201, true) == K::ok);
  CHECK(classify_pagerduty_status(200, false) == K::ok);
  for (long s : {400L, 404L, 422L}) CHECK(classify_pagerduty_status(s, true) == K::stop);
  for (long s : {401L, 403L}) CHECK(classify_pagerduty_status(s, true) == K::auth);
  for (long s : {429L, 408L, 500L, 503L, 302L}) CHECK(classify_pagerduty_status(s, true) == K::retry);
  // A proxy's 502/504 to a post may hide a note PagerDuty made; to a query or a resolve it is a retry.
  for (long s : {502L, 504L}) {
    CHECK(classify_pagerduty_status(s, true) == K::unknown);
    CHECK(classify_pagerduty_status(s, false) == K::retry);
  }
}

TEST_CASE("pagerduty note: posted with the token, From, PagerDuty's Accept, JSON, found again by its marker") {
  Standin pd;
  PagerDutyClient client;
  std::atomic<bool> abort{false};
  const PagerDutyOutcome posted = client.post_note(pd.settings, kToken, "P1", "done\n[rdwh execution 41]", abort);
  CHECK(posted.kind == K::ok);
  CHECK(posted.http_status == 201);
  CHECK_FALSE(posted.note_id.empty());
  const auto calls = pd.calls();
  REQUIRE(calls.size() == 1);
  const auto &c = calls[0];
  CHECK(text(c, "method") == "POST");
  CHECK(text(c, "path") == "/incidents/P1/notes");
  CHECK(text(c, "authorization") == std::string("Token token=") + kToken);
  CHECK(text(c, "from") == "oncall@example.com");
  CHECK(text(c, "accept") == "application/vnd.pagerduty+json;version=2");
  CHECK(text(c, "contentType") == "application/json");
  REQUIRE(c["body"].IsObject());
  CHECK(std::string(c["body"]["note"]["content"].GetString()) == "done\n[rdwh execution 41]");

  const NoteSearch found = client.find_note(pd.settings, kToken, "P1", note_marker("41"), abort);
  CHECK(found.outcome.kind == K::ok);
  CHECK(found.found);
  CHECK(found.note_id == posted.note_id);
  const NoteSearch other = client.find_note(pd.settings, kToken, "P1", note_marker("4"), abort);
  CHECK(other.outcome.kind == K::ok);
  CHECK_FALSE(other.found); // "[rdwh execution 4]" is not in "[rdwh execution 41]"
  CHECK(text(pd.calls()[1], "method") == "GET");
  CHECK(text(pd.calls()[1], "from").empty()); // a query is sent without From
}

TEST_CASE("pagerduty refusals: a wrong token, no From, no incident, the token in no reason") {
  Standin pd;
  PagerDutyClient client;
  std::atomic<bool> abort{false};
  const PagerDutyOutcome wrong = client.post_note(pd.settings, "not-the-token", "P1", "x", abort);
  CHECK(wrong.kind == K::auth);
  CHECK(wrong.http_status == 401);
  CHECK(wrong.reason.find("pagerduty.tokenFile") != std::string::npos);
  CHECK(wrong.reason.find("not-the-token") == std::string::npos);

  PagerDutySettings no_from = pd.settings;
  no_from.from.clear();
  const PagerDutyOutcome unnamed = client.post_note(no_from, kToken, "P1", "x", abort);
  CHECK(unnamed.kind == K::stop);
  CHECK(unnamed.http_status == 400);
  CHECK(unnamed.reason.find("Requester User Not Found") != std::string::npos);
  CHECK(client.resolve(no_from, kToken, "P1", abort).kind == K::stop);

  const PagerDutyOutcome missing = client.post_note(pd.settings, kToken, "P404", "x", abort);
  CHECK(missing.kind == K::stop);
  CHECK(missing.http_status == 404);
  CHECK(missing.reason.find("Incident Not Found") != std::string::npos);
  for (const auto *o : {&wrong, &unnamed, &missing}) CHECK(o->reason.find(kToken) == std::string::npos);
  for (const auto &c : pd.calls()) CHECK_FALSE(c["applied"].GetBool());
}

TEST_CASE("pagerduty retries: 500, 429 with Retry-After or ratelimit-reset, nothing listening") {
  Standin pd;
  PagerDutyClient client;
  std::atomic<bool> abort{false};
  pd.control("fail?count=1&status=500");
  const PagerDutyOutcome failed = client.post_note(pd.settings, kToken, "P1", "x", abort);
  CHECK(failed.kind == K::retry);
  CHECK(failed.http_status == 500);

  pd.control("fail?count=1&status=429&retryAfter=7");
  const PagerDutyOutcome limited = client.post_note(pd.settings, kToken, "P1", "x", abort);
  CHECK(limited.kind == K::retry);
  CHECK(limited.retry_after_ms == 7000);
  pd.control("fail?count=1&status=429&reset=12");
  CHECK(client.post_note(pd.settings, kToken, "P1", "x", abort).retry_after_ms == 12000);
  for (const auto &c : pd.calls()) CHECK_FALSE(c["applied"].GetBool());

  PagerDutySettings nowhere = pd.settings;
  nowhere.api_url = "http://127.0.0.1:1"; // nothing listens: nothing was sent
  const PagerDutyOutcome refused = client.post_note(nowhere, kToken, "P1", "x", abort);
  CHECK(refused.kind == K::retry);
  CHECK(refused.http_status == 0);
  CHECK(refused.reason.find(kToken) == std::string::npos);
}

TEST_CASE("pagerduty unknown outcome: a reset or a timeout after sending, the marker tells whether it was posted") {
  Standin pd;
  PagerDutyClient client;
  std::atomic<bool> abort{false};
  pd.control("fault?kind=reset&count=1");
  const PagerDutyOutcome reset = client.post_note(pd.settings, kToken, "P1", "a\n" + note_marker("7"), abort);
  CHECK(reset.kind == K::unknown);
  CHECK(reset.reason.find("may have done it") != std::string::npos);
  const NoteSearch after_reset = client.find_note(pd.settings, kToken, "P1", note_marker("7"), abort);
  CHECK(after_reset.outcome.kind == K::ok);
  CHECK(after_reset.found); // the stand-in took it before dropping the connection: no second post

  pd.control("fault?kind=hang&count=1&ms=30000");
  PagerDutySettings impatient = pd.settings;
  impatient.request_timeout_ms = 2000; // the stand-in holds its answer 30 s (cut short when it stops)
  const PagerDutyOutcome timed_out = client.post_note(impatient, kToken, "P2", "b\n" + note_marker("8"), abort);
  CHECK(timed_out.kind == K::unknown);
  CHECK(client.find_note(pd.settings, kToken, "P2", note_marker("8"), abort).found);
}

TEST_CASE("pagerduty resolve: PUT the incident reference with status resolved, and From") {
  Standin pd;
  PagerDutyClient client;
  std::atomic<bool> abort{false};
  const PagerDutyOutcome resolved = client.resolve(pd.settings, kToken, "P2", abort);
  CHECK(resolved.kind == K::ok);
  const auto calls = pd.calls();
  REQUIRE(calls.size() == 1);
  CHECK(text(calls[0], "method") == "PUT");
  CHECK(text(calls[0], "path") == "/incidents/P2");
  CHECK(text(calls[0], "from") == "oncall@example.com");
  CHECK(text(calls[0]["body"]["incident"], "type") == "incident_reference");
  CHECK(text(calls[0]["body"]["incident"], "status") == "resolved");
  CHECK(calls[0]["applied"].GetBool());
}

TEST_CASE("pagerduty note content: job, execution, status, duration, permalink, the last lines, secrets hidden") {
  NoteContent n;
  n.job_name = "Restart service";
  n.execution_id = "1234";
  n.status = "failed";
  n.duration_ms = 65'400;
  n.permalink = "https://rundeck.example.com/project/ops/execution/show/1234";
  for (int i = 1; i <= 15; ++i) n.log_lines.push_back("line " + std::to_string(i));
  n.log_lines.push_back("connecting with password hunter2-secret to db");
  n.output_lines = 3;
  n.secrets = {"hunter2-secret", ""};
  const std::string note = render_note(n);
  CHECK(note.find("Restart service") != std::string::npos);
  CHECK(note.find("execution 1234 failed after 1m 5s") != std::string::npos);
  CHECK(note.find(n.permalink) != std::string::npos);
  CHECK(note.find("line 14") != std::string::npos);
  CHECK(note.find("line 15") != std::string::npos);
  CHECK(note.find("line 13") == std::string::npos); // only the last 3 lines
  CHECK(note.find("hunter2-secret") == std::string::npos);
  CHECK(note.find("with password **** to db") != std::string::npos);
  CHECK(note.size() >= note_marker("1234").size());
  CHECK(note.substr(note.size() - note_marker("1234").size()) == "[rdwh execution 1234]");

  n.output_lines = 0;
  CHECK(render_note(n).find("line") == std::string::npos);
  // A huge log stays under PagerDuty's note size, the marker kept.
  n.output_lines = 1000;
  n.log_lines.assign(1000, std::string(900, 'x'));
  const std::string big = render_note(n);
  CHECK(big.size() < 25000);
  CHECK(big.find("[rdwh execution 1234]") != std::string::npos);
}
