# Shared by run.sh and dispatch.sh (sourced): the work directory's report, messages, and the
# processes a run starts (killed by pid on exit, with the PostgreSQL cluster if one was started).
# Set before sourcing: W (the work directory, made here) and ROOT (the source tree).

rm -rf "$W"
mkdir -p "$W"
chmod 0711 "$W" # a PostgreSQL cluster's owner (nobody, when run as root) must get through
REPORT=$W/results.md
: >"$REPORT"
out() { printf '%s\n' "$*" | tee -a "$REPORT"; }
note() { echo "-- $*" >&2; }
die() {
  echo "$(basename "$0"): FAIL: $*" >&2
  exit 1
}

PIDS=()
PG_STARTED=0
PG=$ROOT/test/gateway/pg_cluster.sh
cleanup() {
  local pid
  set +e
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  ((PG_STARTED)) && "$PG" stop "$W/pg"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that cleanup runs
# start_pg: the throwaway cluster in $W/pg, once; PG_BASE is its connection string.
start_pg() {
  if ((!PG_STARTED)); then
    "$PG" start "$W/pg" >/dev/null
    PG_STARTED=1
  fi
  PG_BASE=$(cat "$W/pg/conninfo")
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_for() { # SECONDS WHAT COMMAND...
  local end=$(($(now_ms) + $1 * 1000)) what=$2
  shift 2
  until "$@"; do
    (($(now_ms) < end)) || die "timed out waiting for $what"
    sleep 0.05
  done
}
