#!/usr/bin/env bash
# Plugin directories as hosts scan them: every *.so with the entry symbol loads; anything else is
# skipped with a clear line; a second plugin offering the same provider is refused; RDWH_PLUGIN_PATH
# takes several directories.   plugin_dir_test.sh RDWH_HOST PLUGIN.so WORK_DIR
set -euo pipefail
host=$1 plugin=$2 work=$3
rm -rf "$work" && mkdir -p "$work/a" "$work/b" "$work/empty"
cp "$plugin" "$work/a/rdwh-pagerduty.so"
cp "$plugin" "$work/b/rdwh-again.so"                      # same providers: refused
echo "not an ELF file" >"$work/a/broken.so"                 # cannot be loaded
libz=$(ls /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/*/libz.so.1 2>/dev/null | head -n 1)
cp "$libz" "$work/a/libz-not-a-plugin.so"                  # a shared object without the entry symbol
echo "readme" >"$work/a/README.txt"                         # not a .so: not even looked at

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$host" --plugin-dir "$work/a" plugins 2>"$work/err")
[ "$(grep -c '"file"' <<<"$out")" = 1 ] || fail "one plugin expected in $work/a: $out"
grep -q "rdwh-pagerduty.so" <<<"$out" || fail "the plugin is not listed"
grep -q "broken.so: " "$work/err" || fail "broken.so is not reported: $(cat "$work/err")"
grep -q "libz-not-a-plugin.so is not an rdwh plugin" "$work/err" || fail "the non-plugin is not reported"
grep -q "README" "$work/err" && fail "a non-.so file was looked at"

out=$(RDWH_PLUGIN_PATH="$work/a:$work/empty:$work/b" "$host" plugins 2>"$work/err")
[ "$(grep -c '"file"' <<<"$out")" = 1 ] || fail "the duplicate plugin was not refused: $out"
grep -q "rdwh-again.so: refused: duplicate provider pagerduty-V3-run-job" "$work/err" || fail "no refusal line: $(cat "$work/err")"

out=$(RDWH_PLUGIN_PATH="$work/b" "$host" plugins 2>/dev/null)
grep -q "rdwh-again.so" <<<"$out" || fail "RDWH_PLUGIN_PATH is not used"

"$host" --plugin-dir "$work/empty" describe pagerduty-V3-run-job >/dev/null 2>&1 && fail "describe found a provider in an empty dir"

# A copied rdwh-host looks beside itself (bin/../lib/rdwh/plugins), never in the build tree it
# was built in, and says where it looked.
mkdir -p "$work/copy/bin"
cp "$host" "$work/copy/bin/rdwh-host"
out=$(env -u RDWH_PLUGIN_PATH "$work/copy/bin/rdwh-host" plugins 2>"$work/err")
grep -q '"file"' <<<"$out" && fail "a copied rdwh-host found plugins in its build tree: $out"
grep -q "$work/copy/lib/rdwh/plugins: cannot open directory" "$work/err" || fail "no word of where it looked: $(cat "$work/err")"
mkdir -p "$work/copy/lib/rdwh/plugins"
cp "$plugin" "$work/copy/lib/rdwh/plugins/"
out=$(env -u RDWH_PLUGIN_PATH "$work/copy/bin/rdwh-host" plugins 2>/dev/null)
grep -q "\"$work/copy/lib/rdwh/plugins/" <<<"$out" || fail "the copy does not use the directory beside it: $out"
echo "plugin directory test passed"
