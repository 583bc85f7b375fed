#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the gateway's tests and benchmarks, in a directory of its
# own, reachable only through a Unix socket in that directory (no TCP port, so clusters of
# parallel tests never collide). PostgreSQL refuses to run as root: when run as root, the cluster
# runs as `nobody` (setpriv), and DIR's parents must let `nobody` through (this script makes DIR
# itself). Fails loudly when PostgreSQL cannot start: a test never silently skips it.
#
#   pg_cluster.sh start DIR     initdb + start; prints the libpq connection string (also in DIR/conninfo)
#   pg_cluster.sh stop DIR      fast shutdown (idempotent)
#   pg_cluster.sh restart DIR   fast shutdown, then start again (connections are cut)
#   pg_cluster.sh crash DIR     immediate shutdown (no checkpoint: like a crash), then start (recovery)
#   pg_cluster.sh psql DIR SQL  run SQL (prints rows unaligned, no headers)
set -euo pipefail

BIN=${RDWH_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-} dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 start|stop|restart|crash|psql DIR [SQL]" >&2; exit 2; }
for tool in initdb pg_ctl; do
  [[ -x $BIN/$tool ]] || { echo "pg_cluster: $BIN/$tool not found (Debian package postgresql-15; scripts/setup-debian.sh installs it)" >&2; exit 1; }
done

as_owner() {
  if (($(id -u) == 0)); then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}
conninfo() { echo "host=$dir port=5432 user=rdwh dbname=postgres"; }
start() {
  as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses= -p 5432 -c max_connections=200 -c shared_buffers=32MB" start >/dev/null ||
    { echo "pg_cluster: PostgreSQL did not start; its log:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
}

case $cmd in
start)
  if [[ ! -d $dir/data ]]; then
    mkdir -p "$dir"
    (($(id -u) == 0)) && chown nobody:nogroup "$dir"
    chmod 0700 "$dir"
    as_owner "$BIN/initdb" -D "$dir/data" -U rdwh -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { echo "pg_cluster: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
  fi
  start
  conninfo | tee "$dir/conninfo"
  ;;
stop) [[ -f $dir/data/postmaster.pid ]] && as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true ;;
restart)
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  start
  ;;
crash)
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  start
  ;;
psql) psql "$(conninfo)" -XAtq -v ON_ERROR_STOP=1 -c "$3" ;;
*) echo "usage: $0 start|stop|restart|crash|psql DIR [SQL]" >&2; exit 2 ;;
esac
