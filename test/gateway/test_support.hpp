// Helpers the gateway's unit test files share.
#pragma once

#include "config/config.hpp"
#include "store/outbox.hpp"
#include "store/postgresql/connection.hpp"
#include "store/postgresql/outbox.hpp"
#include "store/sqlite/outbox.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

namespace rdwh::gateway::test {

namespace fs = std::filesystem;

// A fresh directory, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("rdwh-gateway-unit-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string &name, const std::string &text) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

// The outbox under test: SQLite in a temporary directory, or, when RDWH_TEST_OUTBOX=postgresql, a
// fresh database on the cluster whose connection string is in the file $RDWH_TEST_PG_CONNINFO
// (the "gateway: postgresql ..." CTest fixture starts it). open() again = a restart.
struct OutboxUnderTest {
  TempDir dir;
  std::string conninfo;
  OutboxUnderTest() {
    const char *which = std::getenv("RDWH_TEST_OUTBOX");
    if (!which || std::string(which) != "postgresql") return;
    const char *file = std::getenv("RDWH_TEST_PG_CONNINFO");
    REQUIRE(file);
    std::string base = read_file(file);
    while (!base.empty() && base.back() == '\n') base.pop_back();
    std::random_device rd;
    const std::string db = "unit_" + std::to_string(rd()) + std::to_string(rd());
    sql::PgConnection admin(base);
    admin.script(("CREATE DATABASE " + db).c_str());
    conninfo = base + " dbname=" + db;
  }
  bool postgresql() const { return !conninfo.empty(); }
  std::unique_ptr<Outbox> open(bool migrate = true) const {
    if (postgresql()) return std::make_unique<PgOutbox>(conninfo, migrate);
    return std::make_unique<SqliteOutbox>((dir.path / "outbox.sqlite3").string(), 2000, nullptr, migrate);
  }
};

} // namespace rdwh::gateway::test
