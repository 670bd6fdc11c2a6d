#!/usr/bin/env bash
# The whole qforge pipeline on the bundled examples (calib/), after building (scripts/setup.sh):
#   1. calib/mnist: convert with calibration (entropy, per-channel weights) over its 500 digits,
#      run fp32 and int8 with --debug, and diff them layer by layer with the labels;
#   2. calib/fashion: our QAT-trained CNN converted with the AIMET overrides its training exported
#      (no calibration), run fp32 and int8 over its 1000 test images, diff with the labels.
# Prints fp32 vs int8 accuracy, speed, and the worst layers; the reports (HTML, JSON) stay under
# build/demo/. Everything after the build takes well under a minute.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}
python=/usr/bin/python3  # Debian's, with numpy (the one on PATH may not have it)
tools=$build_dir/tools

"$repo/scripts/setup.sh"

demo=$build_dir/demo
rm -rf -- "$demo"
step() { printf '\n== %s\n' "$*"; }
latency() {
  "$python" -c 'import json, sys; print("%.3f ms" % json.load(open(sys.argv[1]))["latency_ms"]["median"])' "$1"
}

# run_pair NAME MODEL QGRAPH LIST LABELS: fp32 and int8 runs with --debug, then the diff.
run_pair() {
  local name=$1 model=$2 qgraph=$3 list=$4 labels=$5 out=$demo/$1
  step "$name: qforge-net-run fp32 ($model) and int8 ($qgraph), every layer written (--debug)"
  "$tools/qforge-net-run" --model "$model" --input_list "$list" --output_dir "$out/fp32" --debug \
    --perf_report "$out/fp32_perf.json" --log_level warn
  "$tools/qforge-net-run" --model "$qgraph" --input_list "$list" --output_dir "$out/int8" --debug \
    --perf_report "$out/int8_perf.json" --log_level warn
  echo "latency per inference (median, --debug writes every layer): fp32 $(latency "$out/fp32_perf.json")," \
       "int8 $(latency "$out/int8_perf.json")"
  step "$name: qforge-diff fp32 vs int8 (report: $out/diff.html)"
  "$tools/qforge-diff" --golden "$out/fp32" --candidate "$out/int8" --model "$qgraph" --labels "$labels" \
    --worst 3 --html "$out/diff.html" --json "$out/diff.json" --log_level warn
}

step "mnist: preparing calib/mnist (500 digits) -> $demo/mnist/data"
"$python" "$repo/scripts/prepare_images.py" --dataset mnist --src "$repo/calib/mnist" --out "$demo/mnist/data" >/dev/null
step "mnist: qforge-onnx-converter, entropy calibration, per-channel weights"
"$tools/qforge-onnx-converter" --input_network "$repo/calib/mnist/mnist.onnx" \
  --input_list "$demo/mnist/data/input_list.txt" --act_quantizer_calibration entropy --use_per_channel_quantization \
  --output_path "$demo/mnist/model.qgraph.json" --log_level warn
echo "wrote $demo/mnist/model.qgraph.json and model.bin ($(stat -c %s "$demo/mnist/model.bin") bytes)"
run_pair mnist "$repo/calib/mnist/mnist.onnx" "$demo/mnist/model.qgraph.json" "$demo/mnist/data/input_list.txt" \
  "$demo/mnist/data/labels.txt"

step "fashion: preparing calib/fashion (1000 test images) -> $demo/fashion/data"
"$python" "$repo/scripts/prepare_images.py" --dataset fashion --src "$repo/calib/fashion" --out "$demo/fashion/data" >/dev/null
step "fashion: qforge-onnx-converter with the QAT encodings (AIMET overrides), no calibration"
"$tools/qforge-onnx-converter" --input_network "$repo/calib/fashion/model_fp32.onnx" \
  --quantization_overrides "$repo/calib/fashion/model_fp32.encodings.json" --use_per_channel_quantization \
  --output_path "$demo/fashion/model.qgraph.json" --log_level warn
run_pair fashion "$repo/calib/fashion/model_fp32.onnx" "$demo/fashion/model.qgraph.json" \
  "$demo/fashion/data/input_list.txt" "$demo/fashion/data/labels.txt"

step "summary"
"$python" - "$demo" <<'EOF'
import json, sys
from pathlib import Path
for name in ("mnist", "fashion"):
    report = json.load(open(Path(sys.argv[1]) / name / "diff.json"))
    for t in report["tensors"]:
        acc = t.get("accuracy")
        if acc:
            print(f"{name:8s} top-1: fp32 {100 * acc['golden_top1']:.2f} %, int8 {100 * acc['candidate_top1']:.2f} %"
                  f"  ({acc['samples']} images)")
print("torch's own int8 of the fashion model scores 93.20 % on these images (calib/fashion/reference.json)")
EOF
