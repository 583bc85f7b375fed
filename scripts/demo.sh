#!/usr/bin/env bash
# Sets up, builds, and runs the bundled PagerDuty deliveries through the plugin with the example
# Rundeck configs, printing the job requests each one turns into.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target rdwh-host rdwh_plugin >/dev/null

host=build/release/bin/rdwh-host
secret=$(head -n 1 examples/rundeck/example-secret.txt)

for body in examples/deliveries/v3-*.json; do
  signature=$("$host" sign --key "$secret" --body "$body")
  echo "== $(basename "$body") (signed, pagerduty-V3-run-job, examples/rundeck/pagerduty-v3.json)"
  "$host" handle --brief --provider pagerduty-V3-run-job --config examples/rundeck/pagerduty-v3.json \
    --body "$body" --key "keys/pagerduty/v3-secret=$secret" --header "X-PagerDuty-Signature: $signature"
done
for body in examples/deliveries/v2-*.json; do
  echo "== $(basename "$body") (pagerduty-run-job, examples/rundeck/pagerduty-v2.json)"
  "$host" handle --brief --provider pagerduty-run-job --config examples/rundeck/pagerduty-v2.json --body "$body"
done
body=examples/deliveries/v3-incident.priority_updated-gopagerduty.json
echo "== $(basename "$body") with a forged signature"
"$host" handle --brief --provider pagerduty-V3-run-job --config examples/rundeck/pagerduty-v3.json \
  --body "$body" --key "keys/pagerduty/v3-secret=$secret" \
  --header "X-PagerDuty-Signature: v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"
