#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The trained transformer examples (calib/chargpt, calib/vit_fashion) through the tools, as a user
# runs them: convert, run fp32 and int8, score. Usage:
#   transformer_flows.sh FLOW CONVERTER NET_RUN PYTHON REPO DATA OUT
# Flows:
#   chargpt_smooth_quant  --smooth_quant auto, per-row: the qgraph records alpha per linear-layer
#                         group, every node runs on the integer path, and the int8 perplexity stays
#                         within 3 % of fp32's
#   vit_w8a8              percentile, per-row: every node on the integer path, int8 top-1 within
#                         0.5 points of fp32 on 1000 test images,
#                         and the opset-13 export (LayerNorm decomposed) gives the same blob
#   qdq_onnxruntime       both models' --export_qdq run in onnxruntime-node (skipped, exit 77, when
#                         it is not installed: scripts/ort_install.sh): the ViT export at opset 20 with
#                         every transformer op between DequantizeLinear and QuantizeLinear, its top-1
#                         through onnxruntime within 1 point of qforge int8's on 1000 test images,
#                         every layer within 2 LSB of onnxruntime's on 20 (scripts/ort_layers.sh);
#                         chargpt's export runs and scores within 1 % of qforge int8's perplexity
set -euo pipefail
flow=$1 converter=$2 net_run=$3 python=$4 repo=$5 data=$6 out=$7
rm -rf "$out" && mkdir -p "$out"

# net-run's placement line must say that no node fell back to float.
every_node_in_int8() {
  grep -E '^\[info\] int8: [0-9]+ nodes.*, float: 0 nodes$' "$1" ||
    { echo "FAIL: a node runs in float:"; cat "$1"; exit 1; }
}

case "$flow" in
chargpt_smooth_quant)
  model=$repo/calib/chargpt/chargpt_opset17.onnx
  "$net_run" --model "$model" --input_list "$data/gpt_eval/input_list.txt" --output_dir "$out/fp32" -q
  fp32=$("$python" "$repo/scripts/perplexity.py" "$out/fp32" "$data/gpt_eval" | sed -n 's/^perplexity = \([0-9.]*\).*/\1/p')
  "$converter" --input_network "$model" --input_list "$data/gpt_calib/input_list.txt" --use_per_row_quantization \
    --smooth_quant auto -o "$out/gpt.qgraph.json" -q
  "$python" - "$out/gpt.qgraph.json" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
sq = q["options"]["smooth_quant"]
sites = sq["sites"]
assert sq["alpha"] == "auto", sq["alpha"]
assert sites, "no site recorded"
smoothed = [s for s in sites if s["alpha"] is not None]
assert smoothed, "auto smoothed nothing"
for s in sites:
    assert s["alpha"] is None or 0 < s["alpha"] < 1, s
    assert s["error"] <= s["error_unsmoothed"], s
    assert (s["alpha"] is None) == (s["folded_into"] == ""), s
print(f"{len(smoothed)} of {len(sites)} linear-layer groups smoothed")
PY
  "$net_run" --model "$out/gpt.qgraph.json" --input_list "$data/gpt_eval/input_list.txt" --output_dir "$out/int8" \
    2>"$out/int8.log"
  every_node_in_int8 "$out/int8.log"
  limit=$("$python" -c "print($fp32 * 1.03)")
  echo "fp32 perplexity $fp32; int8 must stay at or below $limit"
  "$python" "$repo/scripts/perplexity.py" "$out/int8" "$data/gpt_eval" --max "$limit"
  ;;
vit_w8a8)
  for opset in 17 13; do
    "$converter" --input_network "$repo/calib/vit_fashion/vit_opset$opset.onnx" \
      --input_list "$data/fashion_calib/input_list.txt" --act_quantizer_calibration percentile --use_per_row_quantization \
      -o "$out/vit$opset.qgraph.json" -q
  done
  cmp "$out/vit17.bin" "$out/vit13.bin"
  "$net_run" --model "$repo/calib/vit_fashion/vit_opset17.onnx" --input_list "$data/fashion_test/input_list.txt" \
    --output_dir "$out/fp32" -q
  "$net_run" --model "$out/vit17.qgraph.json" --input_list "$data/fashion_test/input_list.txt" --output_dir "$out/int8" \
    2>"$out/int8.log"
  every_node_in_int8 "$out/int8.log"
  fp32=$("$python" "$repo/scripts/accuracy.py" "$out/fp32" "$data/fashion_test/labels.txt" | sed -n 's/^top1 = \([0-9.]*\)%.*/\1/p')
  limit=$("$python" -c "print(round($fp32 - 0.5, 2))")
  echo "fp32 top-1 $fp32 %; int8 must reach $limit %"
  "$python" "$repo/scripts/accuracy.py" "$out/int8" "$data/fashion_test/labels.txt" --min "$limit"
  ;;
qdq_onnxruntime)
  ort_modules=${QFORGE_ORT_DIR:-$HOME/.cache/qforge/ort}/node_modules
  if ! command -v node >/dev/null || [[ ! -d $ort_modules/onnxruntime-node ]]; then
    echo "onnxruntime-node is not installed (scripts/ort_install.sh installs it): skipped"
    exit 77
  fi
  export NODE_PATH=$ort_modules
  export QFORGE_BUILD_DIR=$(dirname "$(dirname "$net_run")")  # ort_layers.sh finds the tools there
  "$converter" --input_network "$repo/calib/vit_fashion/vit_opset17.onnx" --input_list "$data/fashion_calib/input_list.txt" \
    --act_quantizer_calibration mse --use_per_row_quantization -o "$out/vit.qgraph.json" --export_qdq "$out/vit.qdq.onnx" -q
  "$python" - "$out/vit.qdq.onnx" <<'PY'
import sys
import onnx
m = onnx.load(sys.argv[1])
opsets = {o.domain: o.version for o in m.opset_import}
# Gelu exists from opset 20 (LayerNormalization from 17), and opset 20 came with IR version 9.
assert opsets == {"": 20} and m.ir_version == 9, (opsets, m.ir_version)
producer = {o: n for n in m.graph.node for o in n.output}
readers = {}
for n in m.graph.node:
    for i in n.input:
        readers.setdefault(i, []).append(n)
ops = {"LayerNormalization", "Gelu", "Softmax", "MatMul", "Add", "Div"}
seen = set()
for n in m.graph.node:
    if n.op_type not in ops:
        continue
    seen.add(n.op_type)
    data = n.input[:1] if n.op_type == "LayerNormalization" else n.input  # Scale and B stay float
    last = n
    if n.op_type == "MatMul" and [r.op_type for r in readers[n.output[0]]] == ["Add"]:
        # A Linear layer's bias (one MatMul in qforge) is an Add of its int32 codes' DequantizeLinear.
        last = readers[n.output[0]][0]
        bias = [i for i in last.input if i != n.output[0]]
        assert len(bias) == 1 and producer[bias[0]].op_type == "DequantizeLinear", last.name
    elif n.op_type == "Add" and producer.get(n.input[0]) is not None and producer[n.input[0]].op_type == "MatMul":
        continue
    if n.op_type == "Softmax" and producer[n.input[0]].op_type == "Where":
        # A masked Softmax (one op in qforge) reads Where(mask, -inf, scores): scores through a
        # DequantizeLinear, the mask and the -inf fill as they are, with no grid between.
        where = producer[n.input[0]]
        data = [where.input[2]]
        assert all(i not in producer or producer[i].op_type != "DequantizeLinear" for i in where.input[:2]), where.name
    for i in data:
        assert producer.get(i) is not None and producer[i].op_type == "DequantizeLinear", (n.name, i)
    assert [r.op_type for r in readers[last.output[0]]] == ["QuantizeLinear"], last.name
assert seen == ops, seen
print("vit export: opset 20, every", ", ".join(sorted(ops)), "between DequantizeLinear and QuantizeLinear")
PY
  "$net_run" --model "$out/vit.qgraph.json" --input_list "$data/fashion_test/input_list.txt" --output_dir "$out/vit_int8" -q
  node "$repo/scripts/ort_net_run.js" "$out/vit.qdq.onnx" "$data/fashion_test/input_list.txt" "$out/vit_ort"
  top1() { "$python" "$repo/scripts/accuracy.py" "$1" "$data/fashion_test/labels.txt" | sed -n 's/^top1 = \([0-9.]*\)%.*/\1/p'; }
  qforge=$(top1 "$out/vit_int8") ort=$(top1 "$out/vit_ort")
  echo "ViT top-1: qforge int8 $qforge %, onnxruntime on the export $ort %"
  "$python" -c "import sys; sys.exit(abs($qforge - $ort) > 1)" || { echo "more than 1 point apart" >&2; exit 1; }
  head -n 20 "$data/fashion_test/input_list.txt" | sed "s|:=|:=$data/fashion_test/|" >"$out/vit_20.txt"
  bash "$repo/scripts/ort_layers.sh" "$out/vit.qgraph.json" "$out/vit.qdq.onnx" "$out/vit_20.txt" "$out/vit_layers" \
    >"$out/vit_layers.md"
  "$python" - "$out/vit_layers/diff.json" "$out/vit.qgraph.json" <<'PY'
import json, sys
layers = [t for t in json.load(open(sys.argv[1]))["tensors"] if t.get("index") is not None]
qgraph = json.load(open(sys.argv[2]))
encoded = {t["name"] for t in qgraph["tensors"] if t.get("encoding")}
# Every node's encoded output is compared, none left out of the report.
assert len(layers) == sum(n["outputs"][0] in encoded for n in qgraph["nodes"]), len(layers)
lsb = {t["name"]: t["encoding"]["max_error_lsb"] for t in layers if t.get("encoding")}
assert len(lsb) == len(layers), "a layer without its encoding in the report"
worst = max(lsb, key=lsb.get)
# max_error_lsb is |difference| / scale in float: a one-code difference reads 1.0000007.
print(f"ViT, 20 images: {len(lsb)} layers, the largest difference {lsb[worst]:.3f} LSB ({worst})")
bad = {k: v for k, v in lsb.items() if round(v) > 2}
assert not bad, f"layers more than 2 LSB from onnxruntime: {bad}"
PY
  "$converter" --input_network "$repo/calib/chargpt/chargpt_opset17.onnx" --input_list "$data/gpt_calib/input_list.txt" \
    --act_quantizer_calibration mse --use_per_row_quantization -o "$out/gpt.qgraph.json" --export_qdq "$out/gpt.qdq.onnx" -q
  "$python" - "$out/gpt.qdq.onnx" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
producer = {o: n for n in m.graph.node for o in n.output}
inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
wheres = [n for n in m.graph.node if n.op_type == "Where"]
assert wheres, "no attention mask"
for n in wheres:
    # The mask's -inf is a float initializer read as it is: no grid holds an infinity.
    fill = inits.get(n.input[1])
    assert fill is not None and fill.dtype == np.float32 and np.isneginf(fill).all(), n.name
(gather,) = [n for n in m.graph.node if n.op_type == "Gather"]
assert producer[gather.input[0]].op_type == "DequantizeLinear", "the embedding table is not read through its codes"
print(f"chargpt export: {len(wheres)} masks with a float -inf, the embedding Gather on a DequantizeLinear")
PY
  head -n 8 "$data/gpt_eval/input_list.txt" | sed "s|:=|:=$data/gpt_eval/|" >"$out/gpt_8.txt"
  "$net_run" --model "$out/gpt.qgraph.json" --input_list "$out/gpt_8.txt" --output_dir "$out/gpt_int8" -q
  node "$repo/scripts/ort_net_run.js" "$out/gpt.qdq.onnx" "$out/gpt_8.txt" "$out/gpt_ort"
  "$python" - "$data/gpt_eval/targets.npy" "$out/gpt_targets.npy" <<'PY'
import sys
import numpy as np
np.save(sys.argv[2], np.load(sys.argv[1])[:8])
PY
  ppl() { "$python" "$repo/scripts/perplexity.py" "$1" "$out/gpt_targets.npy" | sed -n 's/^perplexity = \([0-9.]*\).*/\1/p'; }
  qforge=$(ppl "$out/gpt_int8") ort=$(ppl "$out/gpt_ort")
  echo "chargpt perplexity, 8 windows: qforge int8 $qforge, onnxruntime on the export $ort"
  # The two differ where a Softmax magnifies a one-code rounding difference upstream (docs/design.md);
  # a mask, embedding or opset form that onnxruntime ran differently would cost far more than 1 %.
  "$python" -c "import sys; sys.exit(abs($ort / $qforge - 1) > 0.01)" || { echo "more than 1 % apart" >&2; exit 1; }
  ;;
*)
  echo "transformer_flows.sh: unknown flow '$flow'" >&2
  exit 2
  ;;
esac
