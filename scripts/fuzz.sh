#!/usr/bin/env bash
# fuzz.sh TARGET|all SECONDS [LIBFUZZER_FLAG...]
#   Builds the libFuzzer target(s) of tests/fuzz/ with clang-14, ASan and UBSan into build-fuzz/
#   (or $QFORGE_FUZZ_BUILD_DIR), installing clang-14, libclang-rt-14-dev, libomp-14-dev and the
#   build's Debian packages first when missing, then runs TARGET (or every target in turn) for SECONDS on a
#   scratch copy of its seed corpus and regression inputs (build-fuzz/fuzz/TARGET/: the grown
#   corpus, crash inputs, the log). Prints libFuzzer's final stats; exits non-zero when a target
#   crashed, leaked, timed out or ran out of memory. Extra flags go to libFuzzer (-runs=1000000).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_FUZZ_BUILD_DIR:-$repo/build-fuzz}
fuzz_dir=$repo/tests/fuzz

targets=()
for source in "$fuzz_dir"/*.cpp; do targets+=("$(basename "$source" .cpp)"); done
if (($# < 2)) || ! [[ $2 =~ ^[0-9]+$ ]] || { [[ $1 != all ]] && [[ ! -f $fuzz_dir/$1.cpp ]]; }; then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS [LIBFUZZER_FLAG...]; targets: ${targets[*]}" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2
[[ $target != all ]] && targets=("$target")

source "$repo/scripts/build_packages.sh"
"$repo/scripts/apt_install.sh" "${qforge_build_packages[@]}" clang-14 libclang-rt-14-dev libomp-14-dev

# A build of its own: every object needs clang's coverage instrumentation and the sanitizers.
# The tests are not built there (scripts/test.sh runs them, and replays the fuzz regressions);
# scripts/test_sanitizers.sh's build, which has them too, serves as well (CI points
# QFORGE_FUZZ_BUILD_DIR at it). A folder configured without QFORGE_FUZZ is configured afresh.
if ! grep -qs '^QFORGE_FUZZ:BOOL=ON$' "$build_dir/CMakeCache.txt"; then
  CC=clang-14 CXX=clang++-14 cmake --fresh -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQFORGE_FUZZ=ON -DQFORGE_BUILD_TESTS=OFF
fi
cmake --build "$build_dir" --target "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  if ! bash "$fuzz_dir/run_fuzzer.sh" "$build_dir/tests/fuzz/fuzz_$t" "$seconds" "$build_dir/fuzz/$t" \
    "$fuzz_dir/corpus/$t" "$fuzz_dir/regressions/$t" -- "$@"; then
    failed+=("$t")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
