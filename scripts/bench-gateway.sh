#!/usr/bin/env bash
# The gateway under load: builds rdwh-gateway optimised and runs test/bench/load/run.sh, which puts
# wrk's signed PagerDuty V3 deliveries through rdwh-gateway (SQLite and PostgreSQL outboxes) and
# through adnanh/webhook (Debian's `webhook`, configured to check the same HMAC and match the same
# event type) on 127.0.0.1, prints a Markdown table (requests/s, p50/p90/p99 latency, non-2xx) and
# checks that every delivery the gateway accepted is committed to its outbox; then
# test/bench/load/dispatch.sh: jobs started per second against a Rundeck answering in 50 ms, and
# the time a burst of 1,000 deliveries takes from the first 2xx to the last job started, for one
# gateway on SQLite and one, two and three gateways on PostgreSQL. About 4 minutes on 2 cores,
# plus the build; each part is cut off after RDWH_LOAD_TIMEOUT seconds (300).
#
#   scripts/bench-gateway.sh
#   RDWH_LOAD_DURATION=5 RDWH_LOAD_DIAG=0 scripts/bench-gateway.sh     # shorter: 5 s rows, no diagnostics
#   RDWH_LOAD_CONNECTIONS=64 scripts/bench-gateway.sh                  # see test/bench/load/run.sh
#   RDWH_LOAD_PG=0 RDWH_DISPATCH=0 scripts/bench-gateway.sh            # no PostgreSQL row, no dispatch part
#
# The report is also written to build/release/load/results.md; docs/benchmarks.md ("Gateway under
# load") explains it. Exit 1 when the outbox check or a sanity check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh wrk webhook

jobs="${RDWH_BENCH_JOBS:-2}"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target rdwh-gateway rdwh-host rdwh_plugin rdwh-rundeck-standin

# run.sh stops everything it started on exit; -k: SIGKILL if it does not stop 10 s after SIGTERM.
timeout -k 10 "${RDWH_LOAD_TIMEOUT:-300}" test/bench/load/run.sh build/release
if [ "${RDWH_DISPATCH:-1}" = 1 ]; then
  timeout -k 10 "${RDWH_LOAD_TIMEOUT:-300}" test/bench/load/dispatch.sh build/release
fi
