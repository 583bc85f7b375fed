#!/usr/bin/env bash
# End-to-end tests of rdwh-gateway, one scenario per run (see CMakeLists.txt):
#
#   [RDWH_TEST_OUTBOX=postgresql] gateway_test.sh SCENARIO GATEWAY HOST STANDIN GET LOCKDB PLUGIN_DIR DATA_DIR
#
# Everything listens on 127.0.0.1 on free ports chosen by the kernel. Waits poll with a deadline
# (no fixed sleeps). Each run works in its own temporary directory, removed on success and kept
# (with the logs printed) on failure. With RDWH_TEST_OUTBOX=postgresql, the run starts its own
# PostgreSQL cluster (pg_cluster.sh) and every gateway uses the PostgreSQL outbox on it.
set -euo pipefail

if (($# != 8)); then
  echo "usage: $0 SCENARIO GATEWAY HOST STANDIN GET LOCKDB PLUGIN_DIR DATA_DIR" >&2
  exit 2
fi
SCENARIO=$1 GATEWAY=$2 HOST=$3 STANDIN=$4 GET=$5 LOCKDB=$6 PLUGIN_DIR=$7 DATA=$8

T=$(mktemp -d "${TMPDIR:-/tmp}/rdwh-gateway-$SCENARIO.XXXXXX")
chmod 0711 "$T" # the PostgreSQL cluster's owner (nobody, when run as root) must get through
GW_PID='' RD_PID='' GW_PORT='' RD_PORT='' LOCK_PID='' EXTRA_PIDS=''
OUTBOX=${RDWH_TEST_OUTBOX:-sqlite} PG_CONNINFO=''
PG_CLUSTER="$(dirname "$0")/pg_cluster.sh"
SECRET=$(cat "$DATA/pd-secret.txt")
RUNDECK_TOKEN='rdtoken-0123456789'
PRIORITY_BODY="$DATA/v3-incident.priority_updated-gopagerduty.json"
TRIGGERED_BODY="$DATA/v3-incident.triggered-nudgebee.json"

cleanup() {
  local rc=$? pid
  set +e # a cleanup step that fails must not skip the others
  for pid in $GW_PID $RD_PID $LOCK_PID $EXTRA_PIDS; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [[ -z $PG_CONNINFO ]] || "$PG_CLUSTER" stop "$T/pg"
  if ((rc != 0)); then
    echo "---- gateway log (last 40 lines) ----" >&2
    tail -n 40 "$T/gateway.log" >&2 2>/dev/null || true
    echo "---- Rundeck stand-in record ----" >&2
    cat "$T/runs.jsonl" >&2 2>/dev/null || true
    echo "work directory kept: $T" >&2
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT

fail() {
  echo "FAIL [$SCENARIO, $OUTBOX]: $*" >&2
  exit 1
}
step() { echo "-- $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, fails the test at the deadline.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  local end=$(($(now_ms) + timeout * 1000))
  until "$@"; do
    (($(now_ms) < end)) || fail "timed out after ${timeout}s waiting for: $what"
    sleep 0.05
  done
}

# ---------------------------------------------------------------------------------- processes

start_standin() { # [PORT]
  rm -f "$T/standin.port"
  "$STANDIN" --record "$T/runs.jsonl" --port "${1:-0}" --port-file "$T/standin.port" --token "$RUNDECK_TOKEN" \
    >>"$T/standin.log" 2>&1 &
  RD_PID=$!
  wait_for 10 "the Rundeck stand-in to listen" test -s "$T/standin.port"
  RD_PORT=$(cat "$T/standin.port")
}
stop_standin() {
  kill -TERM "$RD_PID"
  wait "$RD_PID" || true
  RD_PID=''
}
standin_control() { # fail?count=N&status=S | fault?kind=K&count=N | delay?ms=D | gather?calls=N | token?value=T
  "$HOST" send "http://127.0.0.1:$RD_PORT/_control/$1" --body /dev/null >/dev/null || fail "stand-in control $1"
}

listening_count() {
  local n
  n=$(grep -c '"msg":"listening"' "$T/gateway.log" 2>/dev/null) || true
  echo "${n:-0}"
}
gateway_listening_after() { # N: more than N "listening" lines, and the process still alive
  kill -0 "$GW_PID" 2>/dev/null || fail "the gateway exited: $(tail -n 3 "$T/gateway.log")"
  (($(listening_count) > $1))
}
start_gateway() { # [env assignments...]
  local before
  before=$(listening_count)
  env "$@" "$GATEWAY" --config "$T/gateway.json" >>"$T/gateway.log" 2>&1 &
  GW_PID=$!
  wait_for 10 "the gateway to listen" gateway_listening_after "$before"
  GW_PORT=$(grep '"msg":"listening"' "$T/gateway.log" | tail -n 1 | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
  [[ -n $GW_PORT ]] || fail "no port in the gateway's listening line"
}
stop_gateway() { # SIGTERM: must exit 0
  local rc=0
  kill -TERM "$GW_PID"
  wait "$GW_PID" || rc=$?
  GW_PID=''
  ((rc == 0)) || fail "the gateway exited with $rc on SIGTERM"
  grep -q '"msg":"stopped"' "$T/gateway.log" || fail "no 'stopped' line after SIGTERM"
}
kill_gateway() { # SIGKILL: a crash
  kill -KILL "$GW_PID"
  { wait "$GW_PID" || true; } 2>/dev/null # no "Killed" job notice
  GW_PID=''
}

# ------------------------------------------------------------------------------------- config

# webhook NAME TOKEN [ENABLED] [PRIORITY_JOB] [KEY_PATH] [EXTRA_JSON_MEMBERS]: a PagerDuty V3
# webhook with two rules: priority changes run PRIORITY_JOB, triggered incidents run job-triggered.
webhook() {
  local name=$1 token=$2 enabled=${3:-true} job=${4:-job-priority} key=${5:-keys/pd/secret} extra=${6:-}
  cat <<EOF
{"name": "$name", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": "$token",
 "enabled": $enabled, "user": "admin", $extra
 "config": {"keyStoragePath": "$key", "rules": [
   {"name": "on priority change", "jobId": "$job",
    "jobOptions": [{"name": "pd_incident_id", "value": "\$.event.data.id"},
                   {"name": "event_type", "value": "\$.event.event_type"}],
    "nodeFilter": "tags: web", "user": "oncall",
    "conditions": [{"path": "\$.event.event_type", "condition": "equals", "value": "incident.priority_updated"}]},
   {"name": "on trigger", "jobId": "job-triggered",
    "jobOptions": [{"name": "pd_incident_id", "value": "\$.event.data.id"},
                   {"name": "urgency", "value": "\$.event.data.urgency"}],
    "conditions": [{"path": "\$.event.event_type", "condition": "equals", "value": "incident.triggered"}]}]}}
EOF
}

# write_config WEBHOOKS_JSON [HTTP_JSON] [OUTBOX_MEMBERS] [RUNDECK_MEMBERS]: OUTBOX_MEMBERS and
# RUNDECK_MEMBERS are extra JSON members ('"busyTimeoutMs": 8000'). Written to $CONFIG
# (default $T/gateway.json). With the PostgreSQL outbox, stateDir is still needed (unused).
write_config() {
  local config=${CONFIG:-$T/gateway.json} outbox=${3:-} rundeck=${4:-}
  # PostgreSQL: short leases (takeovers come quickly), so short run calls (a lease outlasts a call).
  local timeout=${RD_TIMEOUT:-10}
  if [[ -n $PG_CONNINFO ]]; then
    outbox="\"postgresql\": \"$PG_CONNINFO\", \"leaseSeconds\": 3${outbox:+, $outbox}"
    timeout=${RD_TIMEOUT:-3}
  fi
  mkdir -p "$T/keys/pd"
  printf '%s' "$SECRET" >"$T/keys/pd/secret"
  printf '%s\n' "$RUNDECK_TOKEN" >"$T/rundeck.token"
  cat >"$config.tmp" <<EOF
{
  "listen": "127.0.0.1:0",
  "pluginDir": "$PLUGIN_DIR",
  "stateDir": "${STATE_DIR:-state}",
  "keyStorageDir": "keys",
  "keyStorageEnvAllow": ["RDWH_TEST_PD_SECRET"],
  "http": ${2:-{\}},
  "outbox": {$outbox},
  "rundeck": {"url": "http://127.0.0.1:$RD_PORT", "apiVersion": 41, "authTokenFile": "rundeck.token",
              "connectTimeoutSeconds": 2, "timeoutSeconds": $timeout, "reconcileDelaySeconds": 1,
              "retry": {"initialDelayMs": 50, "maxDelayMs": 400}${rundeck:+, $rundeck}},
  "webhooks": [$1]
}
EOF
  mv "$config.tmp" "$config" # a reload never reads a half-written file
}

# ------------------------------------------------------------------------------- deliveries

# body N [FIXTURE]: a copy of FIXTURE (default: priority_updated) with incident id PGR0VU2-N (or
# Q2X369CTEOAGYM-N), a distinct event id and occurred_at now (the fixtures' events are years old:
# maxEventAge would skip them), so every delivery's job is recognisable. N empty: ids unchanged.
body() {
  local n=$1 fixture=${2:-$PRIORITY_BODY} out="$T/bodies/$(basename "${2:-priority}" .json)-$1.json" now
  mkdir -p "$T/bodies"
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  sed -e "s/\"occurred_at\": *\"[^\"]*\"/\"occurred_at\":\"$now\"/" \
    -e "${n:+s/PGR0VU2/PGR0VU2-$n/g; s/Q2X369CTEOAGYM/Q2X369CTEOAGYM-$n/g}" \
    -e "${n:+s/01BWDWL3NYY7LUFPZCC28QUCMK/01BWDWL3NYY7LUFPZCC28QUCMK-$n/; s/01FVRJDBZPAFCIQO0U5B2ZJ2GQ/01FVRJDBZPAFCIQO0U5B2ZJ2GQ-$n/}" \
    "$fixture" >"$out"
  echo "$out"
}

# deliver TOKEN BODY [send args...]: prints the HTTP status; the whole answer is in $T/send.out.
deliver() {
  local token=$1 file=$2
  shift 2
  # send exits 3 for an answer that is not 2xx: still an answer
  "$HOST" send "http://127.0.0.1:$GW_PORT/api/41/webhook/$token" --body "$file" --key "$SECRET" "$@" >"$T/send.out" ||
    [ $? -eq 3 ] || fail "no answer from the gateway"
  sed -n 's/^{"status":\([0-9]*\),.*/\1/p' "$T/send.out"
}
# expect STATUS TOKEN BODY [send args...]
expect() {
  local want=$1 got
  shift
  got=$(deliver "$@")
  [[ $got == "$want" ]] || fail "expected HTTP $want, got: $(cat "$T/send.out")"
}
expect_body() { # FIXED_STRING: the last answer's JSON holds it
  grep -qF -- "$1" "$T/send.out" || fail "answer lacks $1: $(cat "$T/send.out")"
}

# --------------------------------------------------------------------------------- checks

# count FIXED_STRING FILE: lines of FILE holding it (0 when FILE does not exist).
count() {
  local n
  n=$(grep -cF -- "$1" "$2" 2>/dev/null) || true
  echo "${n:-0}"
}
# runs PATTERN: how many executions the stand-in created (jobs that ran) whose record holds PATTERN.
runs() {
  local n
  n=$(grep -F '"executed":true' "$T/runs.jsonl" 2>/dev/null | grep -cF -- "$1") || true
  echo "${n:-0}"
}
# requests PATTERN: how many run requests (any answer) hold PATTERN.
requests() { count "$1" "$T/runs.jsonl"; }
runs_are() { (($(runs "$1") == $2)); }
runs_at_least() { (($(runs "$1") >= $2)); }
requests_at_least() { (($(requests "$1") >= $2)); }
expect_runs() { # PATTERN N
  local n
  n=$(runs "$1")
  ((n == $2)) || fail "expected $2 run(s) holding $1, saw $n"
}

http_get() { "$GET" "http://127.0.0.1:$GW_PORT$1"; }
# metric SERIES: its value on /metrics (0 when absent), e.g. metric 'rdwh_gateway_outbox_depth'.
metric() {
  local v
  v=$(http_get /metrics | awk -v k="$1" '$1 == k { print $2 }')
  echo "${v:-0}"
}
metric_at_least() { (($(metric "$1") >= $2)); }
metric_is() { (($(metric "$1") == $2)); }
outbox_empty() { metric_is rdwh_gateway_outbox_depth 0; }
jobs_listing() { "$GATEWAY" --config "$T/gateway.json" --jobs "$@"; }
refused_recorded() { jobs_listing --status refused | grep -q .; }
healthz_is() { [[ $(http_get /healthz) == "$1" ]]; }

# ------------------------------------------------------------------------------- scenarios

scenario_deliver() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "a signed priority_updated delivery runs the priority job with its options"
  expect 200 tok-pd "$(body '')"
  expect_body '{\"msg\":\"ok\"}'
  wait_for 10 "the priority job to run" runs_are '/job/job-priority/run' 1
  grep -qF '"method":"POST","path":"/api/41/job/job-priority/run","jobId":"job-priority","token":"'"$RUNDECK_TOKEN"'","contentType":"application/json","body":{"options":{"pd_incident_id":"PGR0VU2","event_type":"incident.priority_updated"},"filter":"tags: web","asUser":"oncall"}' \
    "$T/runs.jsonl" || fail "run request not as expected: $(cat "$T/runs.jsonl")"
  step "a triggered delivery runs the trigger job (no filter, no user)"
  expect 200 tok-pd "$(body '' "$TRIGGERED_BODY")"
  wait_for 10 "the trigger job to run" runs_are '/job/job-triggered/run' 1
  grep -qF '"body":{"options":{"pd_incident_id":"Q2X369CTEOAGYM","urgency":"high"}}' "$T/runs.jsonl" ||
    fail "trigger run request not as expected"
  step "the execution id is recorded, metrics and health are right"
  wait_for 10 "an empty outbox" outbox_empty
  jobs_listing --status done | grep -qF '"jobId":"job-priority","request":{"options":{"pd_incident_id":"PGR0VU2","event_type":"incident.priority_updated"},"filter":"tags: web","asUser":"oncall"},"status":"done","uncertain":false,"attempts":1,"executionId":"1000"' ||
    fail "outbox row not as expected: $(jobs_listing)"
  metric_is 'rdwh_gateway_deliveries_total{webhook="PagerDuty",code="200"}' 2 || fail "deliveries metric"
  metric_is 'rdwh_gateway_jobs_queued_total{webhook="PagerDuty"}' 2 || fail "queued metric"
  metric_is 'rdwh_gateway_jobs_run_total{webhook="PagerDuty"}' 2 || fail "run metric"
  metric_is 'rdwh_gateway_dispatch_duration_seconds_count' 2 || fail "latency histogram"
  [[ $(http_get /healthz) == $'200\nok' ]] || fail "healthz"
  step "SIGTERM: clean exit"
  stop_gateway
}

scenario_signature() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd), $(webhook FromEnv tok-env true job-env env/RDWH_TEST_PD_SECRET)"
  start_gateway RDWH_TEST_PD_SECRET="$SECRET"
  step "a wrong signature is refused (403) and runs nothing"
  expect 403 tok-pd "$(body 1)" --key 'not-the-secret'
  step "a missing signature is refused (400) and runs nothing"
  expect 400 tok-pd "$(body 2)" --header 'X-PagerDuty-Signature:'
  step "a good one runs"
  expect 200 tok-pd "$(body 3)"
  wait_for 10 "the good delivery's job" runs_are '"PGR0VU2-3"' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 0
  expect_runs '"PGR0VU2-2"' 0
  metric_is 'rdwh_gateway_signature_failures_total{webhook="PagerDuty"}' 2 || fail "signature failure metric"
  step "a secret from the environment (env/NAME) verifies too"
  expect 200 tok-env "$(body 4)"
  expect 403 tok-env "$(body 5)" --key 'not-the-secret'
  wait_for 10 "the env webhook's job" runs_are '/job/job-env/run' 1
  stop_gateway
}

scenario_redelivery() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "the same X-Webhook-Id three times: one run"
  local b1 b2 b3
  b1=$(body 1) b2=$(body 2) b3=$(body 3)
  for _ in 1 2 3; do expect 200 tok-pd "$b1" --header 'X-Webhook-Id: wid-1'; done
  step "no X-Webhook-Id: the event id identifies a redelivery"
  for _ in 1 2; do expect 200 tok-pd "$b2" --header 'X-Webhook-Id:'; done
  wait_for 10 "both jobs" runs_at_least '"PGR0VU2-2"' 1
  wait_for 10 "an empty outbox" outbox_empty
  metric_is 'rdwh_gateway_jobs_duplicate_total{webhook="PagerDuty"}' 3 || fail "duplicate metric"
  step "after a restart, redeliveries still run nothing"
  stop_gateway
  start_gateway
  expect 200 tok-pd "$b1" --header 'X-Webhook-Id: wid-1'
  expect 200 tok-pd "$b2" --header 'X-Webhook-Id:'
  expect 200 tok-pd "$b3" --header 'X-Webhook-Id: wid-3'
  wait_for 10 "a fresh delivery's job (queued after the redeliveries)" runs_are '"PGR0VU2-3"' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 1
  expect_runs '"PGR0VU2-2"' 1
  stop_gateway
}

scenario_rundeck_down() {
  start_standin
  local port=$RD_PORT
  stop_standin # Rundeck is down; its port is known
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "deliveries are acknowledged while Rundeck is down"
  local i
  for i in 1 2 3 4 5; do expect 200 tok-pd "$(body "$i")"; done
  wait_for 10 "failed attempts to be retried" metric_at_least 'rdwh_gateway_jobs_retried_total{webhook="PagerDuty"}' 5
  step "Rundeck is back: every job runs exactly once"
  start_standin "$port"
  wait_for 20 "all five jobs" runs_at_least '"PGR0VU2-5"' 1
  wait_for 20 "an empty outbox" outbox_empty
  for i in 1 2 3 4 5; do wait_for 10 "job $i" runs_are "\"PGR0VU2-$i\"" 1; done
  step "503 three times, then 409 (job already running): retried, run once each"
  standin_control 'fail?count=3&status=503'
  expect 200 tok-pd "$(body 6)"
  expect 200 tok-pd "$(body 7)"
  wait_for 20 "jobs 6 and 7" runs_at_least '"PGR0VU2-6"' 1
  wait_for 20 "job 7" runs_at_least '"PGR0VU2-7"' 1
  standin_control 'fail?count=1&status=409'
  expect 200 tok-pd "$(body 8)"
  wait_for 20 "job 8" runs_at_least '"PGR0VU2-8"' 1
  wait_for 20 "an empty outbox" outbox_empty
  for i in 6 7 8; do expect_runs "\"PGR0VU2-$i\"" 1; done
  (($(requests '"status":503') == 3)) || fail "expected three 503 answers"
  (($(requests '"status":409') == 1)) || fail "expected one 409 answer"
  stop_gateway
}

scenario_crash() {
  start_standin
  local port=$RD_PORT n=30
  stop_standin # Rundeck stays down while the gateway crashes, so no run is ever in flight
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  local i
  for i in $(seq 1 "$n"); do body "$i" >/dev/null; done
  step "a stream of $n deliveries; SIGKILL after 10 are acknowledged"
  (
    for i in $(seq 1 "$n"); do
      if out=$("$HOST" send "http://127.0.0.1:$GW_PORT/api/41/webhook/tok-pd" --body "$T/bodies/priority-$i.json" \
        --key "$SECRET" --header "X-Webhook-Id: wid-$i" 2>/dev/null) || [ $? -eq 3 ]; then
        echo "$i ${out:10:3}" >>"$T/acks"
      else
        echo "$i none" >>"$T/acks"
      fi
    done
  ) >/dev/null 2>&1 &
  local stream=$!
  acked() { (($(count ' 200' "$T/acks") >= 10)); }
  wait_for 20 "10 acknowledged deliveries" acked
  kill_gateway
  wait "$stream"
  local acked_before
  acked_before=$(count ' 200' "$T/acks")
  step "$acked_before acknowledged before the crash; restart, PagerDuty redelivers everything"
  start_gateway
  for i in $(seq 1 "$n"); do expect 200 tok-pd "$T/bodies/priority-$i.json" --header "X-Webhook-Id: wid-$i"; done
  step "Rundeck comes back: each of the $n jobs runs exactly once"
  start_standin "$port"
  wait_for 30 "an empty outbox" outbox_empty
  for i in $(seq 1 "$n"); do expect_runs "\"PGR0VU2-$i\"" 1; done
  (($(runs '/job/job-priority/run') == n)) || fail "expected $n runs in all"
  stop_gateway
}

scenario_crash_during_run() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "Rundeck holds its answer; the gateway is killed while waiting for it"
  standin_control 'delay?ms=3000'
  expect 200 tok-pd "$(body 1)"
  wait_for 10 "Rundeck to receive the run" requests_at_least '"PGR0VU2-1"' 1
  kill_gateway
  standin_control 'delay?ms=0'
  step "after the restart Rundeck is asked whether it ran: it did, so it is not run again"
  start_gateway
  wait_for 20 "the reconciliation" metric_is 'rdwh_gateway_jobs_reconciled_found_total{webhook="PagerDuty"}' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 1
  grep -qE '"method":"GET","path":"/api/41/job/job-priority/executions"' "$T/runs.jsonl" || fail "no executions query"
  jobs_listing --status done | grep -qF '"executionId":"1000"' || fail "the job should be done with execution 1000"
  stop_gateway
}

scenario_outbox_locked() {
  start_standin
  # A long lock wait keeps the delivery in flight long enough to be seen, even on a loaded machine.
  write_config "$(webhook PagerDuty tok-pd)" '{}' '"busyTimeoutMs": 8000'
  start_gateway
  step "another process holds the outbox's write lock: /healthz says 503"
  "$LOCKDB" "$T/state/outbox.sqlite3" >"$T/lock.out" 2>&1 </dev/null &
  LOCK_PID=$!
  wait_for 5 "the lock" grep -q locked "$T/lock.out"
  [[ $(http_get /healthz | head -n 1) == 503 ]] || fail "healthz should be 503 while the outbox is locked"
  step "a delivery cannot be committed: 503 (PagerDuty will retry), even across a SIGTERM"
  local b
  b=$(body 1)
  "$HOST" send "http://127.0.0.1:$GW_PORT/api/41/webhook/tok-pd" --body "$b" --key "$SECRET" \
    --header 'X-Webhook-Id: wid-1' >"$T/inflight.out" &
  local sender=$!
  # (within the 8 s the delivery waits for the lock)
  wait_for 7 "the delivery to be handled" metric_at_least rdwh_gateway_http_requests_in_flight 2
  stop_gateway # SIGTERM while the delivery waits for the lock: it is answered before the exit
  wait "$sender" || [ $? -eq 3 ] || fail "the delivery in flight at SIGTERM got no answer"
  grep -qF '{"status":503,' "$T/inflight.out" || fail "expected 503, got: $(cat "$T/inflight.out")"
  grep -qF '"msg":"outbox commit failed"' "$T/gateway.log" || fail "no commit failure logged"
  kill -TERM "$LOCK_PID"
  wait "$LOCK_PID"
  LOCK_PID=''
  step "the lock is released: PagerDuty's redelivery is accepted and runs once"
  start_gateway
  [[ $(http_get /healthz) == $'200\nok' ]] || fail "healthz after the lock"
  expect 200 tok-pd "$b" --header 'X-Webhook-Id: wid-1'
  wait_for 10 "the job" runs_are '"PGR0VU2-1"' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 1
  stop_gateway
}

scenario_reload() {
  start_standin
  write_config "$(webhook First tok-a)"
  start_gateway
  expect 200 tok-a "$(body 1)"
  wait_for 10 "the first config's job" runs_are '/job/job-priority/run' 1
  step "SIGHUP with a good new config: new token and job apply"
  write_config "$(webhook Second tok-b true job-b)"
  kill -HUP "$GW_PID"
  wait_for 10 "the reload" metric_is 'rdwh_gateway_config_reloads_total{result="ok"}' 1
  expect 400 tok-a "$(body 2)"
  expect_body '{\"err\":\"Webhook not found\"}'
  expect 200 tok-b "$(body 3)"
  wait_for 10 "the new job" runs_are '/job/job-b/run' 1
  step "SIGHUP with a bad config: error logged, old config kept"
  write_config "$(webhook Second tok-b true job-b | sed 's/pagerduty-V3-run-job/no-such-provider/')"
  kill -HUP "$GW_PID"
  wait_for 10 "the failed reload" metric_is 'rdwh_gateway_config_reloads_total{result="error"}' 1
  grep -qF "webhooks[0].eventPlugin: no plugin offers provider 'no-such-provider'" "$T/gateway.log" ||
    fail "the reload error does not name the field"
  expect 200 tok-b "$(body 4)"
  wait_for 10 "the kept config's job" runs_are '/job/job-b/run' 2
  step "SIGHUP with bad rules: also refused"
  write_config "$(webhook Second tok-b true job-b | sed 's/"condition": "equals"/"condition": "bogus"/')"
  kill -HUP "$GW_PID"
  wait_for 10 "the second failed reload" metric_is 'rdwh_gateway_config_reloads_total{result="error"}' 2
  expect 200 tok-b "$(body 5)"
  wait_for 10 "the kept config's job" runs_are '/job/job-b/run' 3
  stop_gateway
}

scenario_config() {
  RD_PORT=9 # never contacted
  step "--check accepts a good config (config as an object, and as Rundeck's exported JSON string)"
  write_config "$(webhook PagerDuty tok-pd)"
  "$GATEWAY" --config "$T/gateway.json" --check >"$T/check.out" || fail "--check refused a good config"
  # Rundeck's project export writes the config as a JSON string.
  write_config '{"name": "Exported", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": "tok-x",
    "enabled": true, "user": "admin", "roles": "admin,user", "uuid": "0b9e0c7e-5d1f-4a51-9d3a-2c7e4f1b8a10",
    "config": "{\"keyStoragePath\":\"keys/pd/secret\",\"rules\":[{\"name\":\"r\",\"jobId\":\"j\",\"conditions\":[]}]}"}'
  "$GATEWAY" --config "$T/gateway.json" --check >"$T/check.out" 2>&1 || fail "--check refused a string config: $(cat "$T/check.out")"
  step "--check names the bad field"
  write_config "$(webhook PagerDuty tok-pd | sed 's/pagerduty-V3-run-job/no-such-provider/')"
  local rc=0
  "$GATEWAY" --config "$T/gateway.json" --check 2>"$T/check.err" || rc=$?
  ((rc == 1)) || fail "--check should exit 1, not $rc"
  grep -qF "webhooks[0].eventPlugin: no plugin offers provider 'no-such-provider'" "$T/check.err" ||
    fail "unexpected --check message: $(cat "$T/check.err")"
  write_config "$(webhook PagerDuty tok-pd | sed 's/"condition": "equals"/"condition": "bogus"/')"
  rc=0
  "$GATEWAY" --config "$T/gateway.json" --check 2>"$T/check.err" || rc=$?
  ((rc == 1)) && grep -qF 'webhooks[0].config: ' "$T/check.err" || fail "bad rules: $(cat "$T/check.err")"
  step "--check refuses an unknown key (did you mean) and an enabled rule without a job; the server only warns"
  write_config "$(webhook PagerDuty tok-pd | sed 's/"jobId": "job-triggered"/"jobid": "job-triggered"/')"
  rc=0
  "$GATEWAY" --config "$T/gateway.json" --check 2>"$T/check.err" || rc=$?
  ((rc == 1)) || fail "--check should refuse a misspelt key, not exit $rc"
  for want in "webhooks[0].config (webhook 'PagerDuty', action 'on trigger'): rules[1]: unknown key 'jobid' ignored (did you mean 'jobId'?)" \
    "webhooks[0].config (webhook 'PagerDuty', action 'on trigger'): rules[1]: rule 'on trigger' is enabled but has no jobId: it runs nothing"; do
    grep -qF "$want" "$T/check.err" || fail "--check output lacks '$want': $(cat "$T/check.err")"
  done
  start_gateway
  grep -F '"field":"rules[1].jobid"' "$T/gateway.log" | grep -qF '"suggestion":"jobId"' ||
    fail "no structured warning at start: $(grep -F jobid "$T/gateway.log")"
  grep -F '"rule":"on trigger"' "$T/gateway.log" | grep -qF 'has no jobId' || fail "no warning at start for the jobless rule"
  stop_gateway
  write_config "$(webhook A tok-same), $(webhook B tok-same)" '{"maxBodyBytes": "big"}'
  sed -i 's/"listen": "127.0.0.1:0"/"listen": "localhost"/; s/"apiVersion": 41/"apiVersion": 12/' "$T/gateway.json"
  rc=0
  "$GATEWAY" --config "$T/gateway.json" --check 2>"$T/check.err" || rc=$?
  ((rc == 1)) || fail "--check should exit 1"
  for want in 'listen: ' 'http.maxBodyBytes: must be an integer' 'rundeck.apiVersion: must be an integer' \
    'webhooks[1].authToken: same token as an earlier webhook'; do
    grep -qF "$want" "$T/check.err" || fail "--check output lacks '$want': $(cat "$T/check.err")"
  done
  step "the server does not start with a bad config"
  rc=0
  "$GATEWAY" --config "$T/gateway.json" 2>>"$T/gateway.log" || rc=$?
  ((rc == 1)) || fail "the gateway should exit 1 on a bad config, not $rc"
  grep -qF '"msg":"invalid config; not starting"' "$T/gateway.log" || fail "no startup error logged"
  step "usage errors exit 2"
  rc=0
  "$GATEWAY" --bogus 2>/dev/null || rc=$?
  ((rc == 2)) || fail "usage error should exit 2"
}

scenario_http() {
  start_standin
  mkdir -p "$T/keys/webhooks"
  printf 'Sesame-0123456789\n' >"$T/keys/webhooks/auth"
  local hash
  hash=$(printf '%s' 'Other-secret' | sha256sum | cut -d' ' -f1)
  write_config "$(webhook PagerDuty tok-pd), $(webhook Off tok-off false), \
    $(webhook Guarded tok-auth true job-guarded keys/pd/secret '"useAuth": true, "authorization": "keys/webhooks/auth",'), \
    $(webhook Hashed tok-hash true job-hashed keys/pd/secret "\"useAuth\": true, \"authorizationSha256\": \"$hash\",")" \
    '{"maxBodyBytes": 16384, "threads": 2, "connectionTimeoutSeconds": 5}'
  start_gateway
  step "unknown token: 400; disabled: 404"
  expect 400 tok-nope "$PRIORITY_BODY"
  expect_body '{\"err\":\"Webhook not found\"}'
  expect 404 tok-off "$PRIORITY_BODY"
  expect_body '{\"err\":\"Webhook not enabled\"}'
  step "over maxBodyBytes: 413"
  head -c 20000 /dev/zero | tr '\0' ' ' >"$T/big.json"
  expect 413 tok-pd "$T/big.json"
  step "a '#name' suffix on the token is ignored, as in Rundeck"
  expect 200 'tok-pd%23PagerDuty' "$(body 1)"
  step "Authorization header: missing or wrong 400, right 200 (key file or stored sha256)"
  expect 400 tok-auth "$(body 2)"
  expect_body '{\"err\":\"Failed webhook authorization\"}'
  expect 400 tok-auth "$(body 2)" --header 'Authorization: wrong'
  expect 200 tok-auth "$(body 2)" --header 'Authorization: Sesame-0123456789'
  expect 400 tok-hash "$(body 3)" --header 'Authorization: Sesame-0123456789'
  expect 200 tok-hash "$(body 3)" --header 'Authorization: Other-secret'
  wait_for 10 "the three accepted deliveries' jobs" runs_are '"PGR0VU2-' 3
  step "other routes"
  [[ $(http_get /healthz) == $'200\nok' ]] || fail "healthz"
  [[ $(http_get /nope | head -n 1) == 404 ]] || fail "unknown path should be 404"
  [[ $(http_get /api/41/webhook/tok-pd | head -n 1) == 405 ]] || fail "GET on a webhook should be 405"
  metric_is 'rdwh_gateway_deliveries_total{webhook="",code="400"}' 1 || fail "unknown-token metric"
  metric_is 'rdwh_gateway_deliveries_total{webhook="PagerDuty",code="413"}' 1 || fail "413 metric"
  metric_is 'rdwh_gateway_deliveries_total{webhook="Guarded",code="400"}' 2 || fail "auth failure metric"
  stop_gateway
  step "no secret in the logs"
  local secret
  for secret in "$SECRET" "$RUNDECK_TOKEN" tok-pd tok-auth Sesame-0123456789 Other-secret; do
    ! grep -qF -- "$secret" "$T/gateway.log" || fail "the log holds a secret ($secret)"
  done
}

scenario_refused() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd true missing-job)"
  start_gateway
  step "Rundeck answers 404: the job is kept as refused, with Rundeck's reason"
  expect 200 tok-pd "$(body 1)"
  wait_for 10 "the refusal" metric_is 'rdwh_gateway_jobs_refused_total{webhook="PagerDuty"}' 1
  jobs_listing --status refused >"$T/refused.out"
  grep -qF '"status":"refused"' "$T/refused.out" && grep -qF '"httpStatus":404' "$T/refused.out" &&
    grep -qF '"reason":"Job ID does not exist: missing-job (HTTP 404)"' "$T/refused.out" ||
    fail "refused job not kept as expected: $(cat "$T/refused.out")"
  step "other jobs still run; after a restart the refused job is not retried"
  expect 200 tok-pd "$(body 2 "$TRIGGERED_BODY")"
  wait_for 10 "the trigger job" runs_are '/job/job-triggered/run' 1
  stop_gateway
  start_gateway
  expect 200 tok-pd "$(body 3 "$TRIGGERED_BODY")"
  wait_for 10 "the second trigger job" runs_are '/job/job-triggered/run' 2
  (($(requests '/job/missing-job/run') == 1)) || fail "the refused job was sent again"
  metric_is 'rdwh_gateway_outbox_jobs{status="refused"}' 1 || fail "refused gauge"
  stop_gateway
}


# ---------------------------------------------------------------- Rundeck's failure modes

scenario_auth() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  printf 'expired-token-000\n' >"$T/rundeck.token"
  start_gateway
  step "Rundeck answers 403 to an expired token: the jobs stay queued, /healthz says why"
  expect 200 tok-pd "$(body 1)" --header 'X-Webhook-Id: wid-1'
  expect 200 tok-pd "$(body 2 "$TRIGGERED_BODY")"
  wait_for 10 "authentication failures" metric_at_least rdwh_gateway_rundeck_auth_failures_total 2
  metric_is rdwh_gateway_rundeck_auth_failing 1 || fail "auth gauge"
  metric_is 'rdwh_gateway_degraded{reason="rundeck_auth"}' 1 || fail "degraded gauge"
  metric_is 'rdwh_gateway_degraded{reason="delivery_store"}' 0 || fail "degraded gauge: delivery store"
  http_get /healthz >"$T/health.out"
  [[ $(head -n 1 "$T/health.out") == 200 ]] &&
    grep -qF "degraded: Rundeck refuses the API token read from $T/rundeck.token (HTTP 403" "$T/health.out" ||
    fail "healthz: $(cat "$T/health.out")"
  grep -qF '"msg":"Rundeck refuses the API token; jobs stay queued' "$T/gateway.log" &&
    grep -qF "\"tokenFile\":\"$T/rundeck.token\"" "$T/gateway.log" || fail "no log line naming the token file"
  metric_is 'rdwh_gateway_outbox_jobs{status="refused"}' 0 || fail "jobs were refused for the token"
  expect_runs '"PGR0VU2-1"' 0
  step "PagerDuty redelivers meanwhile (a new X-Webhook-Id): still one job"
  expect 200 tok-pd "$T/bodies/priority-1.json" --header 'X-Webhook-Id: wid-1-again'
  step "the token is fixed and the config reloaded: each job runs once"
  printf '%s\n' "$RUNDECK_TOKEN" >"$T/rundeck.token"
  kill -HUP "$GW_PID"
  wait_for 15 "the priority job" runs_are '"PGR0VU2-1"' 1
  wait_for 15 "the trigger job" runs_are '"Q2X369CTEOAGYM-2"' 1
  wait_for 10 "an empty outbox" outbox_empty
  healthz_is $'200\nok' || fail "healthz after the fix: $(http_get /healthz)"
  metric_is rdwh_gateway_rundeck_auth_failing 0 || fail "auth gauge after the fix"
  metric_is 'rdwh_gateway_degraded{reason="rundeck_auth"}' 0 || fail "degraded gauge after the fix"
  expect_runs '"PGR0VU2-1"' 1
  ! grep -qF expired-token-000 "$T/gateway.log" || fail "the log holds the token"
  stop_gateway
}

scenario_slow() {
  start_standin
  RD_TIMEOUT=1 write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "Rundeck answers in 1.5 s, the gateway gives up after 1 s: 20 jobs run once each"
  standin_control 'delay?ms=1500'
  local i n=20
  for i in $(seq 1 $n); do expect 200 tok-pd "$(body "$i")"; done
  wait_for 60 "the reconciliations" metric_is 'rdwh_gateway_jobs_reconciled_found_total{webhook="PagerDuty"}' $n
  wait_for 10 "an empty outbox" outbox_empty
  for i in $(seq 1 $n); do expect_runs "\"PGR0VU2-$i\"" 1; done
  (($(runs '/job/job-priority/run') == n)) || fail "expected $n runs in all, saw $(runs '/job/job-priority/run')"
  stop_gateway
}

scenario_faults() {
  start_standin
  RD_TIMEOUT=2 write_config "$(webhook PagerDuty tok-pd), $(webhook Invalid tok-inv true invalid-job)"
  start_gateway
  local i=0 kind
  for kind in hang reset html html-after-run gateway-timeout; do
    i=$((i + 1))
    step "Rundeck (or its proxy) fails with '$kind': the job runs exactly once"
    standin_control "fault?kind=$kind&count=1&ms=5000"
    expect 200 tok-pd "$(body "$i")"
    wait_for 20 "job $i" runs_at_least "\"PGR0VU2-$i\"" 1
  done
  step "409 (already running) twice, then 500 before running: run once each"
  standin_control 'fail?count=2&status=409'
  expect 200 tok-pd "$(body 6)"
  wait_for 20 "job 6" runs_at_least '"PGR0VU2-6"' 1
  standin_control 'fail?count=1&status=500'
  expect 200 tok-pd "$(body 7)"
  wait_for 20 "job 7" runs_at_least '"PGR0VU2-7"' 1
  step "400 invalid options: refused for good, with Rundeck's reason"
  expect 200 tok-inv "$(body 8)"
  wait_for 10 "the refusal" metric_is 'rdwh_gateway_jobs_refused_total{webhook="Invalid"}' 1
  jobs_listing --status refused | grep -qF '"httpStatus":400,"reason":"Job options were not valid: Option '"'"'x'"'"' is required (HTTP 400)"' ||
    fail "refused job: $(jobs_listing --status refused)"
  wait_for 20 "an empty outbox" outbox_empty
  for i in 1 2 3 4 5 6 7; do expect_runs "\"PGR0VU2-$i\"" 1; done
  metric_is 'rdwh_gateway_jobs_reconciled_found_total{webhook="PagerDuty"}' 4 || fail "found: hang, reset, html-after-run, 504"
  metric_is 'rdwh_gateway_jobs_reconciled_not_found_total{webhook="PagerDuty"}' 2 || fail "not found: html, 500"
  stop_gateway
}

# ------------------------------------------------------------------- identities and replays

scenario_replay() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "one signed body re-sent with 5 new X-Webhook-Ids and once without: one run"
  local b i
  b=$(body 1)
  for i in 1 2 3 4 5; do expect 200 tok-pd "$b" --header "X-Webhook-Id: replay-$i"; done
  expect 200 tok-pd "$b" --header 'X-Webhook-Id:'
  wait_for 10 "the job" runs_are '"PGR0VU2-1"' 1
  metric_is 'rdwh_gateway_jobs_duplicate_total{webhook="PagerDuty"}' 5 || fail "duplicates"
  step "an event older than maxEventAge: acknowledged, nothing runs, the reason is kept"
  expect 200 tok-pd "$PRIORITY_BODY"
  jobs_listing --status skipped | grep -qF 'more than maxEventAge (2940 minutes): a replay or a very late redelivery; not run' ||
    fail "skipped job: $(jobs_listing --status skipped)"
  metric_is 'rdwh_gateway_jobs_skipped_total{webhook="PagerDuty"}' 1 || fail "skipped metric"
  step "--requeue --dry-run prints the skipped job it would requeue, changing nothing; --requeue leaves it alone"
  "$GATEWAY" --config "$T/gateway.json" --requeue --dry-run --status skipped >"$T/dry.out" 2>"$T/dry.err" ||
    fail "--requeue --dry-run failed: $(cat "$T/dry.err")"
  grep -qF '"status":"skipped"' "$T/dry.out" && grep -qF 'would requeue 1 job(s); nothing changed' "$T/dry.err" ||
    fail "--dry-run output: $(cat "$T/dry.out" "$T/dry.err")"
  [[ $(jobs_listing --status skipped | wc -l) == 1 && $(jobs_listing --status queued | wc -l) == 0 ]] ||
    fail "--dry-run changed the outbox: $(jobs_listing)"
  "$GATEWAY" --config "$T/gateway.json" --requeue >"$T/requeue.out" 2>"$T/requeue.err" ||
    fail "--requeue failed: $(cat "$T/requeue.err")"
  grep -qF 'requeued 0 job(s)' "$T/requeue.err" && [[ ! -s "$T/requeue.out" ]] ||
    fail "--requeue took the skipped job: $(cat "$T/requeue.out" "$T/requeue.err")"
  [[ $(jobs_listing --status skipped | wc -l) == 1 ]] || fail "the skipped job: $(jobs_listing)"
  step "a rule added before the others between a delivery and its redelivery: each job runs once"
  b=$(body 2)
  expect 200 tok-pd "$b"
  wait_for 10 "job 2" runs_are '"PGR0VU2-2"' 1
  write_config "$(webhook PagerDuty tok-pd | sed 's/"rules": \[/"rules": [{"name": "escalate", "jobId": "job-escalate", "jobOptions": [{"name": "id", "value": "$.event.data.id"}], "conditions": [{"path": "$.event.event_type", "condition": "equals", "value": "incident.priority_updated"}]},/')"
  kill -HUP "$GW_PID"
  wait_for 10 "the reload" metric_is 'rdwh_gateway_config_reloads_total{result="ok"}' 1
  expect 200 tok-pd "$b"
  wait_for 10 "the new rule's job" runs_are '/job/job-escalate/run' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-2"' 2 # the priority job once, the new escalate job once
  expect_runs '/job/job-priority/run' 2 # events 1 and 2, once each
  expect_runs '"PGR0VU2"' 0
  stop_gateway
}

scenario_two_projects() {
  start_standin
  write_config "$(webhook PagerDuty tok-a), $(webhook PagerDuty tok-b | sed 's/"project": "ops"/"project": "infra"/')"
  start_gateway
  step "the same webhook name in two projects: two webhooks, each runs its job"
  local b
  b=$(body 1)
  expect 200 tok-a "$b"
  expect 200 tok-b "$b"
  wait_for 10 "both jobs" runs_are '"PGR0VU2-1"' 2
  expect 200 tok-b "$b"
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 2
  stop_gateway
}

scenario_requeue() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "Rundeck refuses a job (400); --requeue queues it again and the running gateway runs it"
  standin_control 'fail?count=1&status=400'
  expect 200 tok-pd "$(body 1)"
  wait_for 10 "the refusal" metric_is 'rdwh_gateway_jobs_refused_total{webhook="PagerDuty"}' 1
  # The metric counts the answer; the outbox records it in the dispatcher's next step.
  wait_for 10 "the refusal recorded" refused_recorded
  "$GATEWAY" --config "$T/gateway.json" --requeue --status refused --webhook PagerDuty >"$T/requeue.out" 2>"$T/requeue.err" ||
    fail "--requeue failed: $(cat "$T/requeue.err")"
  grep -qF '"status":"queued"' "$T/requeue.out" && grep -qF 'requeued by an operator (was refused)' "$T/requeue.out" &&
    grep -qF 'requeued 1 job(s)' "$T/requeue.err" || fail "--requeue output: $(cat "$T/requeue.out" "$T/requeue.err")"
  wait_for 10 "the requeued job" runs_are '"PGR0VU2-1"' 1
  wait_for 10 "an empty outbox" outbox_empty
  step "--requeue --status done --id N runs a finished job again, on purpose"
  local id
  id=$(jobs_listing --status done | sed -n 's/^{"id":\([0-9]*\),.*/\1/p' | head -n 1)
  "$GATEWAY" --config "$T/gateway.json" --requeue --status done --id "$id" >"$T/requeue.out" 2>&1 || fail "--requeue --id"
  wait_for 10 "the second run" runs_are '"PGR0VU2-1"' 2
  step "running jobs are never requeued; --id without --requeue is a usage error"
  local rc=0
  "$GATEWAY" --config "$T/gateway.json" --requeue --status running 2>"$T/requeue.err" || rc=$?
  ((rc == 1)) && grep -qF 'running jobs are not requeued' "$T/requeue.err" || fail "requeue running: $(cat "$T/requeue.err")"
  rc=0
  "$GATEWAY" --config "$T/gateway.json" --jobs --id 1 2>/dev/null || rc=$?
  ((rc == 2)) || fail "--jobs --id should be a usage error"
  stop_gateway
}

scenario_stop_bound() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)" '{"shutdownGraceSeconds": 5}'
  start_gateway
  step "SIGTERM while a run call waits for Rundeck: the gateway exits within seconds"
  standin_control 'fault?kind=hang&count=1&ms=60000'
  expect 200 tok-pd "$(body 1)"
  wait_for 10 "Rundeck to receive the run" requests_at_least '"PGR0VU2-1"' 1
  stop_gateway
  # The stand-in holds that call for 60 s: the gateway exited without waiting for it.
  [[ $("$GET" "http://127.0.0.1:$RD_PORT/_control/inflight" | tail -n 1) == 1 ]] ||
    fail "the gateway waited for the held call before exiting"
  grep -qF '"reason":"the gateway stopped during the call' "$T/gateway.log" || fail "the cut-off call is not logged"
  step "at the next start the call of unknown outcome is reconciled: it ran, it is not run again"
  start_gateway
  wait_for 20 "the reconciliation" metric_is 'rdwh_gateway_jobs_reconciled_found_total{webhook="PagerDuty"}' 1
  wait_for 10 "an empty outbox" outbox_empty
  expect_runs '"PGR0VU2-1"' 1
  stop_gateway
}

scenario_order() {
  start_standin
  standin_control 'delay?ms=150'    # a call stays in flight long enough for a wrong overlap to show
  standin_control 'gather?calls=3' # the first run calls are answered only once 3 are in flight
  write_config "$(webhook PagerDuty tok-pd)" '{}' '' '"maxConcurrentCalls": 8'
  start_gateway
  step "5 events for each of 3 incidents, interleaved: each incident's jobs start in event order, one at a time"
  local inc ev now f
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  mkdir -p "$T/bodies"
  for ev in 1 2 3 4 5; do
    for inc in A B C; do
      f="$T/bodies/order-$inc-$ev.json"
      sed -e "s/\"occurred_at\": *\"[^\"]*\"/\"occurred_at\":\"$now\"/" -e "s/PGR0VU2/INC$inc/g" \
        -e "s/01BWDWL3NYY7LUFPZCC28QUCMK/EV$inc-$ev/" "$PRIORITY_BODY" >"$f"
      expect 200 tok-pd "$f"
    done
  done
  wait_for 60 "all 15 jobs" runs_are '/job/job-priority/run' 15
  wait_for 10 "an empty outbox" outbox_empty
  # The stand-in records, for each run call as it arrives, the run calls still unanswered then
  # (alsoInFlight). An incident's next run must not find its previous one among them.
  for inc in A B C; do
    grep -F '"executed":true' "$T/runs.jsonl" | grep -F "\"INC$inc\"" |
      sed 's/^{"seq":\([0-9]*\),.*"alsoInFlight":\[\([0-9,]*\)\]}$/\1 ,\2,/' >"$T/order-$inc.runs"
    (($(wc -l <"$T/order-$inc.runs") == 5)) || fail "incident $inc: $(wc -l <"$T/order-$inc.runs") runs"
    awk 'NR > 1 && index($2, "," prev ",") { bad = 1 } { prev = $1 } END { exit bad }' "$T/order-$inc.runs" ||
      fail "incident $inc: a run started while the previous one was in flight: $(tr '\n' ' ' <"$T/order-$inc.runs")"
  done
  # Event order: the deliveries' jobs were queued A1 B1 C1 A2 ...; per incident, ids ascend.
  for inc in A B C; do
    jobs_listing --status done | grep -F "\"resourceId\":\"INC$inc\"" | sed -n 's/^{"id":\([0-9]*\),.*"executionId":"\([0-9]*\)".*/\1 \2/p' |
      sort -n | awk 'NR > 1 && $2 <= prev { bad = 1 } { prev = $2 } END { exit bad }' ||
      fail "incident $inc: executions not in event order: $(jobs_listing --status done | grep -F "INC$inc")"
  done
  step "other incidents' jobs ran in parallel meanwhile"
  # The stand-in held the first run calls until three were in flight together: the third found
  # the other two (one per incident) still unanswered.
  local first_a first_b first_c
  first_a=$(head -n 1 "$T/order-A.runs") first_b=$(head -n 1 "$T/order-B.runs") first_c=$(head -n 1 "$T/order-C.runs")
  printf '%s\n' "$first_a" "$first_b" "$first_c" | sort -n | awk '
    { seq[NR] = $1; also[NR] = $2 }
    END { exit !(index(also[3], "," seq[1] ",") && index(also[3], "," seq[2] ",")) }' ||
    fail "incidents A, B and C did not run together: $first_a / $first_b / $first_c"
  stop_gateway
}

scenario_disk_full() {
  start_standin
  local port=$RD_PORT
  stop_standin # the jobs stay queued: the outbox only grows
  write_config "$(webhook PagerDuty tok-pd)"
  step "the outbox's disk fills up (a file size limit): deliveries get 503, /healthz 503, none acknowledged is lost"
  (
    trap '' XFSZ        # a write over the limit fails with EFBIG instead of killing the process
    ulimit -f 600       # 600 KiB: room for the schema's migrations (their WAL) and then some
    exec "$GATEWAY" --config "$T/gateway.json"
  ) >>"$T/gateway.log" 2>&1 &
  GW_PID=$!
  wait_for 10 "the gateway to listen" gateway_listening_after 0
  GW_PORT=$(grep '"msg":"listening"' "$T/gateway.log" | tail -n 1 | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
  # While the database file still has room, a checkpoint can empty the WAL and make room again:
  # the disk is full for good once 10 deliveries in a row are refused.
  local i=0 status acked=() refused=() in_a_row=0
  while ((i < 3000 && in_a_row < 10)); do
    i=$((i + 1))
    status=$(deliver tok-pd "$(body "$i")")
    case $status in
    200) acked+=("$i") in_a_row=0 ;;
    503) refused+=("$i") in_a_row=$((in_a_row + 1)) ;;
    *) fail "HTTP $status" ;;
    esac
  done
  ((in_a_row == 10)) || fail "the outbox never filled up"
  echo "the disk was full after ${#acked[@]} acknowledged deliveries (${#refused[@]} refused with 503)"
  grep -qF '"msg":"outbox commit failed"' "$T/gateway.log" || fail "no commit failure logged"
  healthz_503() { [[ $(http_get /healthz | head -n 1) == 503 ]]; }
  wait_for 5 "healthz 503 with a full disk" healthz_503
  stop_gateway
  step "space again: every acknowledged job runs exactly once; PagerDuty's retries of the refused ones too"
  start_standin "$port"
  start_gateway
  local n
  for n in "${refused[@]}"; do expect 200 tok-pd "$T/bodies/priority-$n.json"; done
  wait_for 60 "an empty outbox" outbox_empty
  for n in "${acked[@]}" "${refused[@]}"; do expect_runs "\"PGR0VU2-$n\"" 1; done
  (($(runs '/job/job-priority/run') == i)) || fail "runs: $(runs '/job/job-priority/run') for $i deliveries"
  stop_gateway
}

# --------------------------------------------------------------------- SQLite's own guards

scenario_sqlite_guards() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  step "a second gateway on the same stateDir refuses to start, naming the first's pid"
  local rc=0
  "$GATEWAY" --config "$T/gateway.json" >"$T/second.log" 2>&1 || rc=$?
  ((rc == 1)) && grep -qF "is in use by another rdwh-gateway (pid $GW_PID)" "$T/second.log" ||
    fail "second gateway: rc $rc, $(cat "$T/second.log")"
  step "the outbox file deleted while running: /healthz 503 and deliveries 503 (PagerDuty retries)"
  rm "$T/state/outbox.sqlite3"
  http_get /healthz >"$T/health.out"
  [[ $(head -n 1 "$T/health.out") == 503 ]] && grep -qF 'is gone' "$T/health.out" || fail "healthz: $(cat "$T/health.out")"
  local b
  b=$(body 1)
  expect 503 tok-pd "$b"
  stop_gateway
  step "restarted on a new outbox: PagerDuty's retry is acknowledged and runs once"
  rm -f "$T/state/outbox.sqlite3-wal" "$T/state/outbox.sqlite3-shm"
  start_gateway
  expect 200 tok-pd "$b"
  wait_for 10 "the job" runs_are '"PGR0VU2-1"' 1
  stop_gateway
  step "a corrupted outbox: the gateway does not start, and says why"
  dd if=/dev/urandom of="$T/state/outbox.sqlite3" bs=4096 seek=1 count=3 conv=notrunc status=none
  rc=0
  "$GATEWAY" --config "$T/gateway.json" 2>>"$T/gateway.log" || rc=$?
  ((rc == 1)) || fail "the gateway started on a corrupted outbox"
  tail -n 1 "$T/gateway.log" | grep -qE '"msg":"cannot open the outbox; not starting".*(integrity check failed|malformed|not a database)' ||
    fail "no integrity error: $(tail -n 1 "$T/gateway.log")"
}

scenario_slow_clients() {
  start_standin
  write_config "$(webhook PagerDuty tok-pd)" '{"maxConnectionsPerIp": 32, "headerTimeoutSeconds": 3}'
  start_gateway
  step "300 connections from one address trickle their headers; 5 real deliveries still get in"
  python3 "$(dirname "$0")/slow_clients.py" "$GW_PORT" 300 8 >"$T/slow.out" &
  local slow=$! i
  EXTRA_PIDS="$EXTRA_PIDS $slow"
  sleep 1 # let the attack take its connections first (a fixed head start: nothing to poll for)
  for i in 1 2 3 4 5; do expect 200 tok-pd "$(body "$i")"; done
  wait "$slow"
  echo "slow clients: $(cat "$T/slow.out")"
  local at_once later open
  at_once=$(sed -n 's/.*closed_at_once=\([0-9]*\).*/\1/p' "$T/slow.out")
  later=$(sed -n 's/.*closed_later=\([0-9]*\).*/\1/p' "$T/slow.out")
  open=$(sed -n 's/.* open=\([0-9]*\).*/\1/p' "$T/slow.out")
  ((at_once >= 300 - 32)) || fail "the per-address limit did not hold: $(cat "$T/slow.out")"
  ((open == 0 && later > 0)) || fail "trickling connections were not cut off: $(cat "$T/slow.out")"
  wait_for 10 "the five jobs" runs_are '/job/job-priority/run' 5
  stop_gateway
}

# ------------------------------------------------------------------ many gateways (PostgreSQL)

# start_gw N: gateway N with config $T/gwN.json, log $T/gwN.log; sets GW_PIDS[N], GW_PORTS[N].
declare -a GW_PIDS GW_PORTS
start_gw() {
  local n=$1 log="$T/gw$1.log" port
  "$GATEWAY" --config "$T/gw$n.json" >>"$log" 2>&1 &
  GW_PIDS[n]=$!
  EXTRA_PIDS="$EXTRA_PIDS $!"
  gw_listening() { grep -q '"msg":"listening"' "$log" 2>/dev/null; }
  wait_for 10 "gateway $n to listen" gw_listening
  port=$(grep '"msg":"listening"' "$log" | tail -n 1 | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
  GW_PORTS[n]=$port
}

# send_until_ack PORT BODY ID: delivers like PagerDuty: until a 2xx, every 0.2 s, up to 60 s; on
# a connection failure (a dead gateway), tries the next gateway of ALIVE_PORTS.
send_until_ack() {
  local port=$1 file=$2 id=$3 out tries=0
  while ((tries < 300)); do
    if out=$("$HOST" send "http://127.0.0.1:$port/api/41/webhook/tok-pd" --body "$file" --key "$SECRET" \
      --header "X-Webhook-Id: $id" 2>/dev/null) && [[ ${out:10:1} == 2 ]]; then
      echo "$id acked" >>"$T/acks"
      return 0
    fi
    tries=$((tries + 1))
    [[ -n ${ALIVE_PORTS:-} ]] && port=${ALIVE_PORTS%% *} # PagerDuty retries through the load balancer
    sleep 0.2
  done
  echo "$id never acknowledged" >>"$T/acks"
}

scenario_three_gateways() {
  [[ $OUTBOX == postgresql ]] || fail "this scenario needs the PostgreSQL outbox"
  start_standin
  standin_control 'delay?ms=100' # calls take a while, so some are in flight when a gateway dies
  local n g i
  for g in 1 2 3; do CONFIG="$T/gw$g.json" STATE_DIR="state$g" write_config "$(webhook PagerDuty tok-pd)"; done
  cp "$T/gw1.json" "$T/gateway.json" # for --jobs and the metrics helpers
  for g in 1 2 3; do start_gw "$g"; done
  GW_PORT=${GW_PORTS[1]}
  n=90
  for i in $(seq 1 "$n"); do body "$i" >/dev/null; done
  step "$n deliveries spread over three gateways; gateway 2 is SIGKILLed mid-stream and not restarted"
  (
    ALIVE_PORTS="${GW_PORTS[1]} ${GW_PORTS[3]}" # where a delivery to the dead gateway goes again
    for i in $(seq 1 "$n"); do
      g=$(((i % 3) + 1))
      send_until_ack "${GW_PORTS[g]}" "$T/bodies/priority-$i.json" "wid-$i" &
      ((i % 10 == 0)) && wait
    done
    wait
  ) >/dev/null 2>&1 &
  local stream=$!
  acked() { (($(count acked "$T/acks") >= 30)); }
  wait_for 30 "30 acknowledged deliveries" acked
  kill -KILL "${GW_PIDS[2]}"
  wait "$stream"
  (($(count 'never acknowledged' "$T/acks") == 0)) || fail "deliveries never acknowledged: $(grep never "$T/acks")"
  step "every acknowledged job runs exactly once (the dead gateway's claimed jobs are taken over)"
  wait_for 60 "an empty outbox" outbox_empty
  for i in $(seq 1 "$n"); do expect_runs "\"PGR0VU2-$i\"" 1; done
  (($(runs '/job/job-priority/run') == n)) || fail "expected $n runs, saw $(runs '/job/job-priority/run')"
  local dispatched=0
  for g in 1 3; do
    ((dispatched += $(grep -c '"msg":"job started"' "$T/gw$g.log" || true)))
  done
  echo "gateways 1 and 3 started $dispatched jobs; gateway 2 $(grep -c '"msg":"job started"' "$T/gw2.log" || true) before it died"
  for g in 1 3; do kill -TERM "${GW_PIDS[g]}"; wait "${GW_PIDS[g]}" || fail "gateway $g did not stop cleanly"; done
}

scenario_pg_restart() {
  [[ $OUTBOX == postgresql ]] || fail "this scenario needs the PostgreSQL outbox"
  start_standin
  standin_control 'delay?ms=50'
  write_config "$(webhook PagerDuty tok-pd)"
  start_gateway
  local n=40 i
  for i in $(seq 1 "$n"); do body "$i" >/dev/null; done
  step "$n deliveries; PostgreSQL crashes and restarts mid-stream"
  (
    for i in $(seq 1 "$n"); do send_until_ack "$GW_PORT" "$T/bodies/priority-$i.json" "wid-$i"; done
  ) >/dev/null 2>&1 &
  local stream=$!
  acked() { (($(count acked "$T/acks") >= 10)); }
  wait_for 30 "10 acknowledged deliveries" acked
  "$PG_CLUSTER" crash "$T/pg"
  wait "$stream"
  (($(count 'never acknowledged' "$T/acks") == 0)) || fail "deliveries never acknowledged"
  step "every acknowledged job runs exactly once"
  wait_for 60 "an empty outbox" outbox_empty
  for i in $(seq 1 "$n"); do expect_runs "\"PGR0VU2-$i\"" 1; done
  stop_gateway
}

if [[ $OUTBOX == postgresql ]]; then
  "$PG_CLUSTER" start "$T/pg" >/dev/null
  PG_CONNINFO=$(cat "$T/pg/conninfo")
fi
if declare -F "scenario_$SCENARIO" >/dev/null; then
  "scenario_$SCENARIO"
  echo "PASS [$SCENARIO, $OUTBOX]"
else
  fail "unknown scenario $SCENARIO"
fi
