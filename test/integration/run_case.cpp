// End-to-end tests: every test/integration/cases/*.json runs the real rdwh-host binary (which loads
// the plugin through the C ABI) and checks what it prints. The case format is in README.md.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <stdexcept>

// A case file with a wrong JSON type (say, a number where a string belongs) fails its case
// instead of aborting the run.
#define RAPIDJSON_ASSERT(x) ((x) ? (void)0 : throw std::runtime_error("case file: unexpected JSON type (" #x ")"))
#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using rapidjson::Value;

namespace {

// ---------------------------------------------------------------------------------- processes

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `args` (args[0] is the program) with the repository root as working directory, without a
// shell, capturing stdout and stderr.
RunResult run(const std::vector<std::string> &args) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char *> argv;
  for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) { // the child: only async-signal-safe calls from here on
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && dup2(devnull, 0) >= 0 && dup2(out_pipe[1], 1) >= 0 && dup2(err_pipe[1], 2) >= 0 &&
        chdir(RDWH_SOURCE_DIR) == 0)
      execv(argv[0], argv.data());
    static const char failed[] = "run_case: cannot start the program\n";
    (void)!write(err_pipe[1], failed, sizeof failed - 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string *sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// ---------------------------------------------------------------------------------------- JSON

std::string read_text(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string compact(const Value &v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// A string or a list of strings, as a list.
std::vector<std::string> strings(const Value *v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (v->IsString()) out.emplace_back(v->GetString(), v->GetStringLength());
  else if (v->IsArray())
    for (const Value &e : v->GetArray()) out.emplace_back(e.IsString() ? e.GetString() : compact(e));
  return out;
}

std::string str(const Value &v) { return std::string(v.GetString(), v.GetStringLength()); }

const Value *member(const Value &obj, const char *key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// Appends to `problems` where `actual` does not match `expected`. Maps match as subsets (every
// expected key, recursively), except when `exact` (the value of a key named "options"): then the
// keys must be the same too. Lists match element by element and must have the same length;
// scalars must be equal.
void match(const Value &expected, const Value &actual, const std::string &where, std::vector<std::string> &problems,
           bool exact = false) {
  if (expected.IsObject()) {
    if (!actual.IsObject()) {
      problems.push_back(where + ": expected a map, got " + compact(actual));
      return;
    }
    for (const auto &m : expected.GetObject()) {
      std::string key = m.name.GetString();
      const Value *a = member(actual, key.c_str());
      if (!a) {
        problems.push_back(where + "." + key + ": missing (expected " + compact(m.value) + ")");
        continue;
      }
      match(m.value, *a, where + "." + key, problems, key == "options");
    }
    if (exact)
      for (const auto &m : actual.GetObject())
        if (!member(expected, m.name.GetString()))
          problems.push_back(where + "." + m.name.GetString() + ": unexpected (" + compact(m.value) + ")");
  } else if (expected.IsArray()) {
    if (!actual.IsArray() || actual.Size() != expected.Size()) {
      problems.push_back(where + ": expected " + std::to_string(expected.Size()) + " elements " + compact(expected) +
                         ", got " + compact(actual));
      return;
    }
    for (rapidjson::SizeType i = 0; i < expected.Size(); ++i)
      match(expected[i], actual[i], where + "[" + std::to_string(i) + "]", problems);
  } else if (!(expected == actual)) {
    problems.push_back(where + ": expected " + compact(expected) + ", got " + compact(actual));
  }
}

// ---------------------------------------------------------------------------------------- cases

const std::set<std::string> case_keys = {"description", "provider", "config",  "configFile", "body",
                                         "bodyText",    "bodyFile", "headers", "keys",       "sign",
                                         "now",         "args",     "extraArgs", "expect"};
const std::set<std::string> expect_keys = {
    "exit",         "status",          "verdict",           "jobs",           "evaluations",
    "responseBody", "responseErrStartsWith", "textContains", "stdoutContains", "stdoutNotContains",
    "stderrContains", "stderrNotContains"};

void check_keys(const Value &obj, const std::set<std::string> &known, const std::string &what) {
  for (const auto &m : obj.GetObject())
    if (!known.count(m.name.GetString())) throw std::runtime_error(what + ": unknown key '" + m.name.GetString() + "'");
}

std::string source_path(const Value &v) { return (fs::path(RDWH_SOURCE_DIR) / v.GetString()).string(); }

// Writes the case's config and body to `dir` and returns the rdwh-host command line.
std::vector<std::string> command_for(const Value &c, const fs::path &dir) {
  if (const Value *args = member(c, "args")) {
    std::vector<std::string> cmd = {RDWH_HOST_BIN};
    for (const std::string &a : strings(args)) cmd.push_back(a);
    return cmd;
  }
  std::vector<std::string> cmd = {RDWH_HOST_BIN, "handle"};
  if (const Value *p = member(c, "provider")) cmd.insert(cmd.end(), {"--provider", p->GetString()});

  std::string config_file;
  if (const Value *cfg = member(c, "config")) write_text(config_file = (dir / "config.json").string(), compact(*cfg));
  else if (const Value *file = member(c, "configFile")) config_file = source_path(*file);
  else throw std::runtime_error("needs config or configFile");
  cmd.insert(cmd.end(), {"--config", config_file});

  std::string body_file;
  if (const Value *body = member(c, "body")) write_text(body_file = (dir / "body.json").string(), compact(*body));
  else if (const Value *text = member(c, "bodyText")) write_text(body_file = (dir / "body.txt").string(), str(*text));
  else if (const Value *file = member(c, "bodyFile")) body_file = source_path(*file);
  else throw std::runtime_error("needs body, bodyText or bodyFile");
  cmd.insert(cmd.end(), {"--body", body_file});

  for (const std::string &h : strings(member(c, "headers"))) cmd.insert(cmd.end(), {"--header", h});
  if (const Value *keys = member(c, "keys"))
    for (const auto &k : keys->GetObject())
      cmd.insert(cmd.end(), {"--key", str(k.name) + "=" + str(k.value)});
  if (const Value *sign = member(c, "sign")) {
    std::vector<std::string> sign_cmd = {RDWH_HOST_BIN, "sign"};
    for (const std::string &s : strings(member(*sign, "secrets"))) sign_cmd.insert(sign_cmd.end(), {"--key", s});
    std::string signed_file = body_file;
    if (const Value *text = member(*sign, "bodyText")) write_text(signed_file = (dir / "signed.txt").string(), str(*text));
    else if (const Value *file = member(*sign, "bodyFile")) signed_file = source_path(*file);
    sign_cmd.insert(sign_cmd.end(), {"--body", signed_file});
    RunResult s = run(sign_cmd);
    if (s.exit_code != 0) throw std::runtime_error("rdwh-host sign failed: " + s.err);
    while (!s.out.empty() && (s.out.back() == '\n' || s.out.back() == '\r')) s.out.pop_back();
    cmd.insert(cmd.end(), {"--header", "X-PagerDuty-Signature: " + s.out});
  }
  if (const Value *now = member(c, "now")) cmd.insert(cmd.end(), {"--now", now->GetString()});
  for (const std::string &a : strings(member(c, "extraArgs"))) cmd.push_back(a);
  return cmd;
}

std::vector<std::string> check(const Value &expect, const RunResult &r) {
  std::vector<std::string> problems;
  int want_exit = member(expect, "exit") ? member(expect, "exit")->GetInt() : 0;
  if (r.exit_code != want_exit)
    problems.push_back("exit code " + std::to_string(r.exit_code) + ", expected " + std::to_string(want_exit));
  for (const std::string &s : strings(member(expect, "stdoutContains")))
    if (r.out.find(s) == std::string::npos) problems.push_back("stdout lacks '" + s + "'");
  for (const std::string &s : strings(member(expect, "stderrContains")))
    if (r.err.find(s) == std::string::npos) problems.push_back("stderr lacks '" + s + "'");
  for (const std::string &s : strings(member(expect, "stdoutNotContains")))
    if (r.out.find(s) != std::string::npos) problems.push_back("stdout contains '" + s + "'");
  for (const std::string &s : strings(member(expect, "stderrNotContains")))
    if (r.err.find(s) != std::string::npos) problems.push_back("stderr contains '" + s + "'");
  if (want_exit != 0 || r.exit_code != 0) return problems;
  // Commands other than handle (`args`: test, lint...) print text: only the checks above apply.
  static const char *const json_keys[] = {"status", "verdict", "jobs", "evaluations", "responseBody",
                                          "responseErrStartsWith", "textContains"};
  if (std::none_of(std::begin(json_keys), std::end(json_keys), [&](const char *k) { return member(expect, k); }))
    return problems;

  rapidjson::Document out;
  if (out.Parse(r.out.c_str()).HasParseError()) {
    problems.push_back("stdout is not JSON");
    return problems;
  }
  for (const char *key : {"status", "verdict", "evaluations"})
    if (const Value *want = member(expect, key)) {
      const Value *got = member(out, key);
      if (!got) problems.push_back(std::string(key) + ": missing from the output");
      else match(*want, *got, key, problems);
    }
  if (const Value *want = member(expect, "jobs")) {
    const Value *got = member(out, "jobs");
    if (!got || !got->IsArray() || got->Size() != want->Size()) {
      problems.push_back("jobs: expected " + std::to_string(want->Size()) + " jobs " + compact(*want) + ", got " +
                         (got ? compact(*got) : "nothing"));
    } else {
      for (rapidjson::SizeType i = 0; i < want->Size(); ++i)
        match((*want)[i], (*got)[i], "jobs[" + std::to_string(i) + "]", problems);
    }
  }
  if (const Value *pointers = member(expect, "textContains"))
    for (const auto &m : pointers->GetObject()) {
      const Value *got = rapidjson::Pointer(m.name.GetString()).Get(out);
      std::string text = got ? (got->IsString() ? got->GetString() : compact(*got)) : "";
      if (!got || text.find(m.value.GetString()) == std::string::npos)
        problems.push_back(std::string(m.name.GetString()) + ": expected text containing '" + m.value.GetString() +
                           "', got " + (got ? compact(*got) : "nothing"));
    }
  const Value *want_body = member(expect, "responseBody");
  const Value *want_err = member(expect, "responseErrStartsWith");
  if (want_body || want_err) {
    const Value *response = member(out, "response");
    const Value *body_text = response ? member(*response, "body") : nullptr;
    rapidjson::Document body;
    if (!body_text || !body_text->IsString() || body.Parse(body_text->GetString()).HasParseError()) {
      problems.push_back("response.body is not JSON");
      return problems;
    }
    if (want_body) match(*want_body, body, "response.body", problems);
    if (want_err) {
      const Value *err = body.IsObject() ? member(body, "err") : nullptr;
      if (!err || !err->IsString() || std::string(err->GetString()).rfind(want_err->GetString(), 0) != 0)
        problems.push_back(std::string("response.body.err: expected to start with '") + want_err->GetString() +
                           "', got " + (err ? compact(*err) : "nothing"));
    }
  }
  return problems;
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto &entry : fs::directory_iterator(RDWH_CASES_DIR))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "rdwh-integration-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("integration cases", "[integration]") {
  const std::vector<fs::path> files = case_files();
  REQUIRE(!files.empty());
  for (const fs::path &file : files) {
    const std::string name = file.stem().string();
    DYNAMIC_SECTION(name) {
      rapidjson::Document c;
      const std::string text = read_text(file);
      if (c.Parse(text.c_str()).HasParseError() || !c.IsObject())
        FAIL("case file is not a JSON object: " << rapidjson::GetParseError_En(c.GetParseError()) << " at "
                                                 << c.GetErrorOffset());
      check_keys(c, case_keys, name);
      const Value *expect = member(c, "expect");
      REQUIRE(expect);
      check_keys(*expect, expect_keys, name + ".expect");
      INFO("case " << name << ": " << (member(c, "description") ? member(c, "description")->GetString() : ""));

      TempDir dir;
      const std::vector<std::string> cmd = command_for(c, dir.path);
      const RunResult r = run(cmd);
      std::string shown;
      for (const std::string &a : cmd) shown += " '" + a + "'";
      INFO("command:" << shown);
      INFO("exit " << r.exit_code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err << "--- end of output");
      for (const std::string &problem : check(*expect, r)) FAIL_CHECK(problem);
    }
  }
}
