// The composition root: builds the gateway's parts from the config file, serves until SIGTERM or
// SIGINT (SIGHUP reloads the file), and stops them in order: first the listeners (deliveries in
// flight are answered), then the background writer and the loader, the dispatcher last (calls in
// flight are cut off and queued again for reconciliation). Queued jobs stay in the outbox for the
// next start or another gateway.
#pragma once

#include <string>

namespace rdwh::gateway {

// Returns the process's exit status: 0 on a clean stop, 1 when the gateway cannot start.
int serve(const std::string &config_path);

} // namespace rdwh::gateway
