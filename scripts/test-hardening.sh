#!/usr/bin/env bash
# Hardening checks on a fresh Debian 12 machine (as root, or a user with sudo):
#   1. the test suite under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on), plugin
#      and hosts (rdwh-host, the C host, the test programs) all instrumented  [preset asan]
#   2. the test suite under ThreadSanitizer, many threads on one handler included  [preset tsan]
#   3. valgrind memcheck on an uninstrumented rdwh-host for a couple of deliveries  [preset ci]
#   4. each libFuzzer target replays its corpus and regressions, then fuzzes for a bounded time
#      [preset fuzz; same build as asan]
# Fails on any finding. Time: RDWH_FUZZ_SECONDS per fuzz target (default 20; 5 targets: under 2 minutes of fuzzing).
# Tests that load the module into foreign, uninstrumented processes (Python, Java, the packaging
# consumer) cannot run sanitized and are left to scripts/test.sh; so is the gateway (not built here).
set -euo pipefail
cd "$(dirname "$0")/.."

# Beyond the base set: clang 14 and its sanitizer/libFuzzer runtimes, llvm-symbolizer for
# readable reports, valgrind.
scripts/setup-debian.sh clang libclang-rt-14-dev llvm valgrind

jobs=$(nproc)
fuzz_seconds=${RDWH_FUZZ_SECONDS:-20}
# Only what the sanitized suites run (no gateway, no benchmarks); the asan tree adds the fuzzers.
suite_targets=(rdwh_plugin rdwh-host minimal_host rdwh_unit_tests rdwh_abi_tests rdwh_abi_hardening_tests
               rdwh_abi_layout rdwh_abi_c99 rdwh_abi_c11 rdwh_abi_digest rdwh_test_v10_plugin rdwh_integration_tests
               rdwh_conformance rdwh_conformance_inputs)
# (docs runs the Python example: an instrumented plugin cannot load into an uninstrumented python3)
not_sanitizable='hosts|packaging|gateway|docs'
export LLVM_SYMBOLIZER_PATH=${LLVM_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)}

step() { printf '\n== test-hardening: %s\n' "$*" >&2; }

step "ASan + UBSan + LSan: build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs" --target "${suite_targets[@]}" rdwh_fuzzers
step "ASan + UBSan + LSan: test suite"
ctest --preset asan -j "$jobs" -LE "$not_sanitizable" -E gateway

step "TSan: build"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target "${suite_targets[@]}"
step "TSan: test suite"
# TSan needs a memory layout some kernels' address randomisation breaks; run without it if we may.
no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi
"${no_aslr[@]}" ctest --preset tsan -j "$jobs" -LE "$not_sanitizable" -E gateway

step "valgrind memcheck: rdwh-host (uninstrumented) on signed and refused deliveries"
[ -f build/ci/CMakeCache.txt ] || cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs" --target rdwh-host rdwh_plugin
host=build/ci/bin/rdwh-host
secret=$(head -n 1 examples/rundeck/example-secret.txt)
body=examples/deliveries/v3-incident.priority_updated-gopagerduty.json
signature=$("$host" sign --key "$secret" --body "$body")
memcheck=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
          --show-leak-kinds=definite,indirect --track-fds=no -q)
for sig in "$signature" "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"; do
  "${memcheck[@]}" "$host" handle --repeat 3 --provider pagerduty-V3-run-job --config examples/rundeck/pagerduty-v3.json \
    --body "$body" --key "keys/pagerduty/v3-secret=$secret" --header "X-PagerDuty-Signature: $sig" >/dev/null
done
"${memcheck[@]}" "$host" handle --provider pagerduty-run-job --config examples/rundeck/pagerduty-v2.json \
  --body examples/deliveries/v2-incident.acknowledge-pddocs.json >/dev/null
echo "valgrind: no errors, no leaks" >&2

step "fuzz: replay corpora and regressions"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs"

step "fuzz: ${fuzz_seconds}s per target"
fuzz_bin=build/asan/bin
work=build/asan/fuzz-work
declare -A dicts=(
  [request]="json pagerduty" [signature]="signature" [jsonpath]="jsonpath json"
  [template]="template jsonpath json" [config]="config template jsonpath json")
found=0
for name in request signature jsonpath template config; do
  mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
  dict="$work/$name/fuzz.dict"
  : >"$dict"
  for d in ${dicts[$name]}; do cat "test/fuzz/dict/$d.dict" >>"$dict"; done
  # New inputs go to the work corpus (kept between runs); the tree's seeds and regressions are read.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$fuzz_bin/fuzz_$name" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=16 -max_len=16384 \
      -dict="$dict" -artifact_prefix="$work/$name/artifacts/" -print_final_stats=1 \
      "$work/$name/corpus" "test/fuzz/corpus/$name" "test/fuzz/regressions/$name" \
      >"$work/$name/log" 2>&1; then
    found=1
    echo "fuzz_$name: FINDING (log: $work/$name/log; input in $work/$name/artifacts/)" >&2
    tail -n 60 "$work/$name/log" >&2
    echo "Keep it: copy the input into test/fuzz/regressions/$name/, fix, and rerun." >&2
  else
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name/log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$work/$name/log" | tail -n 1 || true)
    echo "fuzz_$name: ${fuzz_seconds}s, $runs runs, $cov, no finding" >&2
  fi
done
[ "$found" -eq 0 ] || { echo "test-hardening: fuzzing found problems" >&2; exit 1; }
echo "test-hardening: all passed" >&2
