// The one file that names a backend: the outbox the config asks for (PostgreSQL when
// outbox.postgresql is set, else SQLite in the state directory, locked first when serving).
#include "store/outbox.hpp"
#include "store/postgresql/outbox.hpp"
#include "store/sqlite/outbox.hpp"

namespace rdwh::gateway {

std::unique_ptr<Outbox> open_outbox(const Config &c, OpenFor purpose) {
  if (!c.outbox.postgresql.empty()) return std::make_unique<PgOutbox>(c.outbox.postgresql);
  // Locked before the file is opened, so a second gateway never migrates or touches it.
  std::unique_ptr<StateDirLock> lock;
  if (purpose == OpenFor::serve) lock = std::make_unique<StateDirLock>(c.state_dir);
  return std::make_unique<SqliteOutbox>(c.state_dir + "/outbox.sqlite3", static_cast<int>(c.outbox.busy_timeout_ms),
                                        std::move(lock));
}

} // namespace rdwh::gateway
