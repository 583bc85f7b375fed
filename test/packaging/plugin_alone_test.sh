#!/usr/bin/env bash
# The plugin alone: configures the source tree with the hosts and tests off while CMake may find
# nothing but the plugin's own dependencies (OpenSSL, fmt, RapidJSON, RE2), builds the module, then
# builds examples/minimal_host.c out of tree against that build tree (find_package(rdwh-abi) with
# rdwh-abi_DIR, the build-tree export) and runs it on a signed delivery.
set -euo pipefail
source_dir=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
# (pkg-config cannot be refused: FindOpenSSL uses it; libmicrohttpd is checked by name below.)
not_ours=(CURL SQLite3 Catch2 Threads Python3 benchmark)
cmake -S "$source_dir" -B "$work/plugin" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DRDWH_BUILD_EXAMPLES=OFF -DRDWH_BUILD_TESTS=OFF \
  $(printf -- '-DCMAKE_DISABLE_FIND_PACKAGE_%s=ON ' "${not_ours[@]}") >"$work/configure.log"
! grep -qi "microhttpd" "$work/configure.log" || { echo "the plugin alone looked for libmicrohttpd"; exit 1; }
cmake --build "$work/plugin" --target rdwh_plugin >/dev/null
module=$work/plugin/plugins/rdwh-pagerduty.so
test -f "$module"

cmake -S "$source_dir/test/packaging/consumer" -B "$work/consumer" -Drdwh-abi_DIR="$work/plugin" \
  -DMINIMAL_HOST_SOURCE="$source_dir/examples/minimal_host.c" >/dev/null
cmake --build "$work/consumer" >/dev/null
test "$(cat "$work/consumer/plugin_dir.txt")" = "$work/plugin/plugins"
out=$("$work/consumer/consumer_host" "$module" pagerduty-V3-run-job "$source_dir/examples/rundeck/pagerduty-v3.json" \
  "$source_dir/examples/deliveries/v3-incident.priority_updated-gopagerduty.json" \
  lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK \
  v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd)
echo "$out"
grep -q "^status 200" <<<"$out"
# The build tree's package hands its plugin directory to the host's code too: a bare name works.
out=$("$work/consumer/consumer_host" rdwh-pagerduty.so pagerduty-V3-run-job "$source_dir/examples/rundeck/pagerduty-v3.json" \
  "$source_dir/examples/deliveries/v3-incident.priority_updated-gopagerduty.json" secret)
grep -q "^status 400" <<<"$out" # found and loaded: unsigned, so refused
echo "plugin alone: built with its own dependencies only; a host built against its build tree runs it"
