#!/usr/bin/env bash
# Installs the Debian packages qforge needs (only those missing) and builds it (Release) into
# build/, or into $QFORGE_BUILD_DIR. Safe to run again: it redoes nothing that is already done.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}

source "$repo/scripts/build_packages.sh"
"$repo/scripts/apt_install.sh" "${qforge_build_packages[@]}"

cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir"
