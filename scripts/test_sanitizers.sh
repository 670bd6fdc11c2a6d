#!/usr/bin/env bash
# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/
# ($QFORGE_ASAN_BUILD_DIR), then ctest. One clang-14 build (QFORGE_FUZZ=ON: ASan, UBSan with
# every report fatal, assert()s on, coverage for libFuzzer) serves both the tests and the fuzz
# targets, so that CI compiles the project with sanitizers once: `scripts/fuzz.sh` reuses it when
# QFORGE_FUZZ_BUILD_DIR points here. The slow real-model accuracy runs (and the trained
# transformers' flows, whose kernels the unit tests cover) are left out but one
# (QFORGE_ASAN_CTEST_ARGS overrides the selection); the real models still go through every kernel
# in the unit tests. The fuzz smoke runs (label fuzz) are left to scripts/fuzz.sh. Extra
# arguments go to ctest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_ASAN_BUILD_DIR:-$repo/build-asan}

source "$repo/scripts/build_packages.sh"
"$repo/scripts/apt_install.sh" "${qforge_build_packages[@]}" clang-14 libclang-rt-14-dev libomp-14-dev
"$repo/scripts/setup.sh" >/dev/null  # the normal build: the test fixtures' generators reuse its tools
# A build folder configured otherwise (an older g++ sanitizer build) is configured afresh.
if ! grep -qs '^QFORGE_FUZZ:BOOL=ON$' "$build_dir/CMakeCache.txt" ||
   ! grep -qs '^QFORGE_BUILD_TESTS:BOOL=ON$' "$build_dir/CMakeCache.txt"; then
  CC=clang-14 CXX=clang++-14 cmake --fresh -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQFORGE_FUZZ=ON -DQFORGE_BUILD_TESTS=ON
fi
cmake --build "$build_dir"

# Leaks are errors, with no suppressions (none are needed).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
read -r -a selection <<<"${QFORGE_ASAN_CTEST_ARGS:--E e2e\.real\.(mnist|cifar10|ppocr)\.|e2e\.real\.int8\.(mnist|ppocr|ppocr-text)|e2e\.transformers\.}"
ctest --test-dir "$build_dir" --output-on-failure -j2 -LE fuzz "${selection[@]}" "$@"
