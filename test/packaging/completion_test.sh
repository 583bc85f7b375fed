#!/usr/bin/env bash
# The bash completion offers what the programs take: commands, options, providers from the
# plugins found, statuses.   completion_test.sh COMPLETION_SCRIPT RDWH_HOST_DIR
set -uo pipefail
script=$1 host_dir=$2
export PATH="$host_dir:$PATH"
# shellcheck disable=SC1090
source "$script"
fail() { echo "FAIL: $*"; exit 1; }

complete_line() { # words... (the last one is being completed)
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  case $1 in
    rdwh-host) _rdwh_host ;;
    rdwh-gateway) _rdwh_gateway ;;
  esac
  echo "${COMPREPLY[*]}"
}
expect() { # WANT words...
  local want=$1 got
  shift
  got=$(complete_line "$@")
  [[ " $got " == *" $want "* ]] || fail "'$*' completes to '$got', without '$want'"
  echo "ok: '$*' -> $want"
}
expect describe rdwh-host de
expect pagerduty-V3-run-job rdwh-host describe pagerduty-V
expect advanced-run-job rdwh-host --plugin-dir "$(dirname "$(command -v rdwh-host)")/../plugins" handle --provider adv
[ -z "$(complete_line rdwh-host --plugin-dir /nonexistent describe pagerduty)" ] || fail "--plugin-dir is not passed on"
expect --brief rdwh-host handle --b
expect refused rdwh-gateway --config x --jobs --status re
expect --with-tokens rdwh-gateway --config x --import y --with
[ -z "$(complete_line rdwh-host describe rdwh-)" ] || fail "a plugin name was offered as a provider"
echo "completion test passed"
