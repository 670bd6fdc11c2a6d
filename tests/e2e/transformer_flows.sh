#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The trained transformer examples (calib/chargpt, calib/vit_fashion) through the tools, as a user
# runs them: convert, run fp32 and int8, score. Usage:
#   transformer_flows.sh FLOW CONVERTER NET_RUN PYTHON REPO DATA OUT
# Flows:
#   chargpt_smooth_quant  --smooth_quant auto, per-row: the qgraph records alpha per linear-layer
#                         group, and the int8 perplexity stays within 3 % of fp32's
#   vit_w8a8              percentile, per-row: int8 top-1 within 0.5 points of fp32 on 1000 test images,
#                         and the opset-13 export (LayerNorm decomposed) gives the same blob
set -euo pipefail
flow=$1 converter=$2 net_run=$3 python=$4 repo=$5 data=$6 out=$7
rm -rf "$out" && mkdir -p "$out"

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
  "$net_run" --model "$out/gpt.qgraph.json" --input_list "$data/gpt_eval/input_list.txt" --output_dir "$out/int8" -q
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
  "$net_run" --model "$out/vit17.qgraph.json" --input_list "$data/fashion_test/input_list.txt" --output_dir "$out/int8" -q
  fp32=$("$python" "$repo/scripts/accuracy.py" "$out/fp32" "$data/fashion_test/labels.txt" | sed -n 's/^top1 = \([0-9.]*\)%.*/\1/p')
  limit=$("$python" -c "print(round($fp32 - 0.5, 2))")
  echo "fp32 top-1 $fp32 %; int8 must reach $limit %"
  "$python" "$repo/scripts/accuracy.py" "$out/int8" "$data/fashion_test/labels.txt" --min "$limit"
  ;;
*)
  echo "transformer_flows.sh: unknown flow '$flow'" >&2
  exit 2
  ;;
esac
