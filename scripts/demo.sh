#!/usr/bin/env bash
# The main job: sets up and builds, shows the bundled PagerDuty deliveries turning into Rundeck
# job requests, then serves rdwh-gateway on an embedded default config and proves the path end to
# end with one signed delivery.
#
#   scripts/demo.sh                 # RUNDECK_URL/RUNDECK_TOKEN_FILE: your Rundeck; default: a
#                                   # local stand-in that records the run requests it receives
#   RDWH_DEMO_SERVE=0 scripts/demo.sh   # stop after the self-test instead of serving
#   RDWH_DEMO_PORT=8080 scripts/demo.sh # serve the gateway on another port (default 4480; not
#                                       # Rundeck's 4440, so the demo runs beside a Rundeck)
#   RDWH_DEMO_CONSOLE_PORT=8082 ...     # the console's port (default: the gateway's port + 1)
#   RDWH_DEMO_BUILD=0 ...               # use the programs already in build/release: no setup, no build
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${RDWH_DEMO_BUILD:-1}" != 0 ]; then
  scripts/setup-debian.sh
  cmake --preset release >/dev/null
  # The man pages too (build/release/man), so `man build/release/man/rdwh-host.1` works after the demo.
  cmake --build --preset release -j "$(nproc)" \
    --target rdwh-host rdwh_plugin rdwh-gateway rdwh-rundeck-standin rdwh-host-man rdwh-gateway-man >/dev/null
fi

bin=$PWD/build/release/bin
host=$bin/rdwh-host
secret=$(head -n 1 examples/rundeck/example-secret.txt)

echo "### 1. Bundled deliveries through the plugin (rdwh-host handle)"
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

echo
echo "### 2. rdwh-gateway"
demo=$PWD/build/demo
mkdir -p "$demo/keys/pagerduty" "$demo/state"
printf '%s\n' "$secret" >"$demo/keys/pagerduty/v3-secret"
port=${RDWH_DEMO_PORT:-4480}
console_port=${RDWH_DEMO_CONSOLE_PORT:-$((port + 1))}
for p in "$port:RDWH_DEMO_PORT" "$console_port:RDWH_DEMO_CONSOLE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/${p%%:*}") 2>/dev/null; then
    echo "demo: 127.0.0.1:${p%%:*} is already in use; choose another port with ${p#*:}=..." >&2
    exit 1
  fi
done
# The console's token: made once, readable by its owner only.
console_token=$demo/console.token
if [ ! -s "$console_token" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$console_token")
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

rundeck_url=${RUNDECK_URL:-}
token_file=${RUNDECK_TOKEN_FILE:-$demo/rundeck.token}
if [ -z "$rundeck_url" ]; then
  # No Rundeck given: a stand-in for its job run API records every run request.
  : >"$demo/rundeck-runs.jsonl"
  rm -f "$demo/standin.port" # a previous run's port must not be read for this one's
  "$bin/rdwh-rundeck-standin" --record "$demo/rundeck-runs.jsonl" --port-file "$demo/standin.port" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$demo/standin.port" ] && break; sleep 0.1; done
  rundeck_url=http://127.0.0.1:$(cat "$demo/standin.port")
  [ -f "$token_file" ] || echo "demo-rundeck-api-token" >"$token_file"
fi

cat >"$demo/gateway.json" <<JSON
{
  "listen": "127.0.0.1:$port",
  "pluginDir": "$PWD/build/release/plugins",
  "stateDir": "$demo/state",
  "keyStorageDir": "$demo/keys",
  "rundeck": {"url": "$rundeck_url", "apiVersion": 41, "authTokenFile": "$token_file"},
  "console": {"listen": "127.0.0.1:$console_port", "authTokenFile": "$console_token"},
  "webhooks": [{"name": "PagerDuty", "project": "ops", "eventPlugin": "pagerduty-V3-run-job",
                "authToken": "demo-token", "enabled": true, "user": "admin",
                "config": $(cat examples/rundeck/pagerduty-v3.json)}]
}
JSON
"$bin/rdwh-gateway" --config "$demo/gateway.json" --check
"$bin/rdwh-gateway" --config "$demo/gateway.json" 2>>"$demo/gateway.log" &
gateway=$!
pids+=($gateway)
# Ready when GET /healthz answers 200; checked every 0.1 s, for at most 10 s.
healthy() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  read -r -t 5 _ status _ <&3 || status=""
  exec 3<&-
  [ "$status" = 200 ]
}
ready=0
for _ in $(seq 100); do
  if healthy 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "demo: rdwh-gateway did not answer GET /healthz with 200 within 10 s; its log ($demo/gateway.log):" >&2
  tail -n 20 "$demo/gateway.log" >&2
  exit 1
fi
echo "gateway: ready (GET http://127.0.0.1:$port/healthz answered 200)"

url=http://127.0.0.1:$port/api/41/webhook/demo-token
# --fresh: the gateway skips events older than maxEventAge (the sample is from 2025) and runs each
# event once (the outbox in build/demo/state remembers earlier runs), so each send is a new event.
send=(send --fresh "$url" --body examples/deliveries/v3-incident.triggered-nudgebee.json)
shown="build/release/bin/rdwh-host ${send[*]} --key \"\$(cat examples/rundeck/example-secret.txt)\""
echo "gateway: $url (config $demo/gateway.json, outbox $demo/state, log $demo/gateway.log)"
echo "console: http://127.0.0.1:$console_port/ (log in with the token in $console_token)"
echo "self-test: $shown"
"$host" "${send[@]}" --key "$secret"
if [ -z "${RUNDECK_URL:-}" ]; then
  for _ in $(seq 50); do [ -s "$demo/rundeck-runs.jsonl" ] && break; sleep 0.1; done
  echo "run requests received by the Rundeck stand-in ($demo/rundeck-runs.jsonl):"
  cat "$demo/rundeck-runs.jsonl"
fi

[ "${RDWH_DEMO_SERVE:-1}" = 1 ] || exit 0
echo
echo "Serving. Send a test delivery from another terminal with:"
echo "  $shown"
echo "Each is a new event (--fresh), so each runs the job again: a line in $demo/rundeck-runs.jsonl"
echo "(or a run on your Rundeck) and a delivery on the console's Deliveries page."
echo "The console: http://127.0.0.1:$console_port/ (log in with the token in $console_token);"
echo "its API takes the same token: curl -H \"X-Rundeck-Auth-Token: \$(cat $console_token)\" \\"
echo "  http://127.0.0.1:$console_port/api/41/project/ops/webhooks"
echo "Stop with Ctrl-C."
wait "$gateway"
