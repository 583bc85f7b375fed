#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds with warnings as errors and runs every test: the unit,
# ABI, integration, gateway, packaging and other-language host suites, then the hardening checks
# (ASan/UBSan, TSan, valgrind, bounded fuzzing: scripts/test-hardening.sh).
#   RDWH_SKIP_HARDENING=1 scripts/test.sh   # only the first part (a quick local check)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake --preset ci
cmake --build --preset ci -j "$(nproc)"
# A test that fails once fails the run: none is retried.
ctest --preset ci -j "$(nproc)"
if [ "${RDWH_SKIP_HARDENING:-0}" != 1 ]; then
  RDWH_FUZZ_SECONDS=${RDWH_FUZZ_SECONDS:-15} scripts/test-hardening.sh
fi
