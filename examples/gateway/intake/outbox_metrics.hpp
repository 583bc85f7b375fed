// The outbox's part of /metrics: its commit counters, and its jobs by status when it could be
// read. Rendered after Metrics::render()'s text (base knows no outbox).
#pragma once

#include "store/outbox.hpp"

#include <string>

namespace rdwh::gateway {

std::string render_outbox_metrics(const OutboxGauges &outbox);

} // namespace rdwh::gateway
