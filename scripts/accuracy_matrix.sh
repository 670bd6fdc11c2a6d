#!/usr/bin/env bash
# A measurement, not a test: int8 top-1 of the real models of ../shared/models for every
# calibration method, per-tensor and per-channel weights, two ways: qforge-net-run on the
# quantized graph, and onnxruntime-node 1.30 on its --export_qdq model (an independent runtime).
# Calibration uses the first 200 images of each data set; accuracy is over all of them (mnist
# 10 000, cifar10 2 000); ppocr_cls has no labels and reports its top-1 agreement with fp32 over
# 500 resized CIFAR images; ppocr-text is ppocr_cls on 2 000 rendered lines of real text
# (scripts/render_text_lines.py, half turned 180 degrees), calibrated on 200 other lines, and gives
# top-1 against the labels with the agreement with fp32 in brackets. The last rows of each model
# add --algorithms (adaround, bc) to mse. Prints a markdown table. Installs onnxruntime-node
# (scripts/ort_install.sh) the first time.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}
shared=${QFORGE_SHARED_DIR:-$repo/../shared}
python=/usr/bin/python3
tools=$build_dir/tools
work=$build_dir/accuracy_matrix
methods=(min-max moving-average mse entropy percentile sqnr)
calibration=200

"$repo/scripts/setup.sh" >&2
NODE_PATH=$("$repo/scripts/ort_install.sh")
export NODE_PATH
mkdir -p "$work"
declare -A model=([mnist]=mnist/mnist.onnx [cifar10]=cifar10/ImageClassifier.onnx
                  [ppocr]=ppocr_cls/ch_ppocr_mobile_v2.0_cls_infer.onnx
                  [ppocr-text]=ppocr_cls/ch_ppocr_mobile_v2.0_cls_infer.onnx)
declare -A dims=([mnist]="" [cifar10]="--input_dim modelInput 1,3,32,32" [ppocr]="--input_dim x 1,3,48,192"
                 [ppocr-text]="--input_dim x 1,3,48,192")
declare -A count=([mnist]=10000 [cifar10]=2000 [ppocr]=500 [ppocr-text]=2000)

top1() { "$python" "$repo/scripts/accuracy.py" "$1" "$2" | sed -E 's/top1 = ([0-9.]+)%.*/\1/'; }
agreement() {
  "$tools/qforge-diff" --golden "$1" --candidate "$2" --json "$3" --no_text_report
  "$python" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("%.2f" % (100 * [t for t in r["tensors"] if t.get("top_k")][0]["top_k"]["top1_agreement"]))' "$3"
}

# One cell: convert with METHOD and GRANULARITY (and --algorithms ALGORITHMS unless empty), run the
# int8 graph and the QDQ export, and add the table row.
rows=()
cell() {
  local name=$1 method=$2 granularity=$3 algorithms=$4
  local label=$method${algorithms:+ + $algorithms}
  local out=$work/$name/$method-$granularity${algorithms:+-${algorithms//,/-}}
  # A cell measured before (the whole table takes a while) is kept.
  if [[ -f $out/cell.md ]]; then
    rows+=("$(cat "$out/cell.md")")
    return
  fi
  local flags=()
  [[ $granularity == per-channel ]] && flags+=(--use_per_channel_quantization)
  [[ -n $algorithms ]] && flags+=(--algorithms "$algorithms")
  echo "accuracy_matrix.sh: $name $label $granularity" >&2
  # shellcheck disable=SC2086
  "$tools/qforge-onnx-converter" --input_network "$shared/models/${model[$name]}" ${dims[$name]} \
    --input_list "$calibration_list" --max_calibration_samples "$calibration" \
    --act_quantizer_calibration "$method" "${flags[@]}" --output_path "$out/model.qgraph.json" \
    --export_qdq "$out/model_qdq.onnx" --log_level warn
  "$tools/qforge-net-run" --model "$out/model.qgraph.json" --input_list "$data/input_list.txt" \
    --output_dir "$out/int8" --log_level warn
  node "$repo/scripts/ort_net_run.js" "$out/model_qdq.onnx" "$data/input_list.txt" "$out/ort"
  local q o
  if [[ $name == ppocr ]]; then
    q=$(agreement "$work/$name/fp32" "$out/int8" "$out/diff_int8.json")
    o=$(agreement "$work/$name/fp32" "$out/ort" "$out/diff_ort.json")
  elif [[ $name == ppocr-text ]]; then
    q="$(top1 "$out/int8" "$data/labels.txt") ($(agreement "$work/$name/fp32" "$out/int8" "$out/diff_int8.json"))"
    o="$(top1 "$out/ort" "$data/labels.txt") ($(agreement "$work/$name/fp32" "$out/ort" "$out/diff_ort.json"))"
  else
    q=$(top1 "$out/int8" "$data/labels.txt")
    o=$(top1 "$out/ort" "$data/labels.txt")
  fi
  rows+=("| $name | $label | $granularity | $fp32 | $q | $o |")
  echo "${rows[-1]}" >"$out/cell.md"
  rm -rf -- "$out/int8" "$out/ort"
}

for name in mnist cifar10 ppocr ppocr-text; do
  data=$work/$name/data
  calibration_list=$data/input_list.txt
  if [[ $name == ppocr-text ]]; then
    calibration_list=$work/$name/calibration/input_list.txt
    [[ -f $calibration_list ]] || "$python" "$repo/scripts/render_text_lines.py" --seed 2 --count "$calibration" \
      --out "$work/$name/calibration" >/dev/null
    [[ -f $data/input_list.txt ]] || "$python" "$repo/scripts/render_text_lines.py" --seed 1 \
      --count "${count[$name]}" --out "$data" >/dev/null
  elif [[ ! -f $data/input_list.txt ]]; then
    "$python" "$repo/scripts/prepare_images.py" --dataset "$name" --count "${count[$name]}" --out "$data" >/dev/null
  fi
  # shellcheck disable=SC2086
  "$tools/qforge-net-run" --model "$shared/models/${model[$name]}" ${dims[$name]} --input_list "$data/input_list.txt" \
    --output_dir "$work/$name/fp32" --log_level warn
  if [[ $name == ppocr ]]; then fp32="agreement"; else fp32=$(top1 "$work/$name/fp32" "$data/labels.txt"); fi
  for method in "${methods[@]}"; do
    for granularity in per-tensor per-channel; do
      cell "$name" "$method" "$granularity" ""
    done
  done
  # The weight algorithms on the calibration that does best without them.
  for granularity in per-tensor per-channel; do
    for algorithms in adaround bc adaround,bc; do
      cell "$name" mse "$granularity" "$algorithms"
    done
  done
done

echo
echo "int8 top-1 (%) by calibration method; ppocr: top-1 agreement with fp32 (%)"
echo
echo "| model | method | weights | fp32 | qforge int8 | onnxruntime on --export_qdq |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
