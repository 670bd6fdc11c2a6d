#!/usr/bin/env bash
# A measurement, not a test: qforge's int8 run against onnxruntime-node 1.30 running the
# converter's --export_qdq model of the same conversion, layer by layer. A copy of the export gets
# every activation's DequantizeLinear output as a graph output under the tensor's own name;
# qforge-net-run --debug writes the same tensors; qforge-diff --model states, per layer, the
# largest difference in LSBs of the tensor's encoding. onnxruntime computes each op in float between
# its DequantizeLinear and QuantizeLinear, qforge in integers, so a value that lands next to a
# rounding boundary can come out 1 LSB apart; such differences travel and grow over deep graphs.
# A jump at one layer that its inputs do not explain would be a bug.
#
# scripts/ort_layers.sh QGRAPH QDQ_EXPORT INPUT_LIST OUT_DIR
#   Prints one row per layer in graph order (max LSB, SQNR of qforge against onnxruntime) and
#   leaves OUT_DIR/diff.json (qforge-diff's report) for more.
set -euo pipefail

if (($# != 4)); then
  echo "usage: ort_layers.sh QGRAPH QDQ_EXPORT INPUT_LIST OUT_DIR" >&2
  exit 2
fi
qgraph=$1 export=$2 list=$3 out=$4
repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${QFORGE_BUILD_DIR:-$repo/build}/tools
python=/usr/bin/python3
"$repo/scripts/apt_install.sh" python3-onnx >&2
NODE_PATH=$("$repo/scripts/ort_install.sh")
export NODE_PATH

rm -rf -- "$out"
mkdir -p "$out"
"$python" - "$export" "$out/layers.onnx" <<'PY'
import sys
import onnx
from onnx import helper

model = onnx.load(sys.argv[1])
graph = model.graph
taken = {v.name for v in graph.input} | {v.name for v in graph.output}
constants = {t.name for t in graph.initializer}
for node in list(graph.node):
    # Activations are `T_quantized` -> DequantizeLinear -> `T_dequantized`; weights and biases
    # have their `_quantized` codes stored as initializers.
    if node.op_type != "DequantizeLinear" or node.input[0] in constants:
        continue
    name = node.output[0].removesuffix("_dequantized")
    if name == node.output[0] or name in taken:
        continue
    graph.node.append(helper.make_node("Identity", [node.output[0]], [name]))
    graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    taken.add(name)
onnx.save(model, sys.argv[2])
PY
node "$repo/scripts/ort_net_run.js" "$out/layers.onnx" "$list" "$out/onnxruntime"
"$tools/qforge-net-run" --model "$qgraph" --input_list "$list" --output_dir "$out/qforge" --debug --log_level warn
"$tools/qforge-diff" --golden "$out/onnxruntime" --candidate "$out/qforge" --model "$qgraph" --json "$out/diff.json" \
  --no_text_report || true  # layers below the SQNR threshold make it exit 1; the table says which
"$python" - "$out/diff.json" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
rows = sorted((t for t in report["tensors"] if t.get("index") is not None), key=lambda t: t["index"])
print("| layer | tensor | op | max difference (LSB) | SQNR against onnxruntime (dB) |")
print("|---|---|---|---|---|")
for t in rows:
    lsb = (t.get("encoding") or {}).get("max_error_lsb")
    print(f"| {t['index']} | {t['name']} | {t['op'] or ''} | {'-' if lsb is None else round(lsb)} | {t['sqnr_db'] if isinstance(t['sqnr_db'], str) else round(t['sqnr_db'], 1)} |")
PY
