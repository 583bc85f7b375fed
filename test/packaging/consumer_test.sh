#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds examples/minimal_host.c out of tree against it
# twice (CMake package, then pkg-config) and runs both on a signed delivery with the installed plugin.
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
# The gateway's config holds the webhooks' tokens: installed 0640, never world-readable.
if [ -f "$prefix/etc/rdwh/gateway.json" ] && [ "$(stat -c %a "$prefix/etc/rdwh/gateway.json")" != 640 ]; then
  echo "etc/rdwh/gateway.json is installed $(stat -c %a "$prefix/etc/rdwh/gateway.json"), not 0640" >&2
  exit 1
fi

secret=lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK
signature=v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd
config=$source_dir/examples/rundeck/pagerduty-v3.json
body=$source_dir/examples/deliveries/v3-incident.priority_updated-gopagerduty.json

run_host() { # host binary, plugin (a path, or a bare name the host resolves in RDWH_PLUGIN_DIR)
  out=$("$1" "$2" pagerduty-V3-run-job "$config" "$body" "$secret" "$signature")
  echo "$out"
  grep -q "^status 200" <<<"$out"
  grep -q "run job 9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a02" <<<"$out"
}

echo "-- CMake package"
cmake -S "$source_dir/test/packaging/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DMINIMAL_HOST_SOURCE="$source_dir/examples/minimal_host.c" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
run_host "$work/cmake-build/consumer_host" "$(cat "$work/cmake-build/plugin_dir.txt")/rdwh-pagerduty.so"
# The imported target hands the installed plugin directory to the host's code: a bare name works.
run_host "$work/cmake-build/consumer_host" rdwh-pagerduty.so
[ "$(cat "$work/cmake-build/plugin_dir_property.txt")" = "$prefix/lib/rdwh/plugins" ] ||
  { echo "rdwh::abi's RDWH_PLUGIN_DIR property: $(cat "$work/cmake-build/plugin_dir_property.txt")"; exit 1; }

echo "-- pkg-config"
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name rdwh-abi.pc)")
plugin_dir=$(pkg-config --variable=plugindir rdwh-abi)
[ "$plugin_dir" = "$prefix/lib/rdwh/plugins" ] || { echo "pkg-config plugindir: $plugin_dir"; exit 1; }
# shellcheck disable=SC2046
cc -std=c99 -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags rdwh-abi) -DRDWH_PLUGIN_DIR="\"$plugin_dir\"" \
  "$source_dir/examples/minimal_host.c" -o "$work/pc_host" $(pkg-config --libs rdwh-abi)
run_host "$work/pc_host" rdwh-pagerduty.so

echo "-- the service and its config name the install prefix's paths"
unit=$prefix/lib/systemd/system/rdwh-gateway.service
gateway_config=$prefix/etc/rdwh/gateway.json
if [ -f "$unit" ]; then
  grep -q "^ExecStart=$prefix/bin/rdwh-gateway --config $prefix/etc/rdwh/gateway.json$" "$unit" || { cat "$unit"; exit 1; }
  grep -q "^ReadWritePaths=$prefix/var/lib/rdwh-gateway$" "$unit" || { cat "$unit"; exit 1; }
  if grep -qE '(^|[ =])/(usr|etc|var)/' "$unit"; then echo "the unit names system paths:"; cat "$unit"; exit 1; fi
  grep -q "\"pluginDir\": \"$prefix/lib/rdwh/plugins\"" "$gateway_config" || { cat "$gateway_config"; exit 1; }
  grep -q "\"stateDir\": \"$prefix/var/lib/rdwh-gateway\"" "$gateway_config" || { cat "$gateway_config"; exit 1; }
  if grep -qE '"/(usr|etc|var)/' "$gateway_config"; then echo "the config names system paths"; exit 1; fi
fi

echo "-- the ABI change log is installed with the headers' package"
test -f "$(dirname "$(find "$prefix" -name rdwh.h)")/../../share/doc/rdwh/ABI_CHANGES.md"

echo "-- installed rdwh-host finds the installed plugin"
"$prefix/bin/rdwh-host" plugins | grep -q '"pagerduty-V3-run-job"'
echo "-- installed Python package finds the installed plugin, and its example runs"
python_dir=$prefix/lib/python3/dist-packages
found=$(env -u RDWH_PLUGIN_PATH PYTHONPATH="$python_dir" python3 -c 'import rdwh; print(rdwh.load(provider="pagerduty-V3-run-job").path)')
[[ $found == "$prefix"/* ]] || { echo "rdwh.load() found $found, not the plugin under $prefix"; exit 1; }
out=$(env -u RDWH_PLUGIN_PATH PYTHONPATH="$python_dir" "$prefix/share/doc/rdwh/examples/python/example.py" "$config" \
  "$body" --secret "keys/pagerduty/v3-secret=$secret" --header "X-PagerDuty-Signature: $signature")
grep -q '"pd_incident_id": "PGR0VU2"' <<<"$out"
if [ -f "$prefix/share/java/rdwh.jar" ]; then
  echo "-- installed rdwh.jar finds the installed plugin"
  out=$(env -u RDWH_PLUGIN_PATH java -cp "/usr/share/java/jna.jar:$prefix/share/java/rdwh.jar" org.rdwh.Example \
    "$config" "$body" --secret "keys/pagerduty/v3-secret=$secret" --header "X-PagerDuty-Signature: $signature")
  grep -q '^run job 9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a02' <<<"$out"
fi
echo "-- man pages and bash completion"
for command in rdwh-host rdwh-gateway; do
  page=$prefix/share/man/man1/$command.1
  grep -q "^\.TH ${command^^} \"1\"" "$page" || { echo "no man page $page"; exit 1; }
  grep -qF -- "\\-\\-version" "$page" || { echo "$page lacks --version"; exit 1; }
  grep -q "^complete .* $command$" "$prefix/share/bash-completion/completions/$command" ||
    { echo "no completion for $command"; exit 1; }
done
echo "consumer test passed"
