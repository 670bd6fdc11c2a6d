#!/usr/bin/env bash
# The converter names the tensors whose calibrated range clips more than 25 % of their
# calibration values: entropy on ppocr_cls (20 resized CIFAR images) cuts its squeeze-excite gates
# (HardSigmoid outputs); mse on the same data warns about nothing.
#
# real_clip_warning_test.sh CONVERTER WORK_DIR
# Exits 77 (ctest SKIP_RETURN_CODE) when the shared folder is absent.
set -euo pipefail

converter=$1 work=$2 dataset=ppocr
# shellcheck source=real_models.sh
source "$(dirname "$0")/real_models.sh"

rm -rf -- "$work"
mkdir -p "$work"
"$python" "$repo/scripts/prepare_images.py" --dataset ppocr --count 20 --out "$work/data" >/dev/null
for method in entropy mse; do
  "$converter" --input_network "$shared/models/$model" "${dims[@]}" --input_list "$work/data/input_list.txt" \
    --act_quantizer_calibration "$method" --use_per_channel_quantization --output_path "$work/$method/model.qgraph.json" \
    --log_level warn 2>"$work/$method.log"
  cat "$work/$method.log"
done
grep -E "clip more than 25 % of the calibration values of [0-9]+ tensor\(s\): hardsigmoid_[0-9]+\.tmp_0 \((9[0-9]|100)\.[0-9] %\)" \
  "$work/entropy.log"
if grep -q "clip more than" "$work/mse.log"; then
  echo "FAIL: mse warned about clipping" >&2
  exit 1
fi
rm -rf -- "$work"
echo PASS
