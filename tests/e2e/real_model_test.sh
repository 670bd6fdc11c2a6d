#!/usr/bin/env bash
# One real-model test: prepare a data set from shared/models, run qforge-net-run over it, check.
#
# real_model_test.sh NET_RUN WORK_DIR DATASET BACKEND COUNT [MIN_TOP1]
#   DATASET mnist | cifar10: top-1 must be at least MIN_TOP1 percent (scripts/accuracy.py --min)
#   DATASET ppocr: every result must hold a 2-class softmax (no labels)
# Exits 77 (ctest SKIP_RETURN_CODE) when the shared folder is absent: $QFORGE_SHARED_DIR, or
# <repo>/../shared.
set -euo pipefail

net_run=$1 work=$2 dataset=$3 backend=$4 count=$5 min=${6:-}
# shellcheck source=real_models.sh
source "$(dirname "$0")/real_models.sh"

rm -rf -- "$work"
mkdir -p "$work"
"$python" "$repo/scripts/prepare_images.py" --dataset "$dataset" --count "$count" --out "$work/data"

cmd=("$net_run" --model "$shared/models/$model" --input_list "$work/data/input_list.txt"
     --output_dir "$work/output" --backend "$backend" "${dims[@]}")
printf '$'; printf ' %q' "${cmd[@]}"; printf '\n'
start=$SECONDS
"${cmd[@]}"
echo "qforge-net-run: $count inferences in $((SECONDS - start)) s"

if [[ $dataset == ppocr ]]; then
  "$python" "$repo/tests/e2e/check_outputs.py" results "$work/output" "$count" softmax_0.tmp_0 8 --softmax
else
  "$python" "$repo/scripts/accuracy.py" "$work/output" "$work/data/labels.txt" ${min:+--min "$min"}
fi
# The outputs of 10 000 inferences are not worth keeping.
rm -rf -- "$work"
