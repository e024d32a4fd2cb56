#!/usr/bin/env bash
# scripts/test.sh: installs what is missing, builds, and runs every test.
#   1. normal build (warnings are errors): every test, CLI and multi-process tests included;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build: the unit tests;
#   3. libFuzzer build (clang): a short run of every fuzz target.
# Environment: CI=true makes a test that would be skipped for a missing tool fail instead.
#   HEARTH_FUZZ_SECONDS (default 20) per fuzz target; HEARTH_SKIP_ASAN=1 / HEARTH_SKIP_FUZZ=1
#   skip stages for quick local runs (never in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ "${CI:-}" = "true" ]; then export HEARTH_REQUIRE_TOOLS=1; fi
# ccache (when installed) keeps its default cache in the home directory, so repeated runs on
# one machine, clean clones included, reuse earlier compilations (paths made relative).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

stage() { echo; echo "=== $* ($(date +%H:%M:%S))"; }

stage "normal build"
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
stage "tests (normal build)"
(cd build && ctest -j "$jobs" --output-on-failure --timeout 600)

if [ "${HEARTH_SKIP_ASAN:-}" != "1" ]; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer build"
  cmake -S . -B build-asan "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DHEARTH_WERROR=ON \
        -DHEARTH_SANITIZE=ON -DHEARTH_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  stage "unit tests (sanitizers)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 HEARTH_SANITIZED=1 \
     ctest -j "$jobs" -L unit --output-on-failure --timeout 900)
fi

if [ "${HEARTH_SKIP_FUZZ:-}" != "1" ]; then
  stage "libFuzzer build"
  if ! command -v clang++-14 >/dev/null; then
    echo "clang++-14 missing: scripts/setup.sh should have installed it" >&2
    exit 1
  fi
  cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER=clang++-14 -DHEARTH_FUZZ=ON -DHEARTH_BENCH=OFF -DHEARTH_WERROR=ON >/dev/null
  cmake --build build-fuzz -j "$jobs" --target fuzz_all
  secs=${HEARTH_FUZZ_SECONDS:-20}
  stage "fuzzing, ${secs}s per target"
  shopt -s nullglob
  for bin in build-fuzz/bin/fuzz_*; do
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus=$(mktemp -d)
    seeds=tests/fuzz/corpus/$name
    [ -d "$seeds" ] || seeds=
    echo "fuzz $name"
    "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=0 \
       "$corpus" $seeds >"$corpus.log" 2>&1 || { tail -50 "$corpus.log"; exit 1; }
    grep -E "^Done|^#[0-9]+ *DONE" "$corpus.log" | tail -1 || true
    rm -rf "$corpus" "$corpus.log"
  done
fi

stage "all tests passed"
