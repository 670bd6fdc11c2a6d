#!/usr/bin/env bash
# ort_install.sh: makes onnxruntime-node (the peer runtime the measurement scripts compare with)
# available, and prints the NODE_PATH to use. Installs it once into QFORGE_ORT_DIR (default
# ~/.cache/qforge/ort), with nodejs and npm from Debian if they are missing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ort_dir=${QFORGE_ORT_DIR:-$HOME/.cache/qforge/ort}
ort_version=1.30.0
command -v npm >/dev/null || "$repo/scripts/apt_install.sh" nodejs npm >&2
# Its install script would fetch CUDA libraries (no network for that); the CPU provider is in the
# package itself, so --ignore-scripts is enough.
if [[ $(cat "$ort_dir/node_modules/onnxruntime-node/package.json" 2>/dev/null) != *"\"version\": \"$ort_version\""* ]]; then
  echo "ort_install.sh: installing onnxruntime-node@$ort_version into $ort_dir" >&2
  mkdir -p "$ort_dir"
  [[ -f $ort_dir/package.json ]] || (cd "$ort_dir" && npm init -y >/dev/null)
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >&2)
fi
echo "$ort_dir/node_modules"
