#!/usr/bin/env bash
# fp32 latency of qforge-net-run against onnxruntime-node 1.30 on the torchvision resnet18 and
# mobilenet_v2 architectures (random weights), batch 1, 1 and 2 threads, in the same run.
# A benchmark, not a test: it installs big things (python3-torch, python3-torchvision: ~700 MB;
# onnxruntime-node: ~300 MB into ~/.cache/qforge/ort) and prints a markdown table.
#
# Environment: QFORGE_BENCH_ITERS (timed runs per case, default 30), QFORGE_BENCH_THREADS
# (default "1 2"), QFORGE_ORT_DIR (default ~/.cache/qforge/ort), QFORGE_BUILD_DIR.
# qforge's number is the --perf_report median over WARMUP + ITERS inferences (the few cold ones
# do not move a median of >= 23); ORT's is the median of ITERS session.run() calls after WARMUP
# untimed ones. Both run with OMP_NUM_THREADS set to the thread count.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${QFORGE_BUILD_DIR:-$repo/build}
python=/usr/bin/python3
iters=${QFORGE_BENCH_ITERS:-30}
warmup=3
read -r -a thread_counts <<<"${QFORGE_BENCH_THREADS:-1 2}"
ort_dir=${QFORGE_ORT_DIR:-$HOME/.cache/qforge/ort}
ort_version=1.30.0
models=(resnet18 mobilenet_v2)
dims=1,3,224,224

if ((iters < 20)); then
  echo "bench.sh: QFORGE_BENCH_ITERS=$iters; use at least 20" >&2
  exit 2
fi

"$repo/scripts/setup.sh" >&2
"$repo/scripts/apt_install.sh" python3-torch python3-torchvision >&2
command -v npm >/dev/null || "$repo/scripts/apt_install.sh" nodejs npm >&2

# onnxruntime-node: its install script would fetch CUDA libraries (no network for that);
# the CPU provider is in the package itself, so --ignore-scripts is enough.
if [[ $(cat "$ort_dir/node_modules/onnxruntime-node/package.json" 2>/dev/null) != *"\"version\": \"$ort_version\""* ]]; then
  echo "bench.sh: installing onnxruntime-node@$ort_version into $ort_dir" >&2
  mkdir -p "$ort_dir"
  [[ -f $ort_dir/package.json ]] || (cd "$ort_dir" && npm init -y >/dev/null)
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >&2)
fi
export NODE_PATH=$ort_dir/node_modules

bench=$build_dir/bench
if [[ ! -f $bench/input_list.txt || $repo/scripts/bench_export.py -nt $bench/input_list.txt ]]; then
  echo "bench.sh: exporting ${models[*]} -> $bench" >&2
  "$python" "$repo/scripts/bench_export.py" "$bench" >&2
fi

# value KEY FILE: a number from a JSON report ("latency_ms.median" style keys).
value() {
  "$python" -c 'import json, sys
v = json.load(open(sys.argv[2]))
for k in sys.argv[1].split("."): v = v[k]
print(f"{v:.3f}")' "$1" "$2"
}

rows=()
for model in "${models[@]}"; do
  for threads in "${thread_counts[@]}"; do
    export OMP_NUM_THREADS=$threads
    run=$bench/run_${model}_t$threads
    rm -rf -- "$run"
    mkdir -p "$run"
    echo "bench.sh: $model, $threads thread(s)" >&2
    "$build_dir/tools/qforge-net-run" --model "$bench/$model.onnx" --input_list "$bench/input_list.txt" \
      --output_dir "$run/qforge" --threads "$threads" --num_inferences "$((warmup + iters))" \
      --keep_num_outputs 1 --perf_report "$run/qforge_perf.json" --log_level warn
    node "$repo/scripts/ort_bench.js" "$bench/$model.onnx" "$bench/input.raw" "$dims" "$threads" \
      "$iters" "$warmup" "$run/ort_output.raw" >"$run/ort.json"
    q=$(value latency_ms.median "$run/qforge_perf.json")
    o=$(value median_ms "$run/ort.json")
    diff=$("$python" -c 'import numpy as np, sys
a, b = (np.fromfile(f, "<f4") for f in sys.argv[1:])
print(f"{np.max(np.abs(a - b)):.2g}" if a.size == b.size else "size differs")' \
      "$run/qforge/Result_0/output.raw" "$run/ort_output.raw")
    rows+=("| $model | $threads | $q | $o | $(awk -v q="$q" -v o="$o" 'BEGIN { printf "%.2f", q / o }') | $diff |")
  done
done

echo
echo "fp32, batch 1, median of $iters runs; ratio = qforge / ORT (lower is better for qforge)"
echo
echo "| model | threads | qforge ms | ort ms | ratio | max abs diff |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
