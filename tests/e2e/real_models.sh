# Sourced by the real-model test scripts: where ../shared/models is and how each data set's model
# is run. Sets `repo`, `shared`, `python`, `model` (path under shared/models) and `dims` (the
# --input_dim flags) for $dataset, or exits 77 (ctest SKIP_RETURN_CODE) when the model is absent.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${QFORGE_SHARED_DIR:-$repo/../shared}
python=${QFORGE_PYTHON:-/usr/bin/python3}

case $dataset in
  mnist) model=mnist/mnist.onnx; dims=() ;;
  cifar10) model=cifar10/ImageClassifier.onnx; dims=(--input_dim modelInput "1,3,32,32") ;;
  ppocr | ppocr-text) model=ppocr_cls/ch_ppocr_mobile_v2.0_cls_infer.onnx; dims=(--input_dim x "1,3,48,192") ;;
  *) echo "unknown data set $dataset" >&2; exit 2 ;;
esac
if [[ ! -f $shared/models/$model ]]; then
  echo "SKIP: $shared/models/$model is absent (set QFORGE_SHARED_DIR)"
  exit 77
fi
