// rdwh-test-lockdb DB: takes SQLite's write lock on DB and holds it until SIGTERM, as a stuck
// operator session would. Prints "locked" once it holds it; exits 0 after releasing it.
#include <sqlite3.h>

#include <csignal>
#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: rdwh-test-lockdb DB\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  sqlite3 *db = nullptr;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "rdwh-test-lockdb: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  std::printf("locked\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return 0;
}
