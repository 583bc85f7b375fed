// The PostgreSQL outbox (see store/outbox.hpp): any number of gateways share it. Claims take rows with
// FOR UPDATE SKIP LOCKED, so two dispatchers never take the same job; a commit that queued jobs
// sends NOTIFY rdwh_jobs, and every gateway LISTENs, so an idle dispatcher starts at once.
// Connections lost (a server restart) are re-opened on the next call; a delivery whose commit
// failed gets 503 and is delivered again by PagerDuty.
#pragma once

#include "store/sql_outbox.hpp"

#include <memory>
#include <string>

namespace rdwh::gateway {

class PgOutbox final : public SqlOutbox {
public:
  // conninfo: a libpq connection string. Connects, creates or migrates the schema (under an
  // advisory lock, so gateways starting together migrate once); without `migrate`, an older schema
  // is refused instead. Throws OutboxError.
  explicit PgOutbox(const std::string &conninfo, bool migrate = true);
  ~PgOutbox() override;
  void on_wakeup(std::function<void()> fn) override;
  std::string describe() const override;

protected:
  void run(Use use, const std::function<void(sql::Connection &)> &fn) override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace rdwh::gateway
