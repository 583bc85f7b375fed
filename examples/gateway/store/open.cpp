// The one file that names a backend: the outbox the config asks for (PostgreSQL when
// outbox.postgresql is set, else SQLite in the state directory).
#include "store/outbox.hpp"
#include "store/postgresql/outbox.hpp"
#include "store/sqlite/outbox.hpp"

namespace rdwh::gateway {

std::unique_ptr<Outbox> open_outbox(const Config &c) {
  if (!c.outbox.postgresql.empty()) return std::make_unique<PgOutbox>(c.outbox.postgresql);
  return std::make_unique<SqliteOutbox>(c.state_dir + "/outbox.sqlite3", static_cast<int>(c.outbox.busy_timeout_ms));
}

} // namespace rdwh::gateway
