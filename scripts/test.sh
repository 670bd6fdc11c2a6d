#!/usr/bin/env bash
# Builds qforge (scripts/setup.sh) and runs every test. Extra arguments go to ctest
# (e.g. `scripts/test.sh -R e2e`). Exits non-zero when a test fails.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}

"$repo/scripts/setup.sh"
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@"
