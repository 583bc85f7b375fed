#!/usr/bin/env bash
# scripts/apt-mirror.sh reads the mirror from apt's own sources, both formats, and fails clearly.
set -euo pipefail
script=$1 work=$2
rm -rf "$work" && mkdir -p "$work/one/sources.list.d" "$work/deb822/sources.list.d" "$work/none/sources.list.d"
printf '%s\n' '# comment' 'deb http://security.example/debian-security bookworm-security main' \
  'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm contrib main' > "$work/one/sources.list"
printf '%s\n' 'Types: deb' 'URIs: http://updates.example/debian' 'Suites: bookworm-updates' 'Components: main' '' \
  'Types: deb deb-src' 'URIs: http://local.example/debian http://second.example/debian' \
  'Suites: bookworm bookworm-updates' 'Components: contrib main' > "$work/deb822/sources.list.d/debian.sources"

check() { # expected, dir, [suite]
  got=$(APT_SOURCES_DIR=$2 "$script" ${3:-}) || { echo "FAIL: $2 ${3:-}: exit $?"; exit 1; }
  [ "$got" = "$1" ] || { echo "FAIL: $2 ${3:-}: got '$got', expected '$1'"; exit 1; }
  echo "ok: $2 ${3:-} -> $got"
}
check http://mirror.example/debian "$work/one"
check http://local.example/debian "$work/deb822"
check http://updates.example/debian "$work/deb822" bookworm-updates
if err=$(APT_SOURCES_DIR=$work/none "$script" 2>&1); then echo "FAIL: no sources must fail"; exit 1; fi
grep -q "no 'bookworm' main entry" <<<"$err" || { echo "FAIL: unclear message: $err"; exit 1; }
echo "ok: no sources -> $err"
