#!/usr/bin/env bash
# examples/gateway/alerts.yml as Prometheus reads it: `promtool check rules` (its syntax and
# expressions), then, with --unit, `promtool test rules` (each alert fires on the series of
# alerts_test.yml that should fire it). Fails when promtool is missing: scripts/setup-debian.sh
# installs Debian's prometheus package, which has it.
set -euo pipefail
src="$1"
command -v promtool >/dev/null || {
  echo "promtool not found: install Debian's prometheus package (scripts/setup-debian.sh does)" >&2
  exit 1
}
if [ "${2:-}" = "--unit" ]; then
  cd "$src/test/gateway/alerts"
  promtool test rules alerts_test.yml
else
  promtool check rules "$src/examples/gateway/alerts.yml"
fi
