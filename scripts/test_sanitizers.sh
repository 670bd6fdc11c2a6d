#!/usr/bin/env bash
# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (g++, RelWithDebInfo,
# every UB report fatal) into build-asan/ ($QFORGE_ASAN_BUILD_DIR), then ctest. The slow
# real-model accuracy runs are left out but one (QFORGE_ASAN_CTEST_ARGS overrides the selection);
# the real models still go through every kernel in the unit tests. Extra arguments go to ctest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_ASAN_BUILD_DIR:-$repo/build-asan}

"$repo/scripts/setup.sh" >/dev/null  # the packages (and the normal build, which the scripts reuse)
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQFORGE_SANITIZE=ON
cmake --build "$build_dir"

# Leaks are errors, with no suppressions (none are needed).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
read -r -a selection <<<"${QFORGE_ASAN_CTEST_ARGS:--E e2e\.real\.(mnist|cifar10|ppocr)\.|e2e\.real\.int8\.(mnist|ppocr)}"
ctest --test-dir "$build_dir" --output-on-failure -j2 "${selection[@]}" "$@"
