#!/usr/bin/env bash
# Benchmarks, not tests: qforge against onnxruntime-node 1.30 in the same run, batch 1, 1 and 2
# threads, median of ITERS runs (median of ROUNDS such medians). Prints three markdown tables:
#   1. fp32 latency: qforge-net-run vs onnxruntime, resnet18 / mobilenet_v2 / chain20
#      (20 x conv3x3 64->64 + ReLU at 56x56); random weights (the timings do not care); and, when
#      ../shared/models is there, ppocr_cls (a MobileNetV3: HardSwish, squeeze-excite) on a resized
#      CIFAR image, calibrated on 20 others
#   2. int8 latency: qforge's int8 graph vs onnxruntime running the QDQ export of the same
#      architecture (converted without fuse_residual_add, whose Conv+Add onnxruntime cannot
#      fuse), plus qforge fp32 / int8 and net-run's peak RSS against the blob size
#   3. conversion time of resnet18 with 200 calibration inputs per method, against 200 fp32
#      inferences of qforge-net-run
# It installs big things (python3-torch, python3-torchvision: ~700 MB; onnxruntime-node:
# ~300 MB into ~/.cache/qforge/ort).
#
# Environment: QFORGE_BENCH_ITERS (timed runs per case, default 30), QFORGE_BENCH_ROUNDS (times
# each latency is measured, in turns with the others of its model; default 3), QFORGE_BENCH_THREADS
# (default "1 2"), QFORGE_ORT_DIR (default ~/.cache/qforge/ort), QFORGE_BUILD_DIR.
# qforge's number is the --perf_report median over WARMUP + ITERS inferences (the few cold ones
# do not move a median of >= 23); ORT's is the median of ITERS session.run() calls after WARMUP
# untimed ones. Both run with OMP_NUM_THREADS set to the thread count.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}
python=/usr/bin/python3
iters=${QFORGE_BENCH_ITERS:-30}
rounds=${QFORGE_BENCH_ROUNDS:-3}
warmup=3
read -r -a thread_counts <<<"${QFORGE_BENCH_THREADS:-1 2}"
models=(resnet18 mobilenet_v2 chain20)
shared=${QFORGE_SHARED_DIR:-$repo/../shared}
ppocr=$shared/models/ppocr_cls/ch_ppocr_mobile_v2.0_cls_infer.onnx
[[ -f $ppocr ]] && models+=(ppocr_cls)
int8_calibration=20       # inputs the int8 latency conversions calibrate on
conversion_inputs=200     # inputs the conversion-time table calibrates on
tools=$build_dir/tools

if ((rounds < 1)); then
  echo "bench.sh: QFORGE_BENCH_ROUNDS=$rounds; use at least 1" >&2
  exit 2
fi
if ((iters < 20)); then
  echo "bench.sh: QFORGE_BENCH_ITERS=$iters; use at least 20" >&2
  exit 2
fi

"$repo/scripts/setup.sh" >&2
"$repo/scripts/apt_install.sh" python3-torch python3-torchvision >&2
NODE_PATH=$("$repo/scripts/ort_install.sh")
export NODE_PATH

bench=$build_dir/bench
if [[ ! -f $bench/chain20_list.txt || $repo/scripts/bench_export.py -nt $bench/chain20_list.txt ]]; then
  echo "bench.sh: exporting resnet18 mobilenet_v2 chain20 -> $bench" >&2
  "$python" "$repo/scripts/bench_export.py" "$bench" >&2
fi
if [[ -f $ppocr && ! -f $bench/ppocr_cls_list.txt ]]; then
  # Image 0 is timed, images 1-20 calibrate (the same layout as bench_export.py's).
  "$python" "$repo/scripts/prepare_images.py" --dataset ppocr --count 21 --out "$bench/ppocr_cls_data" >/dev/null
  cp "$ppocr" "$bench/ppocr_cls.onnx"
  cp "$bench/ppocr_cls_data/raw/00000.raw" "$bench/ppocr_cls_input.raw"
  mkdir -p "$bench/ppocr_cls_calib"
  sed 1d "$bench/ppocr_cls_data/input_list.txt" | sed "s|:=|:=$bench/ppocr_cls_data/|" >"$bench/ppocr_cls_calib/input_list.txt"
  echo "x:=ppocr_cls_input.raw" >"$bench/ppocr_cls_list.txt"
fi

# value KEY FILE: a number from a JSON report ("latency_ms.median" style keys).
value() {
  "$python" -c 'import json, sys
v = json.load(open(sys.argv[2]))
for k in sys.argv[1].split("."): v = v[k]
print(f"{v:.3f}")' "$1" "$2"
}
# median V...: the middle value (the mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# round_ratio A_ROUNDS B_ROUNDS: the median over rounds of A / B, each round's pair measured
# side by side (names of two arrays of equal length).
round_ratio() {
  local -n a_rounds=$1 b_rounds=$2
  local ratios=() i
  for i in "${!a_rounds[@]}"; do ratios+=("$(awk -v a="${a_rounds[i]}" -v b="${b_rounds[i]}" 'BEGIN { printf "%.6f", a / b }')"); done
  awk -v r="$(median "${ratios[@]}")" 'BEGIN { printf "%.2f", r }'
}
dims_of() {
  case $1 in
    chain20) echo 1,64,56,56 ;;
    ppocr_cls) echo 1,3,48,192 ;;
    *) echo 1,3,224,224 ;;
  esac
}
# The --input_dim flags a model needs (ppocr_cls's batch and width are symbolic).
input_dims_of() {
  if [[ $1 == ppocr_cls ]]; then echo "--input_dim x 1,3,48,192"; fi
}

# qforge_latency MODEL THREADS OUT_DIR LIST NAME: median ms of qforge-net-run on MODEL (.onnx or
# .qgraph.json) of the benchmark model NAME.
qforge_latency() {
  local model=$1 threads=$2 out=$3 list=$4 dims=()
  if [[ $model == *.onnx ]]; then read -r -a dims <<<"$(input_dims_of "$5")"; fi
  "$tools/qforge-net-run" --model "$model" "${dims[@]}" --input_list "$list" --output_dir "$out/run" \
    --threads "$threads" --num_inferences "$((warmup + iters))" --keep_num_outputs 1 --perf_report "$out/perf.json" \
    --log_level warn
  value latency_ms.median "$out/perf.json"
}
ort_latency() {
  local model=$1 name=$2 threads=$3 out=$4
  node "$repo/scripts/ort_bench.js" "$model" "$bench/${name}_input.raw" "$(dims_of "$name")" "$threads" \
    "$iters" "$warmup" "$out/ort_output.raw" >"$out/ort.json"
  value median_ms "$out/ort.json"
}

fp32_rows=() int8_rows=()
for model in "${models[@]}"; do
  onnx=$bench/$model.onnx list=$bench/${model}_list.txt
  work=$bench/int8_$model
  mkdir -p "$work"
  echo "bench.sh: converting $model" >&2
  read -r -a dims <<<"$(input_dims_of "$model")"
  common=(--input_network "$onnx" "${dims[@]}" --input_list "$bench/${model}_calib/input_list.txt"
          --max_calibration_samples "$int8_calibration" --use_per_channel_quantization --log_level warn)
  "$tools/qforge-onnx-converter" "${common[@]}" --output_path "$work/model.qgraph.json"
  "$tools/qforge-onnx-converter" "${common[@]}" --disable_pass fuse_residual_add \
    --output_path "$work/ort/model.qgraph.json" --export_qdq "$work/ort/model_qdq.onnx"
  blob_mb=$(awk -v b="$(stat -c %s "$work/model.bin")" 'BEGIN { printf "%.1f", b / 1048576 }')
  for threads in "${thread_counts[@]}"; do
    export OMP_NUM_THREADS=$threads
    run=$bench/run_${model}_t$threads
    rm -rf -- "$run"
    mkdir -p "$run/fp32" "$run/int8" "$run/ort_fp32" "$run/ort_int8"
    echo "bench.sh: $model, $threads thread(s)" >&2
    rss_kb=$( { /usr/bin/time -f %M "$tools/qforge-net-run" --model "$work/model.qgraph.json" --input_list "$list" \
      --output_dir "$run/int8/rss" --threads "$threads" --log_level warn; } 2>&1 >/dev/null | tail -n 1)
    # The four measurements take turns, ROUNDS times, so that a slow spell of the machine falls on
    # all of them alike rather than on whichever ran during it; each latency cell is the median of
    # its rounds. The two int8 ratios pair measurements taken one after the other (qforge fp32 then
    # int8, int8 then ORT int8) and are the median of the rounds' ratios: this box's speed drifts by
    # up to a third within minutes, more than between two neighbouring runs.
    q32_rounds=() o32_rounds=() q8_rounds=() o8_rounds=()
    for ((round = 0; round < rounds; ++round)); do
      q32_rounds+=("$(qforge_latency "$onnx" "$threads" "$run/fp32" "$list" "$model")")
      q8_rounds+=("$(qforge_latency "$work/model.qgraph.json" "$threads" "$run/int8" "$list" "$model")")
      o8_rounds+=("$(ort_latency "$work/ort/model_qdq.onnx" "$model" "$threads" "$run/ort_int8")")
      o32_rounds+=("$(ort_latency "$onnx" "$model" "$threads" "$run/ort_fp32")")
    done
    q32=$(median "${q32_rounds[@]}") o32=$(median "${o32_rounds[@]}")
    q8=$(median "${q8_rounds[@]}") o8=$(median "${o8_rounds[@]}")
    diff=$("$python" -c 'import numpy as np, sys
a, b = (np.fromfile(f, "<f4") for f in sys.argv[1:])
print(f"{np.max(np.abs(a - b)):.2g}" if a.size == b.size else "size differs")' \
      "$run/fp32/run/Result_0/"*.raw "$run/ort_fp32/ort_output.raw")
    fp32_rows+=("| $model | $threads | $q32 | $o32 | $(ratio "$q32" "$o32") | $diff |")
    int8_rows+=("| $model | $threads | $q8 | $o8 | $(round_ratio q8_rounds o8_rounds) | $q32 | $(round_ratio q32_rounds q8_rounds) | $(awk -v k="$rss_kb" 'BEGIN { printf "%.0f", k / 1024 }') | $blob_mb |")
  done
done

# Conversion time: resnet18, 200 calibration inputs, one thread count (the first).
threads=${thread_counts[0]}
export OMP_NUM_THREADS=$threads
conv=$bench/conversion
rm -rf -- "$conv"
mkdir -p "$conv"
start=$(date +%s.%N)
"$tools/qforge-net-run" --model "$bench/resnet18.onnx" --input_list "$bench/resnet18_calib/input_list.txt" \
  --output_dir "$conv/fp32" --threads "$threads" --keep_num_outputs 0 --log_level warn
fp32_s=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
conversion_rows=()
for method in min-max entropy mse; do
  start=$(date +%s.%N)
  "$tools/qforge-onnx-converter" --input_network "$bench/resnet18.onnx" \
    --input_list "$bench/resnet18_calib/input_list.txt" --act_quantizer_calibration "$method" \
    --use_per_channel_quantization --threads "$threads" --output_path "$conv/$method/model.qgraph.json" --log_level warn
  s=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  conversion_rows+=("| $method | $s | $fp32_s | $(ratio "$s" "$fp32_s") |")
done

echo
echo "fp32, batch 1, median of $iters runs, median of $rounds rounds (ms); ratio = qforge / ORT (target <= 1.2)"
echo
echo "| model | threads | qforge ms | ort ms | ratio | max abs diff |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${fp32_rows[@]}"
echo
echo "int8, batch 1, median of $iters runs, median of $rounds rounds (ms): qforge int8 vs ORT int8 on the QDQ export (target <= 0.85),"
echo "qforge fp32 / int8 (target >= 3), both ratios the median of the rounds' ratios; peak RSS of an int8 net-run (target <= 2 x blob + 50 MB)"
echo
echo "| model | threads | qforge int8 | ort int8 | int8 ratio | qforge fp32 | fp32 / int8 | peak RSS MB | blob MB |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${int8_rows[@]}"
echo
echo "conversion of resnet18 with $conversion_inputs calibration inputs, $threads thread(s) (s); ratio to $conversion_inputs fp32"
echo "inferences of qforge-net-run (targets: min-max <= 1.5, entropy and mse <= 2)"
echo
echo "| method | conversion s | 200 fp32 inferences s | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${conversion_rows[@]}"
