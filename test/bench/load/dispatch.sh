#!/usr/bin/env bash
# Dispatch that keeps up: a burst of distinct signed deliveries (one job each, each about its own
# incident) sent as fast as the gateways take them, against a Rundeck stand-in that answers every
# run call in 50 ms. Measures jobs started per second, and the time from the first 2xx to the
# last job started, for one gateway on SQLite (one call at a time: the baseline, as the gateway
# dispatched before; then concurrent calls) and for one, two and three gateways sharing one
# PostgreSQL outbox. Checks that every acknowledged job started exactly once.
#
#   test/bench/load/dispatch.sh [BUILD_DIR]     # default build/release
#
#   RDWH_DISPATCH_BURST=1000     deliveries per row
#   RDWH_DISPATCH_DELAY_MS=50    the stand-in's answer time
#   RDWH_DISPATCH_CALLS=8        rundeck.maxConcurrentCalls of each gateway (the baseline row: 1)
#
# Prints a Markdown table (also BUILD_DIR/dispatch/results.md). Exit 1 when a job did not start
# exactly once. The work directory BUILD_DIR/dispatch is kept for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build/release}" && pwd)
BIN=$BUILD/bin
BURST=${RDWH_DISPATCH_BURST:-1000}
DELAY=${RDWH_DISPATCH_DELAY_MS:-50}
CALLS=${RDWH_DISPATCH_CALLS:-8}
SECRET=$(cat "$ROOT/test/gateway/data/pd-secret.txt")
FIXTURE=$ROOT/test/gateway/data/v3-incident.triggered-nudgebee.json

W=$BUILD/dispatch
source "$HERE/common.sh"

start_pg

# The bodies: distinct events about distinct incidents, occurred now, signed.
python3 - "$FIXTURE" "$SECRET" "$BURST" "$W/bodies.jsonl" <<'PY'
import datetime, hashlib, hmac, json, sys
fixture, secret, count, out = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
d = json.load(open(fixture))
d["event"]["occurred_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
with open(out, "w") as f:
    for n in range(count):
        d["event"]["id"] = "01DISPATCH%09d" % n
        d["event"]["data"]["id"] = "QDISPATCH%09d" % n
        body = json.dumps(d, separators=(",", ":"))
        f.write(json.dumps({"body": body, "sig": hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()}) + "\n")
PY

# burst PORTS...: sends every body once, spread over the gateways, 16 connections; prints
# "first_2xx_ms last_2xx_ms non2xx".
burst() {
  python3 - "$W/bodies.jsonl" "$@" <<'PY'
import http.client, json, sys, threading, time
bodies = [json.loads(l) for l in open(sys.argv[1])]
ports = [int(p) for p in sys.argv[2:]]
lock = threading.Lock()
stamps, bad = [], [0]
def worker(k):
    conns = {}
    for n in range(k, len(bodies), 16):
        port = ports[n % len(ports)]
        b = bodies[n]
        for attempt in range(100):
            c = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conns[port] = c
            try:
                c.request("POST", "/api/41/webhook/bench-token", body=b["body"], headers={
                    "Content-Type": "application/json", "X-PagerDuty-Signature": "v1=" + b["sig"],
                    "X-Webhook-Id": "dispatch-%d" % n})
                r = c.getresponse()
                r.read()
                if 200 <= r.status < 300:
                    with lock: stamps.append(time.time() * 1000)
                    break
                with lock: bad[0] += 1
            except OSError:
                c.close()
                conns.pop(port, None)
            time.sleep(0.05)
threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(int(min(stamps)), int(max(stamps)), bad[0], len(stamps))
PY
}

start_standin() { # RECORD
  rm -f "$W/standin.port"
  "$BIN/rdwh-rundeck-standin" --record "$1" --port-file "$W/standin.port" --token rdtoken-bench >>"$W/standin.log" 2>&1 &
  STANDIN_PID=$!
  PIDS+=("$STANDIN_PID")
  wait_for 10 "the stand-in" test -s "$W/standin.port"
  STANDIN_PORT=$(cat "$W/standin.port")
  "$BIN/rdwh-host" send "http://127.0.0.1:$STANDIN_PORT/_control/delay?ms=$DELAY" --body /dev/null >/dev/null
}

# gateway DIR CALLS OUTBOX_MEMBERS: writes DIR/gateway.json, starts it, sets GW_PORT.
gateway() {
  local d=$1 calls=$2 outbox=$3
  mkdir -p "$d/keys/pd"
  printf '%s' "$SECRET" >"$d/keys/pd/secret"
  printf 'rdtoken-bench\n' >"$d/rundeck.token"
  cat >"$d/gateway.json" <<EOF
{"listen": "127.0.0.1:0", "pluginDir": "$BUILD/plugins", "stateDir": "state", "keyStorageDir": "keys",
 "outbox": {$outbox},
 "rundeck": {"url": "http://127.0.0.1:$STANDIN_PORT", "apiVersion": 41, "authTokenFile": "rundeck.token",
             "maxConcurrentCalls": $calls},
 "webhooks": [{"name": "bench", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": "bench-token",
   "config": {"keyStoragePath": "keys/pd/secret", "rules": [{"name": "remediate", "jobId": "job-remediate",
     "jobOptions": [{"name": "pd_incident_id", "value": "\$.event.data.id"}],
     "conditions": [{"path": "\$.event.event_type", "condition": "equals", "value": "incident.triggered"}]}]}}]}
EOF
  "$BIN/rdwh-gateway" --config "$d/gateway.json" 2>"$d/gateway.log" &
  PIDS+=("$!")
  GW_PIDS+=("$!")
  wait_for 10 "a gateway to listen" grep -qs '"msg":"listening"' "$d/gateway.log"
  GW_PORT=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$d/gateway.log" | head -n 1)
}

executions() { local n; n=$(grep -c '"executed":true' "$1" 2>/dev/null) || true; echo "${n:-0}"; }
all_started() { (($(executions "$1") >= BURST)); }

declare -A RATE SPAN INTAKE
ROWS=()
# row KEY LABEL GATEWAYS CALLS OUTBOX(sqlite|postgresql)
row() {
  local key=$1 label=$2 n=$3 calls=$4 kind=$5 record=$W/$1.jsonl ports=() g outbox
  note "$label"
  start_standin "$record"
  GW_PIDS=()
  if [[ $kind == postgresql ]]; then
    "$PG" psql "$W/pg" "CREATE DATABASE $key" >/dev/null
    outbox="\"postgresql\": \"$PG_BASE dbname=$key\""
  else
    outbox=""
  fi
  for ((g = 1; g <= n; g++)); do
    gateway "$W/$key-gw$g" "$calls" "$outbox"
    ports+=("$GW_PORT")
  done
  local result first last bad acked
  result=$(burst "${ports[@]}")
  read -r first last bad acked <<<"$result"
  ((acked == BURST)) || die "$label: $acked of $BURST deliveries acknowledged"
  wait_for 600 "$label: every job to start" all_started "$record"
  sleep 1 # a duplicate run would show up now
  local runs distinct t_first t_last
  runs=$(executions "$record")
  distinct=$(grep '"executed":true' "$record" | grep -o '"pd_incident_id":"[^"]*"' | sort -u | wc -l)
  ((runs == BURST && distinct == BURST)) || die "$label: $runs runs of $distinct distinct jobs for $BURST deliveries"
  t_first=$(grep -m 1 '"executed":true' "$record" | sed 's/.*"ms":\([0-9]*\).*/\1/')
  t_last=$(grep '"executed":true' "$record" | tail -n 1 | sed 's/.*"ms":\([0-9]*\).*/\1/')
  RATE[$key]=$(awk -v n="$BURST" -v ms=$((t_last - t_first)) 'BEGIN { printf "%.0f", ms ? (n - 1) * 1000 / ms : 0 }')
  SPAN[$key]=$(awk -v ms=$((t_last - first)) 'BEGIN { printf "%.2f", ms / 1000 }')
  INTAKE[$key]=$(awk -v ms=$((last - first)) -v n="$BURST" 'BEGIN { printf "%.2f s (%.0f/s)", ms / 1000, ms ? n * 1000 / ms : 0 }')
  ROWS+=("$key|$label")
  for g in "${GW_PIDS[@]}"; do kill -TERM "$g"; wait "$g" || true; done
  kill -TERM "$STANDIN_PID"
  wait "$STANDIN_PID" || true
}

row baseline "SQLite, 1 gateway, one call at a time (maxConcurrentCalls 1: the dispatcher before)" 1 1 sqlite
row sqlite "SQLite, 1 gateway" 1 "$CALLS" sqlite
row pg1 "PostgreSQL, 1 gateway" 1 "$CALLS" postgresql
row pg2 "PostgreSQL, 2 gateways" 2 "$CALLS" postgresql
row pg3 "PostgreSQL, 3 gateways" 3 "$CALLS" postgresql

out "## Dispatch, $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "- CPUs (nproc): $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
out "- $BURST distinct signed deliveries (one job each, each its own incident), 16 client connections spread over the gateways"
out "- Rundeck stand-in answering every run call in $DELAY ms; rundeck.maxConcurrentCalls $CALLS per gateway (baseline: 1)"
out "- PostgreSQL $(psql --version | awk '{print $3}') (throwaway cluster on the build's disk, fsync on), SQLite $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo '?')"
out ""
out "| outbox and gateways | jobs started per second | vs baseline | first 2xx to last job started | intake of the burst (first to last 2xx) | every job started exactly once |"
out "|---|---:|---:|---:|---|---|"
for r in "${ROWS[@]}"; do
  k=${r%%|*}
  out "| ${r#*|} | ${RATE[$k]} | $(awk -v a="${RATE[$k]}" -v b="${RATE[baseline]}" 'BEGIN { printf "%.1fx", b ? a / b : 0 }') | ${SPAN[$k]} s | ${INTAKE[$k]} | yes ($BURST runs, $BURST distinct) |"
done
