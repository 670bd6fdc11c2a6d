#!/usr/bin/env bash
# One real-model int8 test: convert a model of shared/models (calibrated on the first CALIB images
# of its data set), run it in int8 over COUNT images, check the accuracy (or, for ppocr, the top-1
# agreement with fp32 through qforge-diff's gate).
#
# real_int8_test.sh CONVERTER NET_RUN DIFF WORK_DIR DATASET COUNT CALIB MIN
#   DATASET mnist | cifar10: int8 top-1 must be at least MIN percent
#   DATASET ppocr: int8 top-1 agreement with the fp32 run must be at least MIN (a fraction)
#   DATASET ppocr-text: the same on COUNT rendered text lines (scripts/render_text_lines.py),
#     calibrated on CALIB other lines, with percentile: over 5 000 lines in three sets (seeds 1 and 3)
#     it agreed with fp32 on 99.5 %, sqnr 99.4, mse 99.4, min-max 99.2, moving-average 99.0
# Exits 77 (ctest SKIP_RETURN_CODE) when the shared folder is absent.
set -euo pipefail

converter=$1 net_run=$2 diff=$3 work=$4 dataset=$5 count=$6 calib=$7 min=$8
# shellcheck source=real_models.sh
source "$(dirname "$0")/real_models.sh"

rm -rf -- "$work"
mkdir -p "$work"
run() {
  printf '$'; printf ' %q' "$@"; printf '\n'
  "$@"
}
case $dataset in
  ppocr) method=mse ;;  # entropy clips its squeeze-excite branches (docs/benchmarks.md)
  ppocr-text) method=percentile ;;
  *) method=entropy ;;
esac
calibration_list=$work/data/input_list.txt
if [[ $dataset == ppocr-text ]]; then
  run "$python" "$repo/scripts/render_text_lines.py" --seed 1 --count "$count" --out "$work/data" >/dev/null
  run "$python" "$repo/scripts/render_text_lines.py" --seed 2 --count "$calib" --out "$work/calibration" >/dev/null
  calibration_list=$work/calibration/input_list.txt
else
  run "$python" "$repo/scripts/prepare_images.py" --dataset "$dataset" --count "$count" --out "$work/data" >/dev/null
fi
run "$converter" --input_network "$shared/models/$model" "${dims[@]}" --input_list "$calibration_list" \
  --max_calibration_samples "$calib" --act_quantizer_calibration "$method" --use_per_channel_quantization \
  --output_path "$work/model.qgraph.json" --log_level warn
start=$SECONDS
run "$net_run" --model "$work/model.qgraph.json" --input_list "$work/data/input_list.txt" --output_dir "$work/int8" \
  --log_level warn
echo "qforge-net-run int8: $count inferences in $((SECONDS - start)) s"
if [[ $dataset == ppocr || $dataset == ppocr-text ]]; then
  run "$net_run" --model "$shared/models/$model" "${dims[@]}" --input_list "$work/data/input_list.txt" \
    --output_dir "$work/fp32" --log_level warn
  run "$diff" --golden "$work/fp32" --candidate "$work/int8" --fail_below "top1_agreement=$min"
else
  run "$python" "$repo/scripts/accuracy.py" "$work/int8" "$work/data/labels.txt" --min "$min"
  # qforge-diff with the labels states the same fp32 and int8 accuracies as accuracy.py.
  run "$net_run" --model "$shared/models/$model" "${dims[@]}" --input_list "$work/data/input_list.txt" \
    --output_dir "$work/fp32" --log_level warn
  share() { "$python" "$repo/scripts/accuracy.py" "$1" "$work/data/labels.txt" | sed -E 's/.*\(([0-9]+)\/([0-9]+)\)/\1 \2/' |
    awk '{ printf "%.17g", $1 / $2 }'; }
  run "$diff" --golden "$work/fp32" --candidate "$work/int8" --labels "$work/data/labels.txt" --json "$work/diff.json" --no_text_report
  run "$python" -B "$repo/tests/e2e/check_diff_report.py" "$work/diff.json" \
    --schema "$repo/schemas/diff_report.schema.json" \
    --expect_accuracy "golden_top1=$(share "$work/fp32"),candidate_top1=$(share "$work/int8")"
fi
rm -rf -- "$work"
