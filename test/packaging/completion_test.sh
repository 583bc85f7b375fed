#!/usr/bin/env bash
# The bash completion offers what the programs take: commands, options, providers from the
# plugins found, statuses; and exactly the options each program's --help names, command by
# command, so the two cannot drift.   completion_test.sh COMPLETION_SCRIPT RDWH_HOST_DIR [RDWH_GATEWAY]
set -uo pipefail
script=$1 host_dir=$2 gateway=${3:-}
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

# The options a --help text names: every --word (sorted, once each).
options_in() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
# The options completion offers after WORDS... (a lone "--" being completed).
completed() { complete_line "$@" -- | tr ' ' '\n' | grep -- '^--' | sort -u; }
same() { # WHAT HELP_OPTIONS COMPLETED_OPTIONS
  [ "$2" = "$3" ] || fail "$1: --help names [$(echo $2)], completion offers [$(echo $3)]"
  echo "ok: $1 completes every option its --help names: $(echo $3)"
}
help=$(rdwh-host --help)
# rdwh-host's own options: those of its usage lines, before the list of commands.
same "rdwh-host" "$(sed -n '1,/^Commands:/p' <<<"$help" | options_in)" "$(completed rdwh-host)"
# Each command: its block of the Commands list (the synopsis and the text below it, up to the next
# command) names its options.
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p')
[ "$(echo $commands)" = "plugins describe handle sign test lint send" ] || fail "commands in --help: $(echo $commands)"
for command in $commands; do
  block=$(sed -n '/^Commands:/,/^$/p' <<<"$help" |
    awk -v c="$command" '/^  [a-z]/ { on = ($1 == c) } on')
  same "rdwh-host $command" "$(options_in <<<"$block")" "$(completed rdwh-host "$command")"
done
if [ -n "$gateway" ]; then
  same rdwh-gateway "$("$gateway" --help | options_in)" "$(completed rdwh-gateway)"
else
  echo "rdwh-gateway is not built (RDWH_BUILD_GATEWAY=OFF): its completion is not compared"
fi
echo "completion test passed"
