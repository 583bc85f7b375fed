#!/usr/bin/env bash
# The gateway under load: rdwh-gateway and adnanh/webhook (Debian's `webhook`) side by side in the
# same run, the same signed PagerDuty V3 delivery sent by wrk on 127.0.0.1, and a Markdown table
# of requests/s and latency percentiles. Then checks that every delivery the gateway accepted is
# committed to its outbox.
#
#   test/bench/load/run.sh [BUILD_DIR]          # default build/release (rdwh-gateway, rdwh-host,
#                                               # rdwh-rundeck-standin, plugins/rdwh-pagerduty.so)
#
#   RDWH_LOAD_DURATION=6       seconds of load per row and round
#   RDWH_LOAD_ROUNDS=2         rounds; the rows take turns in each round, and the table shows each
#                              row's best round (most requests/s) with every round's requests/s
#   RDWH_LOAD_THREADS=2        wrk threads
#   RDWH_LOAD_CONNECTIONS=32   wrk connections
#   RDWH_LOAD_DIAG=1           also the two diagnostic gateway rows (0: only the three main rows)
#   RDWH_LOAD_STORE=1          also gw-match and (with the diagnostics) gw-nomatch and gw-stalled with
#                              the console's delivery store on: its cost, as ratios to the rows without it
#
# Needs wrk, webhook and python3 (scripts/bench-gateway.sh installs them). Everything listens on
# 127.0.0.1 only; every process started here is stopped by its pid on exit. About 100 s with the
# defaults. The work directory (configs, logs, outboxes, wrk outputs) is BUILD_DIR/load, kept for
# inspection and wiped at the next run; the printed report is also written to
# BUILD_DIR/load/results.md. Exit 1 when a sanity check or the outbox check fails.
#
# Rows, in this order in every round:
#   gw-match    rdwh-gateway, signed, the one rule matches: 1 job per delivery committed (WAL,
#               synchronous=FULL) before the 200; the dispatcher runs the jobs on the Rundeck
#               stand-in (which answers 200) during the load, as in production.
#   gw-match-pg the same with the PostgreSQL outbox (a throwaway cluster on the build's disk,
#               pg_cluster.sh; every commit durable: synchronous_commit on, fsync on).
#   wh-match    webhook, HMAC + event_type match: every delivery forks /bin/true (webhook's design:
#               one command per matching hook; it answers 200 before the command runs).
#   wh-nomatch  webhook, same HMAC check, the event_type rule does not match: no command runs.
#   gw-nomatch  (diagnostic) rdwh-gateway, signed, no rule matches: no outbox write.
#   gw-stalled  (diagnostic) rdwh-gateway, rule matches, Rundeck stalled: the dispatcher sits in
#               one run call all along, so the intake has the outbox's writer to itself.
#   gw-match-store, gw-nomatch-store, gw-stalled-store   gw-match, gw-nomatch and (with the
#               diagnostics) gw-stalled with the console on and its delivery store recording every
#               delivery (explanation included): one with jobs in the same transaction as its jobs;
#               one with no job by the background writer (no fsync).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build/release}" && pwd)
BIN=$BUILD/bin
PLUGIN_DIR=$BUILD/plugins
DUR=${RDWH_LOAD_DURATION:-6}
ROUNDS=${RDWH_LOAD_ROUNDS:-2}
THREADS=${RDWH_LOAD_THREADS:-2}
CONNS=${RDWH_LOAD_CONNECTIONS:-32}
DIAG=${RDWH_LOAD_DIAG:-1}
STORE=${RDWH_LOAD_STORE:-1}
FIXTURE=$ROOT/test/gateway/data/v3-incident.triggered-nudgebee.json
SECRET=$(cat "$ROOT/test/gateway/data/pd-secret.txt")
TOKEN=bench-token-0123456789abcdef
TOKEN_NOMATCH=bench-token-nomatch-0123456789

for tool in wrk webhook python3 timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/bench-gateway.sh installs it)" >&2; exit 1; }
done
for f in "$BIN/rdwh-gateway" "$BIN/rdwh-host" "$BIN/rdwh-rundeck-standin" "$PLUGIN_DIR/rdwh-pagerduty.so"; do
  [[ -e $f ]] || { echo "run.sh: $f is missing: build rdwh-gateway rdwh-host rdwh_plugin rdwh-rundeck-standin" >&2; exit 1; }
done

# On the build's disk, not /tmp (which may be tmpfs, where an fsync costs nothing).
W=$BUILD/load
source "$HERE/common.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# forget PID: reaped, so cleanup must not signal that pid (it may be reused).
forget() {
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
# stop PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 15).
stop() {
  local pid=$1 end=$(($(now_ms) + ${2:-15} * 1000))
  if kill -TERM "$pid" 2>/dev/null; then
    while kill -0 "$pid" 2>/dev/null && (($(now_ms) < end)); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}
# kill_now PID: SIGKILL.
kill_now() {
  kill -KILL "$1" 2>/dev/null || true
  { wait "$1" || true; } 2>/dev/null
  forget "$1"
}
# cpu_ticks PID: utime + stime + cutime + cstime (children waited for included).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13 + $14 + $15}'; }
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------- the delivery

# PagerDuty sends compact JSON: the fixture (an incident.triggered delivery), compacted, with
# occurred_at now (the gateway skips events older than maxEventAge) and, in the template wrk
# uses, @N@ in the event id and the incident id: each request is a distinct event about a
# distinct incident (the gateway de-duplicates by the signed event id and runs an incident's jobs
# one after another). The signatures of bodies 0..SIGNED-1 are computed here, not in wrk.
SIGNED=${RDWH_LOAD_SIGNED:-400000}
TEMPLATE=$W/template.json
SIGNATURES=$W/signatures.txt
BODY=$W/body.json
python3 - "$FIXTURE" "$SECRET" "$SIGNED" "$TEMPLATE" "$SIGNATURES" "$BODY" <<'PY'
import datetime, hashlib, hmac, json, sys
fixture, secret, count, template_path, signatures_path, body_path = sys.argv[1:]
d = json.load(open(fixture))
d["event"]["occurred_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
d["event"]["id"] = "01BENCH@N@"
d["event"]["data"]["id"] = "QBENCH@N@"
template = json.dumps(d, separators=(",", ":"))
open(template_path, "w").write(template)
key = secret.encode()
with open(signatures_path, "w") as out:
    for n in range(int(count)):
        body = template.replace("@N@", "%09d" % n).encode()
        out.write(hmac.new(key, body, hashlib.sha256).hexdigest() + "\n")
open(body_path, "w").write(template.replace("@N@", "sanity")) # for the sanity checks, outside the range
PY
SIG=$("$BIN/rdwh-host" sign --key "$SECRET" --body "$BODY")
HEX=${SIG#v1=}
[[ $SIG == v1=* && ${#HEX} == 64 ]] || die "unexpected signature from rdwh-host sign: $SIG"

# ------------------------------------------------------------------------------------ processes

STANDIN_PID='' STANDIN_PORT=''
STANDIN_RECORD=''
start_standin() { # ROUND
  STANDIN_RECORD=$W/standin-runs-r$1.jsonl
  rm -f "$W/standin.port"
  "$BIN/rdwh-rundeck-standin" --record "$STANDIN_RECORD" --port-file "$W/standin.port" >>"$W/standin.log" 2>&1 &
  STANDIN_PID=$!
  PIDS+=("$STANDIN_PID")
  wait_for 10 "the Rundeck stand-in" test -s "$W/standin.port"
  STANDIN_PORT=$(cat "$W/standin.port")
}
standin_runs() { local n; n=$(grep -c '"executed":true' "$STANDIN_RECORD" 2>/dev/null) || true; echo "${n:-0}"; }
standin_has_runs() { (($(standin_runs) >= $1)); }

# gateway_config DIR RUNDECK_TIMEOUT_S [OUTBOX_MEMBERS] [store]: one webhook whose one rule matches
# the delivery (one job per delivery), one whose rule does not. Defaults otherwise (http.threads
# 16, logLevel info). "store": the console on, with its delivery store (defaults).
gateway_config() {
  local d=$1 timeout=$2 outbox=${3:-} console=''
  # A lease must outlast a run call (the config check refuses a shorter one).
  if ((timeout > 30)); then outbox="\"leaseSeconds\": $timeout${outbox:+, $outbox}"; fi
  mkdir -p "$d/keys/pd"
  printf '%s' "$SECRET" >"$d/keys/pd/secret"
  printf 'rdtoken-bench\n' >"$d/rundeck.token"
  if [[ ${4:-} == store ]]; then
    printf 'console-token-bench-0123456789\n' >"$d/console.token"
    console='"console": {"listen": "127.0.0.1:0", "authTokenFile": "console.token"},'
  fi
  local rule_common='"jobId": "3a13fca8-0000-4000-8000-000000000001",
      "jobOptions": [{"name": "pd_incident_id", "value": "$.event.data.id"},
                     {"name": "service", "value": "$.event.data.service.summary"}],
      "nodeFilter": "tags: web"'
  cat >"$d/gateway.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "pluginDir": "$PLUGIN_DIR",
  "stateDir": "state",
  "keyStorageDir": "keys",
  "logLevel": "info",
  "outbox": {$outbox},
  $console
  "rundeck": {"url": "http://127.0.0.1:$STANDIN_PORT", "apiVersion": 41, "authTokenFile": "rundeck.token",
              "connectTimeoutSeconds": 2, "timeoutSeconds": $timeout},
  "webhooks": [
    {"name": "bench", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": "$TOKEN",
     "config": {"keyStoragePath": "keys/pd/secret", "rules": [
       {"name": "remediate triggered incidents", $rule_common,
        "conditions": [{"path": "\$.event.event_type", "condition": "equals", "value": "incident.triggered"}]}]}},
    {"name": "bench-nomatch", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": "$TOKEN_NOMATCH",
     "config": {"keyStoragePath": "keys/pd/secret", "rules": [
       {"name": "clean up resolved incidents", $rule_common,
        "conditions": [{"path": "\$.event.event_type", "condition": "equals", "value": "incident.resolved"}]}]}}
  ]
}
EOF
}

GW_PID='' GW_PORT='' GW_DIR=''
start_gateway() { # DIR
  GW_DIR=$1
  "$BIN/rdwh-gateway" --config "$GW_DIR/gateway.json" 2>"$GW_DIR/gateway.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_for 10 "the gateway to listen" grep -qs '"msg":"listening"' "$GW_DIR/gateway.log"
  GW_PORT=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$GW_DIR/gateway.log" | head -n 1)
  [[ -n $GW_PORT ]] || die "no port in the gateway's listening line"
}
gw_jobs() { "$BIN/rdwh-gateway" --config "$GW_DIR/gateway.json" --jobs "$@"; }
gw_metric() { # PREFIX: the sum of the samples whose line starts with PREFIX
  python3 - "$GW_PORT" "$1" <<'PY'
import sys, urllib.request
port, prefix = sys.argv[1], sys.argv[2]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
print(int(sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(prefix))))
PY
}
count() { local n; n=$(grep -c "$@") || true; echo "${n:-0}"; } # grep -c that prints 0 and succeeds
stalled_running() { gw_jobs --status running | grep -q .; }

WH_PID='' WH_PORT=''
start_webhook() {
  local hooks
  hooks=$(cat "$HERE/hooks.json.in")
  printf '%s\n' "${hooks//@SECRET@/"$SECRET"}" >"$W/hooks.json"
  WH_PORT=$(free_port)
  # Not -verbose: webhook then logs nothing per request.
  webhook -hooks "$W/hooks.json" -ip 127.0.0.1 -port "$WH_PORT" >>"$W/webhook.log" 2>&1 &
  WH_PID=$!
  PIDS+=("$WH_PID")
  wait_for 10 "webhook to listen" python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$WH_PORT"
}
# wh_idle: no child process, and no CPU time used (its own or its children's) for 500 ms.
wh_idle() {
  local t0
  t0=$(cpu_ticks "$WH_PID")
  sleep 0.5
  ! pgrep -P "$WH_PID" >/dev/null && [[ $(cpu_ticks "$WH_PID") == "$t0" ]]
}

# send URL [rdwh-host send args...] -> {"status":N,"body":"..."}
send() { local url=$1; shift; "$BIN/rdwh-host" send "$url" --body "$BODY" "$@"; }
expect() { # WHAT WANT_SUBSTRING URL [args...]
  local what=$1 want=$2 got
  shift 2
  got=$(send "$@" 2>&1) || true
  [[ $got == *"$want"* ]] || die "sanity check '$what': expected $want, got: $got"
  note "sanity: $what -> $got"
}

# ------------------------------------------------------------------------------------------ wrk

declare -A R # the last run's RESULT fields
# Per run, keyed "ROW,ROUND": requests/s, percentiles (ms), errors, CPU.
declare -A RPS P50 P90 P99 PMAX NON2XX SOCKERR CPU CPUPCT

# load TAG URL PID: runs wrk, fills R; the server's CPU ticks at the start and end go to CPU0, CPU1.
load() {
  local tag=$1 url=$2 pid=$3
  CPU0=$(cpu_ticks "$pid")
  note "wrk -t$THREADS -c$CONNS -d${DUR}s --latency $url ($tag)"
  timeout -k 5 $((DUR + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 10s --latency \
    -s "$HERE/signed_post.lua" "$url" -- "$TEMPLATE" "$SIGNATURES" "$tag" "$THREADS" >"$W/wrk-$tag.txt" 2>&1 ||
    die "wrk failed ($tag): $(tail -n 5 "$W/wrk-$tag.txt")"
  CPU1=$(cpu_ticks "$pid") # at the end of the load (a drain may follow)
  local line kv
  line=$(grep '^RESULT ' "$W/wrk-$tag.txt") || die "no RESULT line from wrk ($tag): $(tail -n 5 "$W/wrk-$tag.txt")"
  R=()
  for kv in ${line#RESULT }; do R[${kv%%=*}]=${kv#*=}; done
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
# record KEY PID: after load (and after any drain). CPU per request counts everything up to now
# (a drain included); CPU % is over the load alone.
record() {
  local k=$1 pid=$2 ticks load_ticks secs
  ticks=$(($(cpu_ticks "$pid") - CPU0))
  load_ticks=$((CPU1 - CPU0))
  secs=$(awk -v d="${R[duration_us]}" 'BEGIN { print d / 1e6 }')
  RPS[$k]=$(awk -v n="${R[requests]}" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  P50[$k]=$(ms "${R[p50_us]}") P90[$k]=$(ms "${R[p90_us]}") P99[$k]=$(ms "${R[p99_us]}") PMAX[$k]=$(ms "${R[max_us]}")
  NON2XX[$k]=${R[non2xx]}
  SOCKERR[$k]=$((R[connect] + R[read] + R[write] + R[timeout]))
  CPU[$k]=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="${R[requests]}" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }')
  CPUPCT[$k]=$(awk -v t="$load_ticks" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", t / hz / s * 100 }')
}

# outbox_snapshot, then the load, then outbox_check TAG LABEL: every delivery the gateway answered
# 2xx during the load has its job committed, exactly one per delivery. Only what happened after
# the snapshot counts (the sanity deliveries are left out).
OUTBOX_LINES=()
OUTBOX_OK=1
outbox_snapshot() {
  B_LOG=$(wc -l <"$GW_DIR/gateway.log")
  B_JOBS=$(gw_jobs | wc -l)
  B_M200=$(gw_metric 'rdwh_gateway_deliveries_total{webhook="bench",code="200"}')
  B_MQUEUED=$(gw_metric 'rdwh_gateway_jobs_queued_total{webhook="bench"}')
  B_COMMITS=$(gw_metric 'rdwh_gateway_outbox_commits_total')
  B_COMMITTED=$(gw_metric 'rdwh_gateway_outbox_committed_deliveries_total')
  B_DISPATCH_TX=$(gw_metric 'rdwh_gateway_outbox_dispatch_commits_total')
  B_RUN=$(gw_metric 'rdwh_gateway_jobs_run_total')
}
# The commit path of the last load (after outbox_snapshot): durable commits, the deliveries they
# carried, the dispatcher's transactions and the jobs it ran, from the gateway's counters.
COMMIT_LINES=()
commit_path() { # LABEL
  local commits committed dtx run
  commits=$(($(gw_metric 'rdwh_gateway_outbox_commits_total') - B_COMMITS))
  committed=$(($(gw_metric 'rdwh_gateway_outbox_committed_deliveries_total') - B_COMMITTED))
  dtx=$(($(gw_metric 'rdwh_gateway_outbox_dispatch_commits_total') - B_DISPATCH_TX))
  run=$(($(gw_metric 'rdwh_gateway_jobs_run_total') - B_RUN))
  COMMIT_LINES+=("| $1 | $committed | $commits | $(awk -v a="$committed" -v b="$commits" 'BEGIN { printf "%.1f", b ? a / b : 0 }') | $run | $dtx | $(awk -v a="$dtx" -v b="$run" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |")
}
outbox_check() { # TAG LABEL
  local tag=$1 label=$2
  sleep 1 # requests wrk left in flight at its stop are answered (or dropped) by now
  local wrk_2xx=$((R[requests] - R[non2xx])) sent=${R[sent]} d=$W/deliveries-$tag.log j=$W/jobs-$tag.jsonl
  tail -n +$((B_LOG + 1)) "$GW_DIR/gateway.log" | grep '"msg":"delivery"' >"$d" || true
  gw_jobs | tail -n +$((B_JOBS + 1)) >"$j"
  local jobs distinct logged logged_200 queued1 m_200 m_queued st_done st_waiting
  jobs=$(wc -l <"$j")
  distinct=$(grep -o '"deliveryKey":"[^"]*"' "$j" | sort -u | wc -l)
  logged=$(wc -l <"$d")
  logged_200=$(count '"status":200' "$d")
  queued1=$(grep '"status":200' "$d" | count '"queued":1')
  m_200=$(($(gw_metric 'rdwh_gateway_deliveries_total{webhook="bench",code="200"}') - B_M200))
  m_queued=$(($(gw_metric 'rdwh_gateway_jobs_queued_total{webhook="bench"}') - B_MQUEUED))
  st_done=$(count '"status":"done"' "$j")
  st_waiting=$(count -E '"status":"(queued|running)"' "$j")
  local verdict=PASS why=()
  ((jobs == distinct)) || why+=("$jobs jobs but $distinct distinct delivery keys")
  ((jobs == logged_200)) || why+=("$jobs jobs but $logged_200 deliveries logged 200")
  ((queued1 == logged_200)) || why+=("$((logged_200 - queued1)) deliveries answered 200 without queued=1")
  ((m_200 == logged_200 && m_queued == jobs)) || why+=("metrics disagree: deliveries{code=200} +$m_200, jobs_queued +$m_queued")
  ((logged == logged_200)) || why+=("$((logged - logged_200)) deliveries answered other than 200")
  ((wrk_2xx <= jobs)) || why+=("wrk saw $wrk_2xx 2xx answers but only $jobs jobs are committed")
  ((jobs <= sent)) || why+=("$jobs jobs for $sent requests sent")
  if ((${#why[@]})); then
    verdict="FAIL: $(printf '%s; ' "${why[@]}")"
    OUTBOX_OK=0
  fi
  OUTBOX_LINES+=("| $label | $sent | $wrk_2xx | $logged_200 | $m_200 | $jobs | $distinct | $st_done / $st_waiting | **$verdict** |")
  commit_path "$label"
}
# per_second FILE: deliveries per wall-clock second in a gateway log (first and last are partial).
per_second() { sed 's/.*"ts":"[^T]*T\([0-9:]*\)\..*/\1/' "$1" | uniq -c | awk '{ printf "%s%s", sep, $1; sep = " " }'; }

# ------------------------------------------------------------------------------------ the machine

sqlite_floor() { # SYNCHRONOUS [ROWS_PER_COMMIT]: rows committed per second on the state directory's disk
  python3 - "$W/floor.sqlite3" "$1" "${2:-1}" <<'PY'
import os, sqlite3, sys, time
path, sync, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
for suffix in ("", "-wal", "-shm"):
    try: os.remove(path + suffix)
    except FileNotFoundError: pass
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute(f"PRAGMA synchronous={sync}")
db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT)")
v = "x" * 400
n, end = 0, time.monotonic() + 2
while time.monotonic() < end:
    db.execute("BEGIN IMMEDIATE")
    for _ in range(batch):
        db.execute("INSERT INTO jobs (k, v) VALUES (?, ?)", (str(n), v))
        n += 1
    db.execute("COMMIT")
print(round(n / 2))
PY
}

out "## Gateway under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "- CPUs (nproc): $(nproc), shared by wrk ($THREADS threads, $CONNS connections) and the server under test"
out "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
out "- Kernel $(uname -r); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
out "- State directory: $(df -T "$W" | awk 'NR == 2 { print $2 }') on $(df "$W" | awk 'NR == 2 { print $1 }')"
out "- wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo '?'), webhook $(webhook -version | awk '{print $NF}') (Debian $(dpkg-query -W -f='${Version}' webhook 2>/dev/null || echo '?')), libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null || echo '?'), SQLite $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo '?')"
out "- rdwh-gateway: $(grep -m1 '^CMAKE_BUILD_TYPE:' "$BUILD/CMakeCache.txt" 2>/dev/null | cut -d= -f2- || echo '?') build in $BUILD"
out "- Delivery: $(basename "$FIXTURE") compacted, $(wc -c <"$BODY") bytes, signed (HMAC-SHA256); every request a distinct event (event id, incident id, X-Webhook-Id)"
out "- SQLite on this disk, WAL, one writer, a 400-byte row per INSERT (python3's sqlite3, same libsqlite3): $(sqlite_floor FULL) rows/s"
out "  with one row per transaction and synchronous=FULL (an fsync per commit, as the outbox), $(sqlite_floor NORMAL) with NORMAL"
out "  (no fsync per commit), $(sqlite_floor FULL 16) with FULL and 16 rows per transaction (one fsync for 16 rows)"
out "- $ROUNDS rounds; in each, every row gets ${DUR} s of load, one row after another"
out ""

# ------------------------------------------------------------------------------------------ rows

GW_URL() { echo "http://127.0.0.1:$GW_PORT/api/41/webhook/$1"; }
DISPATCHED=() WH_DRAIN_MS=() WH_DONE_RPS=() SERIES=()

row_gw_match() { # ROUND [store]
  local k=gw-match${2:+-$2},$1 tag=gw-match${2:+-$2}-r$1 runs0
  gateway_config "$W/$tag" 10 "" "${2:-}"
  start_gateway "$W/$tag"
  expect "gateway, signed, matching" '"status":200' "$(GW_URL "$TOKEN")" --key "$SECRET"
  expect "gateway, bad signature" '"status":403' "$(GW_URL "$TOKEN")" --key wrong-secret
  wait_for 10 "the sanity job to be dispatched" standin_has_runs 1
  runs0=$(standin_runs)
  outbox_snapshot
  load "$tag" "$(GW_URL "$TOKEN")" "$GW_PID"
  record "$k" "$GW_PID"
  [[ -n ${2:-} ]] || DISPATCHED[$1]=$(($(standin_runs) - runs0))
  outbox_check "$tag" "gateway${2:+ with the delivery store}, rule matches, round $1"
  [[ -n ${2:-} ]] || SERIES[$1]=$(per_second "$W/deliveries-$tag.log")
  stop "$GW_PID"
}

row_gw_match_pg() { # ROUND: gw-match on the PostgreSQL outbox, a fresh database per round
  local k=gw-match-pg,$1 tag=gw-match-pg-r$1
  start_pg
  "$PG" psql "$W/pg" "CREATE DATABASE gw_match_r$1" >/dev/null
  gateway_config "$W/$tag" 10 "\"postgresql\": \"$PG_BASE dbname=gw_match_r$1\""
  start_gateway "$W/$tag"
  expect "gateway on PostgreSQL, signed, matching" '"status":200' "$(GW_URL "$TOKEN")" --key "$SECRET"
  outbox_snapshot
  load "$tag" "$(GW_URL "$TOKEN")" "$GW_PID"
  record "$k" "$GW_PID"
  outbox_check "$tag" "gateway on PostgreSQL, rule matches, round $1"
  stop "$GW_PID"
}

row_webhook() { # ROUND: wh-match, then wh-nomatch, on one webhook process
  local r=$1 drain0 bad=${HEX//?/0}
  start_webhook
  local url=http://127.0.0.1:$WH_PORT/hooks
  expect "webhook, signed, matching" '"body":"ok"' "$url/pagerduty" --header "X-Hub-Signature-256: sha256=$HEX"
  expect "webhook, bad signature" '"status":500' "$url/pagerduty" --header "X-Hub-Signature-256: sha256=$bad"
  expect "webhook, PagerDuty's v1= header as-is" '"status":500' "$url/pagerduty" --header "X-Hub-Signature-256: $SIG"
  expect "webhook, signed, not matching" 'Hook rules were not satisfied' "$url/pagerduty-nomatch" --header "X-Hub-Signature-256: sha256=$HEX"
  expect "webhook, not matching, bad signature" '"status":500' "$url/pagerduty-nomatch" --header "X-Hub-Signature-256: sha256=$bad"
  wait_for 10 "webhook to be idle" wh_idle
  load "wh-match-r$r" "$url/pagerduty" "$WH_PID"
  # It answers before the command runs: wait for the forked commands to finish, so that their CPU
  # time counts (children waited for) and they do not run into the next row.
  drain0=$(now_ms)
  wait_for 90 "webhook's commands to finish" wh_idle
  WH_DRAIN_MS[$r]=$(($(now_ms) - drain0 - 500)) # wh_idle saw no change for its last 500 ms
  WH_DONE_RPS[$r]=$(awk -v n="${R[requests]}" -v us="${R[duration_us]}" -v ms="${WH_DRAIN_MS[$r]}" 'BEGIN { printf "%.0f", n / (us / 1e6 + ms / 1e3) }')
  record "wh-match,$r" "$WH_PID"
  load "wh-nomatch-r$r" "$url/pagerduty-nomatch" "$WH_PID"
  record "wh-nomatch,$r" "$WH_PID"
  stop "$WH_PID"
}

row_gw_nomatch() { # ROUND [store]
  local tag=gw-nomatch${2:+-$2}-r$1
  gateway_config "$W/$tag" 10 "" "${2:-}"
  start_gateway "$W/$tag"
  expect "gateway, signed, no rule matches" '"status":200' "$(GW_URL "$TOKEN_NOMATCH")" --key "$SECRET"
  load "$tag" "$(GW_URL "$TOKEN_NOMATCH")" "$GW_PID"
  record "gw-nomatch${2:+-$2},$1" "$GW_PID"
  [[ $(gw_jobs | wc -l) == 0 ]] || die "jobs queued although no rule matches"
  stop "$GW_PID"
}

row_gw_stalled() { # ROUND [store]: the stand-in holds every run answer longer than the load lasts
  local tag=gw-stalled${2:+-$2}-r$1
  "$BIN/rdwh-host" send "http://127.0.0.1:$STANDIN_PORT/_control/delay?ms=$(((DUR + 60) * 1000))" --body /dev/null >/dev/null
  gateway_config "$W/$tag" $((DUR + 60)) "" "${2:-}"
  start_gateway "$W/$tag"
  expect "gateway, signed, matching (Rundeck stalled)" '"status":200' "$(GW_URL "$TOKEN")" --key "$SECRET"
  wait_for 10 "the dispatcher to call the stalled stand-in" stalled_running
  outbox_snapshot
  load "$tag" "$(GW_URL "$TOKEN")" "$GW_PID"
  record "gw-stalled${2:+-$2},$1" "$GW_PID"
  outbox_check "$tag" "gateway${2:+ with the delivery store}, Rundeck stalled, round $1"
  # Its dispatcher is inside a run call that would last another minute: the outbox is checked,
  # so end it at once. The stand-in holding that call goes after the last stalled row.
  kill_now "$GW_PID"
}

for ((round = 1; round <= ROUNDS; round++)); do
  note "round $round of $ROUNDS"
  start_standin "$round"
  row_gw_match "$round"
  [[ $STORE == 1 ]] && row_gw_match "$round" store
  [[ ${RDWH_LOAD_PG:-1} == 1 ]] && row_gw_match_pg "$round"
  row_webhook "$round"
  if [[ $DIAG == 1 ]]; then
    row_gw_nomatch "$round"
    [[ $STORE == 1 ]] && row_gw_nomatch "$round" store
    row_gw_stalled "$round"
    [[ $STORE == 1 ]] && row_gw_stalled "$round" store
    kill_now "$STANDIN_PID"
  else
    stop "$STANDIN_PID"
  fi
done

# ---------------------------------------------------------------------------------------- report

best_round() { # ROW: the round with the most requests/s
  local row=$1 r best=1
  for ((r = 2; r <= ROUNDS; r++)); do
    local a=${RPS[$row,$r]} b=${RPS[$row,$best]}
    ((a > b)) && best=$r
  done
  echo "$best"
}
every_round() { # ROW
  local row=$1 r list=()
  for ((r = 1; r <= ROUNDS; r++)); do list+=("${RPS[$row,$r]}"); done
  local IFS=,
  echo "${list[*]}" | sed 's/,/, /g'
}
declare -A LABEL=(
  [gw-match]="rdwh-gateway: signed, rule matches (1 job committed per delivery, dispatched to the stand-in)"
  [gw-match-pg]="rdwh-gateway, PostgreSQL outbox: signed, rule matches (1 job committed per delivery, dispatched)"
  [wh-match]="webhook: HMAC + event_type match, forks /bin/true per delivery"
  [wh-nomatch]="webhook: HMAC checked, event_type does not match (no command runs)"
  [gw-nomatch]="diagnostic: rdwh-gateway, signed, no rule matches (no outbox write)"
  [gw-stalled]="diagnostic: rdwh-gateway, rule matches, Rundeck stalled (dispatcher idle)"
  [gw-match-store]="rdwh-gateway with the delivery store: signed, rule matches (delivery recorded with its job)"
  [gw-nomatch-store]="diagnostic: rdwh-gateway with the delivery store, no rule matches (recorded in the background, no job)"
  [gw-stalled-store]="diagnostic: rdwh-gateway with the delivery store, rule matches, Rundeck stalled (intake alone)"
)
rows=(gw-match)
[[ $STORE == 1 ]] && rows+=(gw-match-store)
[[ ${RDWH_LOAD_PG:-1} == 1 ]] && rows+=(gw-match-pg)
rows+=(wh-match wh-nomatch)
[[ $DIAG == 1 ]] && rows+=(gw-nomatch)
[[ $DIAG == 1 && $STORE == 1 ]] && rows+=(gw-nomatch-store)
[[ $DIAG == 1 ]] && rows+=(gw-stalled)
[[ $DIAG == 1 && $STORE == 1 ]] && rows+=(gw-stalled-store)
declare -A BEST
out "| server and variant | requests/s | every round | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors | server CPU µs/request | server CPU during the load, % of one core |"
out "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  b=$(best_round "$row")
  BEST[$row]=$row,$b
  k=$row,$b
  out "| ${LABEL[$row]} | ${RPS[$k]} | $(every_round "$row") | ${P50[$k]} | ${P90[$k]} | ${P99[$k]} | ${PMAX[$k]} | ${NON2XX[$k]} | ${SOCKERR[$k]} | ${CPU[$k]} | ${CPUPCT[$k]} |"
done
out ""
wb=${BEST[wh-match]#*,}
gb=${BEST[gw-match]#*,}
out "Each row shows its best round (most requests/s); \"every round\" gives the requests/s of each."
out "webhook answers 200 before its command runs: in its best round its forked commands were still"
out "running ${WH_DRAIN_MS[$wb]} ms after the load ended, so its commands completed at ${WH_DONE_RPS[$wb]}/s (answers + backlog;"
out "every round: $(printf '%s/s\n' "${WH_DONE_RPS[@]}" | paste -sd, - | sed 's/,/, /g')). Their CPU time (children waited for) is in its row."
out "The gateway's dispatcher ran ${DISPATCHED[$gb]} jobs on the stand-in during the ${DUR} s of its best round (up to"
out "rundeck.maxConcurrentCalls at a time); the rest stayed queued. Deliveries per second in the gateway's log,"
for ((r = 1; r <= ROUNDS; r++)); do out "round $r: ${SERIES[$r]} (first and last seconds partial)."; done
out ""

gk=${BEST[gw-match]} wk=${BEST[wh-match]} nk=${BEST[wh-nomatch]}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? "yes" : "no" }'; }
goal=missed
awk -v r="$(ratio "${RPS[$gk]}" "${RPS[$wk]}")" 'BEGIN { exit !(r >= 3) }' && [[ $(lower "${P99[$gk]}" "${P99[$wk]}") == yes ]] && goal=met
out "| goal | measured (best rounds) | verdict |"
out "|---|---|---|"
out "| at least 3x webhook's requests/s with a lower p99 (webhook matching: it does the same job) | $(ratio "${RPS[$gk]}" "${RPS[$wk]}")x (${RPS[$gk]} vs ${RPS[$wk]} requests/s); p99 ${P99[$gk]} vs ${P99[$wk]} ms (lower: $(lower "${P99[$gk]}" "${P99[$wk]}")) | **$goal** |"
out "| for reference: against the rate webhook's commands completed | $(ratio "${RPS[$gk]}" "${WH_DONE_RPS[$wb]}")x (${RPS[$gk]} vs ${WH_DONE_RPS[$wb]}/s) | |"
out "| for reference: against webhook when nothing matches (no fork) | $(ratio "${RPS[$gk]}" "${RPS[$nk]}")x (${RPS[$gk]} vs ${RPS[$nk]} requests/s); p99 ${P99[$gk]} vs ${P99[$nk]} ms (lower: $(lower "${P99[$gk]}" "${P99[$nk]}")) | |"
out ""
if [[ $STORE == 1 ]]; then
  # The store's cost as ratios to the rows without it, each row's best round, measured in this run.
  store_line() { # ROW LABEL
    local a=${BEST[$1]} b=${BEST[$1-store]}
    out "| $2 | $(ratio "${RPS[$b]}" "${RPS[$a]}")x (${RPS[$b]} vs ${RPS[$a]}) | ${P99[$b]} vs ${P99[$a]} | ${CPU[$b]} vs ${CPU[$a]} |"
  }
  out "Delivery store (console.deliveries): with it / without it, best rounds of this run."
  out ""
  out "| deliveries | requests/s with / without | p99 ms with vs without | server CPU µs/request with vs without |"
  out "|---|---|---|---|"
  store_line gw-match "a rule matches: the record joins its job's transaction"
  [[ $DIAG == 1 ]] && store_line gw-stalled "a rule matches, Rundeck stalled (intake alone)"
  [[ $DIAG == 1 ]] && store_line gw-nomatch "no rule matches: recorded by the background writer, many per transaction, no fsync"
  out ""
fi
out "Commit path (the gateway's counters over the load and the second after it): durable commits of"
out "deliveries' jobs (one fsync or WAL flush each) and the dispatcher's transactions (outcomes + claims)."
out ""
out "| run | deliveries committed | durable commits | deliveries per commit | jobs run | dispatcher transactions | per job run |"
out "|---|---:|---:|---:|---:|---:|---:|"
for l in "${COMMIT_LINES[@]}"; do out "$l"; done
out ""
out "Outbox check: every delivery answered 2xx has its job committed, one per delivery."
out ""
out "| run | requests sent | 2xx seen by wrk | deliveries logged 200 | deliveries_total{code=200} | jobs in the outbox | distinct events | done / queued at the check | verdict |"
out "|---|---:|---:|---:|---:|---:|---:|---|---|"
for l in "${OUTBOX_LINES[@]}"; do out "$l"; done
out ""
out "(The sanity deliveries sent before each run are left out of the counts. \"requests sent\" minus \"2xx"
out "seen by wrk\" were in flight when wrk stopped: the gateway may still have committed and answered them.)"

((OUTBOX_OK)) || die "the outbox check failed (see the table above)"
