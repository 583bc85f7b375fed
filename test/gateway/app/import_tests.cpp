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

// A scratch directory with a gateway config holding one webhook.
struct Scratch {
  fs::path dir;
  fs::path config;
  Scratch() {
    char tmpl[] = "/tmp/rdwh-import-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    config = dir / "gateway.json";
    write(config, R"({"listen": "127.0.0.1:0", "stateDir": "state",
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
  config: '{"rules":[]}'
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
    limits: {maxDepth: 64, ratio: 0.5}
    quoted: "true"
    nothing: ~
    rules:
    - name: r
      jobId: "0042"
      conditions: [{path: $.n, condition: equals, value: '1'}]
)").string(), {});
  const auto d = s.json();
  const auto &c = (*hook_named(d, "Map"))["config"];
  CHECK(c["returnProcessingInfo"].IsBool());
  CHECK(c["limits"]["maxDepth"].GetInt() == 64);
  CHECK(c["limits"]["ratio"].GetDouble() == 0.5);
  CHECK(c["quoted"].IsString());
  CHECK(c["nothing"].IsNull());
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
  auto write_zip = [&](const fs::path &path, const std::vector<std::pair<std::string, std::string>> &files) {
    archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
    for (const auto &[name, text] : files) {
      archive_entry *e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_write_header(a, e);
      archive_write_data(a, text.data(), text.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  };
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
