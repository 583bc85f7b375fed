// The one file that names a backend: the outbox the config asks for (PostgreSQL when
// outbox.postgresql is set, else SQLite in the state directory, locked first when serving).
#include "store/outbox.hpp"
#include "store/postgresql/outbox.hpp"
#include "store/sqlite/outbox.hpp"

#include <filesystem>

namespace rdwh::gateway {

std::unique_ptr<Outbox> open_outbox(const Config &c, OpenFor purpose) {
  const bool migrate = purpose != OpenFor::check; // --check writes nothing
  if (!c.outbox.postgresql.empty()) return std::make_unique<PgOutbox>(c.outbox.postgresql, migrate);
  // Locked before the file is opened, so a second gateway never migrates or touches it.
  std::unique_ptr<StateDirLock> lock;
  if (purpose == OpenFor::serve) lock = std::make_unique<StateDirLock>(c.state_dir);
  const std::string path = c.state_dir + "/outbox.sqlite3";
  if (purpose == OpenFor::check && !std::filesystem::exists(path)) return nullptr; // never started: nothing stored
  return std::make_unique<SqliteOutbox>(path, static_cast<int>(c.outbox.busy_timeout_ms), std::move(lock), migrate);
}

} // namespace rdwh::gateway
