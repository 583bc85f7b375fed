// rdwh-gateway --import: Rundeck's webhooks.yaml (alone or in a project archive) merged into the
// gateway config the way Rundeck's importer reads it.
#include "config/config.hpp"
#include "app/import.hpp"

#include <catch2/catch.hpp>

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace rdwh::gateway;
namespace fs = std::filesystem;

namespace {

// A scratch directory with a gateway config holding one webhook, which passes --check (the
// plugins, Rundeck's token, the key the export names).
struct Scratch {
  fs::path dir;
  fs::path config;
  Scratch() {
    char tmpl[] = "/tmp/rdwh-import-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    config = dir / "gateway.json";
    fs::create_directories(dir / "keys" / "pd");
    write(dir / "keys" / "pd" / "v3", "a-shared-secret\n");
    write(dir / "rundeck.token", "rdtoken-0123456789\n");
    write(config, R"({"listen": "127.0.0.1:0", "pluginDir": ")" RDWH_TEST_PLUGIN_DIR R"(", "stateDir": "state",
      "keyStorageDir": "keys",
      "rundeck": {"url": "http://127.0.0.1:1", "apiVersion": 41, "authTokenFile": "rundeck.token"},
      "webhooks": [{"name": "Existing", "project": "ops", "eventPlugin": "advanced-run-job",
                    "authToken": "existing-token-0123456789abcdef", "uuid": "u-existing",
                    "config": {"rules": []}}]})");
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  }
  ~Scratch() { fs::remove_all(dir); }
  static void write(const fs::path &p, const std::string &text) { std::ofstream(p, std::ios::binary) << text; }
  fs::path yaml(const std::string &text) {
    const fs::path p = dir / "webhooks.yaml";
    write(p, text);
    return p;
  }
  rapidjson::Document json() const {
    rapidjson::Document d;
    d.Parse(read_file(config.string()));
    REQUIRE(d.IsObject());
    return d;
  }
};

const rapidjson::Value *hook_named(const rapidjson::Document &d, const std::string &name) {
  for (const auto &h : d["webhooks"].GetArray())
    if (h["name"].GetString() == name) return &h;
  return nullptr;
}

bool is_token(const std::string &t) {
  return t.size() == 32 && t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
                               std::string::npos;
}

// Rundeck's export: config is a JSON string (WebhooksProjectExporter).
const char *const kExport = R"(webhooks:
- uuid: 72fbadce-0000-4000-8000-000000000001
  name: PagerDuty V3
  project: ops
  eventPlugin: pagerduty-V3-run-job
  config: '{"keyStoragePath":"keys/pd/v3","rules":[{"name":"Run Job 1","jobId":"3a13fca8-1","jobOptions":[{"name":"raw","value":"$"}],"conditions":[],"enabled":true,"policy":"all"}]}'
  enabled: true
  user: admin
  roles: admin,user
  authToken: ExportedToken0123456789abcdefABCD
)";

// A zip (Rundeck's .jar project export). Without sizes the entries' headers do not say how large
// they are: the reader has to stop on its own.
void write_zip(const fs::path &path, const std::vector<std::pair<std::string, std::string>> &files,
               bool with_sizes = true) {
  archive *a = archive_write_new();
  archive_write_set_format_zip(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto &[name, text] : files) {
    archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    if (with_sizes) archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, text.data(), text.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// Expects the import of `source` to fail with `message`, leaving the config byte for byte.
void refused(Scratch &s, const fs::path &source, const std::string &message, const ImportOptions &options = {}) {
  const std::string before = read_file(s.config.string());
  try {
    import_webhooks(s.config.string(), source.string(), options);
    FAIL("import succeeded");
  } catch (const ImportError &e) {
    CHECK_THAT(e.what(), Catch::Contains(message));
  }
  CHECK(read_file(s.config.string()) == before);
}

const char *const kHookHead = "webhooks:\n- name: a\n  project: ops\n  eventPlugin: advanced-run-job\n";

// Billion laughs: `levels` anchors, each a list of ten aliases to the one before.
std::string alias_bomb(int levels) {
  std::string yaml = std::string(kHookHead) + "  config:\n    a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n";
  for (int i = 1; i < levels; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    yaml += "    a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) yaml += ", " + prev;
    yaml += "]\n";
  }
  return yaml;
}

} // namespace

TEST_CASE("import: Rundeck's export is added with a new token unless --with-tokens", "[gateway][import]") {
  Scratch s;
  const ImportReport report = import_webhooks(s.config.string(), s.yaml(kExport).string(), {});
  CHECK(report.added == std::vector<std::string>{"ops/PagerDuty V3"});
  CHECK(report.updated.empty());
  const auto d = s.json();
  const auto *hook = hook_named(d, "PagerDuty V3");
  REQUIRE(hook);
  CHECK(std::string((*hook)["eventPlugin"].GetString()) == "pagerduty-V3-run-job");
  CHECK(std::string((*hook)["uuid"].GetString()) == "72fbadce-0000-4000-8000-000000000001");
  CHECK(std::string((*hook)["roles"].GetString()) == "admin,user");
  CHECK((*hook)["enabled"].GetBool());
  REQUIRE((*hook)["config"].IsObject()); // the JSON string became the object it holds
  CHECK(std::string((*hook)["config"]["rules"][0]["jobOptions"][0]["value"].GetString()) == "$");
  const std::string token = (*hook)["authToken"].GetString();
  CHECK(is_token(token));
  CHECK(token != "ExportedToken0123456789abcdefABCD");
  // The rest of the file is kept, and so is its mode (it holds tokens).
  CHECK(std::string(d["listen"].GetString()) == "127.0.0.1:0");
  CHECK(std::string((*hook_named(d, "Existing"))["authToken"].GetString()) == "existing-token-0123456789abcdef");
  CHECK((fs::status(s.config).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write |
                                                                    fs::perms::group_read));

  ImportOptions keep;
  keep.with_tokens = true;
  Scratch s2;
  import_webhooks(s2.config.string(), s2.yaml(kExport).string(), keep);
  CHECK(std::string((*hook_named(s2.json(), "PagerDuty V3"))["authToken"].GetString()) ==
        "ExportedToken0123456789abcdefABCD");
}

TEST_CASE("import: a second import updates by uuid, else by project and name", "[gateway][import]") {
  Scratch s;
  import_webhooks(s.config.string(), s.yaml(kExport).string(), {});
  const std::string first_token = (*hook_named(s.json(), "PagerDuty V3"))["authToken"].GetString();
  // Same uuid, renamed and disabled: updated in place, keeping its token (no --with-tokens).
  ImportReport again = import_webhooks(s.config.string(), s.yaml(R"(webhooks:
- uuid: 72fbadce-0000-4000-8000-000000000001
  name: PagerDuty renamed
  project: ops
  eventPlugin: pagerduty-V3-run-job
  config: '{"keyStoragePath":"keys/pd/v3","rules":[]}'
  enabled: false
- name: Existing
  project: ops
  eventPlugin: pagerduty-run-job
  config: '{"rules":[]}'
)").string(), {});
  CHECK(again.updated == std::vector<std::string>{"ops/PagerDuty renamed", "ops/Existing"});
  CHECK(again.added.empty());
  const auto d = s.json();
  CHECK(d["webhooks"].Size() == 2);
  const auto *renamed = hook_named(d, "PagerDuty renamed");
  REQUIRE(renamed);
  CHECK_FALSE((*renamed)["enabled"].GetBool());
  CHECK(std::string((*renamed)["authToken"].GetString()) == first_token);
  CHECK(std::string((*hook_named(d, "Existing"))["eventPlugin"].GetString()) == "pagerduty-run-job");
  CHECK(std::string((*hook_named(d, "Existing"))["authToken"].GetString()) == "existing-token-0123456789abcdef");
}

TEST_CASE("import: a token another webhook already uses is never taken", "[gateway][import]") {
  Scratch s;
  ImportOptions keep;
  keep.with_tokens = true;
  const ImportReport report = import_webhooks(s.config.string(), s.yaml(R"(webhooks:
- name: Clash
  project: other
  eventPlugin: advanced-run-job
  config: '{}'
  authToken: existing-token-0123456789abcdef
- name: No token
  project: other
  eventPlugin: advanced-run-job
  config: '{}'
)").string(), keep);
  REQUIRE(report.warnings.size() == 2);
  CHECK_THAT(report.warnings[0], Catch::Contains("other/Clash") && Catch::Contains("already another webhook's"));
  CHECK_THAT(report.warnings[1], Catch::Contains("exported without tokens"));
  for (const auto &w : report.warnings) CHECK(w.find("existing-token") == std::string::npos);
  const auto d = s.json();
  CHECK(is_token((*hook_named(d, "Clash"))["authToken"].GetString()));
  CHECK(is_token((*hook_named(d, "No token"))["authToken"].GetString()));
}

TEST_CASE("import: a config given as a YAML map keeps YAML's types", "[gateway][import]") {
  Scratch s;
  import_webhooks(s.config.string(), s.yaml(R"(webhooks:
- name: Map
  project: ops
  eventPlugin: advanced-run-job
  roles: [admin, user]
  config:
    returnProcessingInfo: true
    limits: {maxDepth: 64}
    batchKey: ~
    rules:
    - name: "true"
      jobId: "0042"
      conditions: [{path: $.n, condition: equals, value: '1'}]
)").string(), {});
  const auto d = s.json();
  const auto &c = (*hook_named(d, "Map"))["config"];
  CHECK(c["returnProcessingInfo"].IsBool());
  CHECK(c["limits"]["maxDepth"].GetInt() == 64);
  CHECK(c["batchKey"].IsNull());
  CHECK(c["rules"][0]["name"].IsString());
  CHECK(std::string(c["rules"][0]["jobId"].GetString()) == "0042");
  CHECK(std::string(c["rules"][0]["conditions"][0]["value"].GetString()) == "1");
  CHECK(std::string((*hook_named(d, "Map"))["roles"].GetString()) == "admin,user");
}

TEST_CASE("import: what cannot be read fails clearly and leaves the file as it was", "[gateway][import]") {
  Scratch s;
  const std::string before = read_file(s.config.string());
  auto fails_with = [&](const std::string &yaml, const std::string &message) {
    INFO(yaml);
    try {
      import_webhooks(s.config.string(), s.yaml(yaml).string(), {});
      FAIL("import succeeded");
    } catch (const ImportError &e) {
      CHECK_THAT(e.what(), Catch::Contains(message));
      CHECK(std::string(e.what()).find("Secret0Token") == std::string::npos);
    }
    CHECK(read_file(s.config.string()) == before);
  };
  fails_with("webhooks:\n- name: a\n  project: [unclosed\n", "webhooks.yaml:4: not valid YAML");
  fails_with("hooks: []\n", "not a Rundeck webhook export");
  fails_with("webhooks:\n- name: a\n  project: p\n", "webhooks.yaml:2: 'eventPlugin' is missing");
  fails_with("webhooks:\n- name: a\n  project: p\n  eventPlugin: x\n  authToken: Secret0Token\n  config: '{\"rules\": [}'\n",
             "config is not valid JSON");
  fails_with("webhooks:\n- name: a\n  project: p\n  eventPlugin: x\n  enabled: maybe\n", "'enabled' must be true or false");
  fails_with("webhooks:\n- name: old\n  project: p\n  eventPlugin: x\n  pluginConfiguration: '{}'\n"
             "  apiToken: {user: admin}\n", "pre-3.3 export shape");
  try {
    import_webhooks((s.dir / "missing.json").string(), s.yaml(kExport).string(), {});
    FAIL("import into a missing file succeeded");
  } catch (const ImportError &e) {
    CHECK_THAT(e.what(), Catch::Contains("missing.json"));
  }
}

TEST_CASE("import: a project archive holding webhooks.yaml", "[gateway][import]") {
  Scratch s;
  const fs::path jar = s.dir / "ops.rdproject.jar";
  write_zip(jar, {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
                  {"rundeck-ops/jobs/job-1.xml", "<joblist/>"},
                  {"rundeck-ops/webhooks.yaml", kExport}});
  CHECK(import_webhooks(s.config.string(), jar.string(), {}).added == std::vector<std::string>{"ops/PagerDuty V3"});

  const fs::path empty = s.dir / "no-webhooks.jar";
  write_zip(empty, {{"rundeck-ops/jobs/job-1.xml", "<joblist/>"}});
  CHECK_THROWS_WITH(import_webhooks(s.config.string(), empty.string(), {}),
                    Catch::Contains("no webhooks.yaml in the archive"));
}

TEST_CASE("import: aliases are counted as what they repeat, before anything is expanded", "[gateway][import]") {
  Scratch s;
  // 10^8 strings once expanded; refused on the line where the count passes the limit.
  refused(s, s.yaml(alias_bomb(9)), "webhooks.yaml:11: more than 250000 nodes (an alias counts as every node");
  // The text an alias repeats counts too.
  std::string big = std::string(kHookHead) + "  user: &u " + std::string(1 << 20, 'x') + "\n  roles: [";
  for (int i = 0; i < 20; ++i) big += std::string(i ? ", " : "") + "*u";
  refused(s, s.yaml(big + "]\n"), "webhooks.yaml:6: more than 16 MiB of text");
  // An alias inside the node it names would never end.
  refused(s, s.yaml(std::string(kHookHead) + "  config: &c {x: *c}\n"), "webhooks.yaml:5: an alias inside the node");
  // Aliases within the limits are YAML, and expand.
  std::string two = std::string(kHookHead) + "  config: &c {rules: []}\n";
  two += "- {name: b, project: ops, eventPlugin: advanced-run-job, config: *c}\n";
  import_webhooks(s.config.string(), s.yaml(two).string(), {});
  CHECK(s.json()["webhooks"].Size() == 3);
}

TEST_CASE("import: nesting is bounded, in the YAML and in a config's JSON string", "[gateway][import]") {
  Scratch s;
  refused(s, s.yaml("webhooks: " + std::string(100000, '[')), "webhooks.yaml:1: nested deeper than 64 levels");
  std::string block = std::string(kHookHead) + "  config:\n";
  for (int i = 0; i < 100; ++i) block += std::string(4 + 2 * i, ' ') + "k:\n";
  refused(s, s.yaml(block), "webhooks.yaml:67: nested deeper than 64 levels");
  refused(s, s.yaml(std::string(kHookHead) + "  config: '" + std::string(100000, '[') + "'\n"),
          "webhooks.yaml:5: nested deeper than 64 levels");
  // Brackets inside JSON strings are text.
  import_webhooks(s.config.string(),
                  s.yaml(std::string(kHookHead) + "  config: '{\"rules\": [], \"batchKey\": \"$.a[\\\"" +
                         std::string(100, '[') + "\\\"]\"}'\n")
                      .string(),
                  {});
}

TEST_CASE("import: the source is capped before and while it is read", "[gateway][import]") {
  Scratch s;
  ImportOptions small;
  small.limits.max_bytes = 1 << 20;
  const std::string padding = "# " + std::string(1 << 20, 'x') + "\n";
  refused(s, s.yaml(std::string(kExport) + padding), "webhooks.yaml: larger than 1 MiB: not read", small);
  const fs::path jar = s.dir / "bomb.jar";
  for (const bool with_sizes : {true, false}) {
    INFO("sizes in the zip's headers: " << with_sizes);
    write_zip(jar, {{"rundeck-ops/webhooks.yaml", std::string(kExport) + padding}}, with_sizes);
    refused(s, jar, "bomb.jar: rundeck-ops/webhooks.yaml: larger than 1 MiB uncompressed: not read", small);
  }
  ImportOptions few;
  few.limits.max_nodes = 100;
  std::string many = "webhooks:\n";
  for (int i = 0; i < 40; ++i) many += "- {name: n" + std::to_string(i) + ", project: ops, eventPlugin: x}\n";
  refused(s, s.yaml(many), "more than 100 nodes", few);
  // A config string's JSON values count too.
  std::string zeros = "0";
  for (int i = 0; i < 150; ++i) zeros += ",0";
  refused(s, s.yaml(std::string(kHookHead) + "  config: '{\"rules\": [" + zeros + "]}'\n"),
          "webhooks.yaml:5: more than 100 nodes", few);
}

TEST_CASE("import: a value of the wrong type is an error with its line", "[gateway][import]") {
  Scratch s;
  refused(s, s.yaml(std::string(kHookHead) + "  roles: [{a: 1}]\n"), "webhooks.yaml:5: each of 'roles' must be text");
  refused(s, s.yaml(std::string(kHookHead) + "  user: [admin]\n"), "webhooks.yaml:5: 'user' must be text");
  refused(s, s.yaml("webhooks:\n- name: a\n  project: \"\"\n  eventPlugin: advanced-run-job\n"),
          "webhooks.yaml:3: 'project' is empty");
  refused(s, s.yaml(std::string(kHookHead) + "  config: [1, 2]\n"), "webhooks.yaml:5: config must be a map");
  refused(s, s.yaml(std::string(kHookHead) + "  config: {? [a]: 1}\n"), "webhooks.yaml:5: a map key is not text");
  refused(s, s.yaml("webhooks: {a: 1}\n"), "webhooks.yaml:1: 'webhooks' must be a list");
}

TEST_CASE("import: the merged config must pass --check before it replaces the file", "[gateway][import]") {
  Scratch s;
  // Rundeck knows providers this gateway's plugins do not offer.
  refused(s, s.yaml("webhooks:\n- name: a\n  project: ops\n  eventPlugin: no-such-provider\n"),
          "the merged config would not pass --check");
  refused(s, s.yaml("webhooks:\n- name: a\n  project: ops\n  eventPlugin: no-such-provider\n"),
          "webhooks[1] is ops/a (" + (s.dir / "webhooks.yaml").string() + ":2)");
  // A key the plugin needs is not in key storage yet: put it there, then import.
  refused(s, s.yaml("webhooks:\n- name: a\n  project: ops\n  eventPlugin: pagerduty-V3-run-job\n"
                    "  config: '{\"keyStoragePath\": \"keys/pd/missing\"}'\n"),
          "keys/pd/missing");
  // A config key the plugin does not know (what --check refuses).
  refused(s, s.yaml(std::string(kHookHead) + "  config: '{\"rulez\": []}'\n"), "rulez");
}

TEST_CASE("import: a symbolic link to the config stays one, its target is rewritten", "[gateway][import]") {
  Scratch s;
  fs::create_directories(s.dir / "real");
  fs::rename(s.config, s.dir / "real" / "gateway.json");
  fs::create_symlink("real/gateway.json", s.config);
  // The check reads relative paths (keys, Rundeck's token) from the link's directory, as the
  // gateway does: real/ holds neither.
  CHECK(import_webhooks(s.config.string(), s.yaml(kExport).string(), {}).added.size() == 1);
  CHECK(fs::is_symlink(s.config));
  CHECK(fs::read_symlink(s.config) == "real/gateway.json");
  CHECK(hook_named(s.json(), "PagerDuty V3"));
  CHECK((fs::status(s.config).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write |
                                                                    fs::perms::group_read));
  for (const auto &entry : fs::directory_iterator(s.dir / "real"))
    CHECK(entry.path().filename().string().find(".import-") == std::string::npos); // no temporary file left
}
