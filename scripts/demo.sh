#!/usr/bin/env bash
# The bundled example end to end: builds qforge (scripts/setup.sh), turns the 500 MNIST digits of
# calib/mnist into float32 .raw files under build/demo/, runs them through mnist.onnx in fp32 with
# qforge-net-run and prints the top-1 accuracy (numpy's evaluator gets 99.40 %, 497/500).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}
python=/usr/bin/python3  # Debian's, with numpy (the one on PATH may not have it)
backend=${QFORGE_BACKEND:-onednn}

"$repo/scripts/setup.sh"

demo=$build_dir/demo/mnist
echo
echo "== Preparing calib/mnist -> $demo/data"
"$python" "$repo/scripts/prepare_images.py" --dataset mnist --src "$repo/calib/mnist" --out "$demo/data"

echo
echo "== fp32 on $backend: qforge-net-run -> $demo/fp32"
rm -rf -- "$demo/fp32"
"$build_dir/tools/qforge-net-run" --model "$repo/calib/mnist/mnist.onnx" \
  --input_list "$demo/data/input_list.txt" --output_dir "$demo/fp32" --backend "$backend" \
  --perf_report "$demo/fp32_perf.json"
"$python" - "$demo/fp32_perf.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"latency per inference: median {r['latency_ms']['median']:.3f} ms over {r['inferences']} inferences")
EOF
echo -n "fp32 accuracy: "
"$python" "$repo/scripts/accuracy.py" "$demo/fp32" "$demo/data/labels.txt"
