#!/usr/bin/env bash
# Installs the Debian packages qforge needs (only those missing) and builds it (Release) into
# build/, or into $QFORGE_BUILD_DIR. Safe to run again: it redoes nothing that is already done.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}

# third_party/README.md says what each package is for.
"$repo/scripts/apt_install.sh" \
  cmake ninja-build g++ \
  libonnx-dev libprotobuf-dev \
  libdnnl-dev ocl-icd-opencl-dev \
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev \
  catch2 libonnx-testdata \
  python3-onnx python3-numpy python3-jsonschema

cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir"
