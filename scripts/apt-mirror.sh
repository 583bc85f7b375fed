#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses for `bookworm` main (deb822 *.sources or
# one-line *.list entries), so tools that fetch Debian themselves (debootstrap) go where apt goes:
# a local mirror or one behind the site's proxy. Exits 1 when apt has no such entry.
#   scripts/apt-mirror.sh [SUITE]     (default: bookworm)
set -euo pipefail
suite=${1:-bookworm}
dir=${APT_SOURCES_DIR:-/etc/apt}

from_one_line() { # deb [options] URI SUITE COMPONENT...
  awk -v suite="$suite" '
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      uri = $i; s = $(i + 1)
      if (s != suite) next
      for (c = i + 2; c <= NF; c++) if ($c == "main") { print uri; exit }
    }' "$@" 2>/dev/null
}

from_deb822() { # stanzas of Types/URIs/Suites/Components, separated by blank lines
  awk -v suite="$suite" '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && (" " comps " ") ~ / main /) {
        split(uris, u, " "); print u[1]; found = 1; exit
      }
      types = uris = suites = comps = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    tolower($1) == "types:" { $1 = ""; types = $0 }
    tolower($1) == "uris:" { $1 = ""; uris = $0 }
    tolower($1) == "suites:" { $1 = ""; suites = $0 }
    tolower($1) == "components:" { $1 = ""; comps = $0 }
    END { if (!found) flush() }' "$@" 2>/dev/null
}

mirror=""
shopt -s nullglob
lists=("$dir"/sources.list.d/*.list)
[ -f "$dir/sources.list" ] && lists=("$dir/sources.list" "${lists[@]}")
sources=("$dir"/sources.list.d/*.sources)
if [ ${#lists[@]} -gt 0 ]; then mirror=$(from_one_line "${lists[@]}" | head -n 1 || true); fi
if [ -z "$mirror" ] && [ ${#sources[@]} -gt 0 ]; then mirror=$(from_deb822 "${sources[@]}" | head -n 1 || true); fi
if [ -z "$mirror" ]; then
  echo "apt-mirror: no '$suite' main entry in $dir/sources.list{,.d/}" >&2
  exit 1
fi
echo "${mirror%/}"
