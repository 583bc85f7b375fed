#!/usr/bin/env bash
# Builds rdwh optimised with its benchmarks and runs them: the micro benchmarks through the real
# C ABI with the floors (RapidJSON parse + OpenSSL HMAC-SHA256; the goals' floor with a keyed HMAC
# context, an in-place SSE2 parse and a pooled allocator) in the same run, a table of every
# figure as a ratio to its floor with the goals checked, then the memory checks (the size of
# handlers of 1,000 and 10,000 rules, no growth over a million deliveries). About three minutes on
# 2 cores, plus the build.
#
#   scripts/bench.sh                                  # everything
#   scripts/bench.sh --benchmark_filter='v3'          # extra arguments go to rdwh_bench
#   RDWH_BENCH_REPETITIONS=15 RDWH_BENCH_MIN_TIME=0.2 RDWH_MEMCHECK_N=100000 scripts/bench.sh
#   RDWH_BENCH_CALLGRIND=1 scripts/bench.sh           # also instruction counts (callgrind): ~2 more minutes
#   RDWH_BENCH_PLUGIN=/other/build/plugins/rdwh-pagerduty.so scripts/bench.sh   # another build's module
#
# Results are also written to build/bench/results.md (what is printed) and build/bench/results.json
# (Google Benchmark's JSON). docs/benchmarks.md explains them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh libbenchmark-dev

jobs="${RDWH_BENCH_JOBS:-2}"
cmake --preset bench >/dev/null
cmake --build --preset bench -j "$jobs"

out=build/bench
bin=$out/bin
{
  echo "# rdwh benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "## Machine"
  echo
  echo "- CPUs (nproc): $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')$(grep -qw sha_ni /proc/cpuinfo && echo ' (SHA-NI)')"
  echo "- Compiler: $("$(grep -m1 '^CMAKE_CXX_COMPILER:' $out/CMakeCache.txt | cut -d= -f2-)" --version | head -1)," \
       "$(grep -m1 '^CMAKE_BUILD_TYPE:' $out/CMakeCache.txt | cut -d= -f2-)"
  echo "- OpenSSL $(dpkg-query -W -f='${Version}' libssl3 2>/dev/null || echo '?')," \
       "RapidJSON $(dpkg-query -W -f='${Version}' rapidjson-dev 2>/dev/null || echo '?')," \
       "Google Benchmark $(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo '?')"
  echo "- Kernel $(uname -r); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} | tee $out/results.md

# Repetitions of all benchmarks are interleaved at random, so that a burst of load elsewhere on the
# machine spreads over the figures instead of skewing one ratio; the summary uses the best of them.
"$bin/rdwh_bench" \
  --benchmark_repetitions="${RDWH_BENCH_REPETITIONS:-9}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_min_time="${RDWH_BENCH_MIN_TIME:-0.1}" \
  --benchmark_out="$out/results.json" --benchmark_out_format=json \
  --benchmark_color=false \
  "$@" | tee $out/bench-output.txt
# The console table first, then the summary: keep the summary (and the machine) in results.md.
sed -n '/^## Summary/,$p' $out/bench-output.txt >> $out/results.md

echo | tee -a $out/results.md
"$bin/rdwh_memcheck" "${RDWH_MEMCHECK_N:-1000000}" | tee -a $out/results.md

# Optional: instructions per call (callgrind), which repeat exactly on a noisy machine. Valgrind
# hides SHA-NI from OpenSSL, so the HMAC part of a floor counts more instructions than it runs.
if [ "${RDWH_BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
  ir() { # case calls -> instructions per call
    local f; f=$(mktemp)
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$f" "$bin/rdwh_profile" "$1" "$2" >/dev/null 2>&1
    echo $(( $(sed -n 's/^totals: //p' "$f") / $2 )); rm -f "$f"
  }
  {
    echo
    echo "## Instructions per call (callgrind)"
    echo
    echo "| case | instructions | floor | ratio |"
    echo "|---|---:|---|---:|"
    f3=$(ir floor:v3 1000); f2=$(ir floor:v2:10 50)
    echo "| floor:v3 | $f3 | | (floor) |"
    echo "| floor:v2:10 | $f2 | | (floor) |"
    i=$(ir floor:v3:plugin-flags 1000); echo "| floor:v3:plugin-flags (parse as the plugin does) | $i | floor:v3 | $(awk "BEGIN{printf \"%.2fx\", $i/$f3}") |"
    i=$(ir floor:v3:fast 1000); echo "| floor:v3:fast (the goals' floor: keyed HMAC context, in-place SSE2 parse, pooled allocator) | $i | floor:v3 | $(awk "BEGIN{printf \"%.2fx\", $i/$f3}") |"
    for c in v3:0 v3:1 v3:10 v3:100 v3:100:nomatch v3:10:explain; do
      i=$(ir $c 1000); echo "| $c | $i | floor:v3 | $(awk "BEGIN{printf \"%.2fx\", $i/$f3}") |"
    done
    for c in "v3:1000 20" "v3:10000 4" "v3:10:distinct 1000" "v3:100:distinct 200" "v3:1000:distinct 20" "v3:10000:distinct 4"; do
      set -- $c; i=$(ir $1 $2); echo "| $1 | $i | floor:v3 | $(awk "BEGIN{printf \"%.2fx\", $i/$f3}") |"
    done
    for c in v2:10:0 v2:10:10; do
      i=$(ir $c 50); echo "| $c | $i | floor:v2:10 | $(awk "BEGIN{printf \"%.2fx\", $i/$f2}") |"
    done
  } | tee -a $out/results.md
fi
