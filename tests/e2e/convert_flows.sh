#!/usr/bin/env bash
# Multi-step converter flows for the end-to-end tests (tests/e2e/converter.cmake). Each flow runs
# qforge-onnx-converter several times as a user would and checks how the results relate.
#
# convert_flows.sh FLOW CONVERTER WORK_DIR ARGS...
#   round-trip MODEL LIST             --dump_encoding_json fed back as overrides: same package
#   merge-halves MODEL LIST METHOD    two half-list calibration states merged = one full pass
#   deterministic MODEL LIST          the same conversion twice, 1 and 2 threads: identical files
#   qat FP32 OVERRIDES QDQ            fp32 + AIMET overrides and the QDQ model: the QAT scales
#   damaged-package MODEL LIST NET_RUN
#                                     net-run refuses a qgraph whose blob is corrupted, short or
#                                     missing, or whose version is unknown (exit 3, one line)
#   int8 MODEL LIST NET_RUN LABELS MIN_TOP1
#                                     int8 on both backends: the same codes, top-1 of at least
#                                     MIN_TOP1 %, native output files holding those codes
#   concurrent MODEL LIST NET_RUN     two conversions (different methods) write one path at once,
#                                     four times: one complete package is left, and it runs
#   net-run-deterministic MODEL LIST NET_RUN
#                                     fp32 and int8 outputs are bit-identical across repeated runs
#                                     and thread counts
#   bn-matching MODEL OVERRIDES LIST NET_RUN DIFF
#                                     a model whose BatchNorms fold: qforge-diff pairs every
#                                     surviving tensor of the fp32 --debug run with the int8 one
#                                     and lists each conv / BN output that folding removed as folded
#   planted-encoding MODEL LIST NET_RUN DIFF LAYER
#                                     LAYER's scale x 8 through an override: qforge-diff, with the
#                                     fp32 and int8 --debug runs, reports it as the first divergent
#                                     layer (threshold 30 dB: a x8 scale costs some 18 dB)
#   algorithms MODEL LIST NET_RUN LABELS MIN_TOP1
#                                     --algorithms adaround,bc: codes move off nearest rounding,
#                                     the qgraph records the algorithms, top-1 of at least MIN_TOP1 %
#                                     in int8 and through the QDQ export
#   export-qdq MODEL LIST NET_RUN LABELS MIN_TOP1
#                                     the --export_qdq model re-imported and run in fp32 (its
#                                     Q/DQ nodes simulate int8): top-1 of at least MIN_TOP1 %
#   early-override-check MODEL LIST OVERRIDES
#                                     OVERRIDES names a tensor with a typo: on LIST (100 lines)
#                                     the conversion fails before calibration starts (its log line
#                                     never appears; the time is printed, not asserted: speed is
#                                     for benchmarks), with exit 3, the closest name and no file left
#   output-folder MODEL LIST NET_RUN  --output_path an existing folder, or a new one ending in
#                                     '/': <folder>/<model stem>.qgraph.json and .bin, which run
#   input-layout MODEL LIST NHWC_LIST INPUT NET_RUN
#                                     NHWC_LIST holds LIST's raws of INPUT channels last: with
#                                     --input_layout INPUT NHWC, net-run (fp32 and int8) gives
#                                     exactly LIST's outputs and the converter the same package;
#                                     without the flag the outputs differ (the control)
#   qnn-output-name MODEL LIST NET_RUN
#                                     --output_path out/model.cpp (QNN's converter writes .cpp):
#                                     net-run knows the qgraph by its content and gives the outputs
#                                     of the same file named .qgraph.json
set -euo pipefail

flow=$1 converter=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
python=${QFORGE_PYTHON:-/usr/bin/python3}
check=("$python" "$here/check_convert.py")
rm -rf -- "$work"
mkdir -p "$work"

run() {
  printf '$'; printf ' %q' "$@"; printf '\n'
  "$@"
}

case $flow in
  round-trip)
    model=$1 list=$2
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --act_quantizer_calibration entropy --output_path "$work/a/model.qgraph.json" \
      --dump_encoding_json "$work/a/encodings.json" --log_level warn
    run "${check[@]}" schema "$work/a/encodings.json" "$here/../../schemas/quantization_overrides.schema.json"
    run "$converter" --input_network "$model" --quantization_overrides "$work/a/encodings.json" \
      --use_per_channel_quantization --output_path "$work/b/model.qgraph.json" --log_level warn
    run "${check[@]}" same-package "$work/a/model.qgraph.json" "$work/b/model.qgraph.json"
    ;;
  merge-halves)
    model=$1 list=$2 method=$3
    run "${check[@]}" split-list "$list" "$work/first.txt" "$work/second.txt"
    common=(--input_network "$model" --act_quantizer_calibration "$method" --log_level warn)
    run "$converter" "${common[@]}" --input_list "$list" --output_path "$work/whole/model.qgraph.json"
    run "$converter" "${common[@]}" --input_list "$work/first.txt" --calibration_state_out "$work/first.state.json"
    run "$converter" "${common[@]}" --input_list "$work/second.txt" --calibration_state_out "$work/second.state.json"
    run "$converter" "${common[@]}" --calibration_state_in "$work/first.state.json" \
      --calibration_state_in "$work/second.state.json" --output_path "$work/merged/model.qgraph.json"
    run "${check[@]}" same-package "$work/whole/model.qgraph.json" "$work/merged/model.qgraph.json"
    ;;
  deterministic)
    model=$1 list=$2
    # The same output paths both times (the qgraph records the command line); with and without
    # the weight algorithms, whose layer statistics are summed on several threads.
    for algorithms in none adaround,bc; do
      flags=()
      [[ $algorithms != none ]] && flags=(--algorithms "$algorithms")
      for threads in 1 2; do
        run "$converter" --input_network "$model" --input_list "$list" --act_quantizer_calibration mse \
          --use_per_channel_quantization --threads "$threads" --output_path "$work/out/model.qgraph.json" \
          --export_qdq "$work/out/model_qdq.onnx" --dump_encoding_json "$work/out/encodings.json" \
          "${flags[@]}" --log_level warn
        mv "$work/out" "$work/$algorithms-t$threads"
      done
      run "${check[@]}" identical "$work/$algorithms"-t{1,2}/model.qgraph.json "$work/$algorithms"-t{1,2}/model.bin \
        "$work/$algorithms"-t{1,2}/model_qdq.onnx "$work/$algorithms"-t{1,2}/encodings.json
    done
    ;;
  qat)
    fp32=$1 overrides=$2 qdq=$3
    run "$converter" --input_network "$fp32" --quantization_overrides "$overrides" --use_per_channel_quantization \
      --output_path "$work/fp32/model.qgraph.json" --log_level warn
    run "${check[@]}" matches-overrides "$work/fp32/model.qgraph.json" "$overrides"
    run "$converter" --input_network "$qdq" --output_path "$work/qdq/model.qgraph.json" --log_level warn
    run "${check[@]}" same-encodings "$work/qdq/model.qgraph.json" "$work/fp32/model.qgraph.json"
    ;;
  damaged-package)
    model=$1 list=$2 net_run=$3
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/good/model.qgraph.json" \
      --log_level warn
    expect_refusal() {  # CASE REGEX: net-run on $work/CASE must exit 3 with REGEX in its last line
      local rc=0 err
      "$net_run" --model "$work/$1/model.qgraph.json" --input_list "$list" --output_dir "$work/$1/out" \
        2>"$work/$1.err" || rc=$?
      err=$(grep . "$work/$1.err" | tail -n 1)
      printf '%s: exit %d: %s\n' "$1" "$rc" "$err"
      [[ $rc == 3 && $err =~ $2 ]] || { echo "FAIL: $1 expected exit 3 matching: $2"; exit 1; }
      [[ ! -e $work/$1/out/Result_0 ]] || { echo "FAIL: $1 wrote outputs"; exit 1; }
    }
    for c in corrupt short missing version; do cp -r "$work/good" "$work/$c"; done
    printf '\x5a' | dd of="$work/corrupt/model.bin" bs=1 seek=100 conv=notrunc status=none
    truncate -s -7 "$work/short/model.bin"
    rm "$work/missing/model.bin"
    sed -i -E 's/^( "version": )1(,?)$/\17\2/' "$work/version/model.qgraph.json"
    expect_refusal corrupt 'model\.bin: blob checksum does not match'
    expect_refusal short 'model\.bin: blob has [0-9]+ bytes, the qgraph says'
    expect_refusal missing 'weights blob .*model\.bin. is missing'
    expect_refusal version 'qgraph version 7 is not supported'
    ;;
  int8)
    model=$1 list=$2 net_run=$3 labels=$4 min_top1=$5
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --act_quantizer_calibration entropy --output_path "$work/model.qgraph.json" --log_level warn
    for backend in onednn reference; do
      run "$net_run" --model "$work/model.qgraph.json" --input_list "$list" --output_dir "$work/$backend" \
        --backend "$backend" --perf_report "$work/$backend.json" --log_level warn
      run "$python" "$here/../../scripts/accuracy.py" "$work/$backend" "$labels" --min "$min_top1"
    done
    run "$net_run" --model "$work/model.qgraph.json" --input_list "$list" --output_dir "$work/native" \
      --use_native_output_files --keep_num_outputs 3 --num_inferences 3 --log_level warn
    run "$python" "$here/check_int8_run.py" "$work/model.qgraph.json" "$work/onednn" "$work/reference" \
      "$work/native" "$work/onednn.json"
    ;;
  concurrent)
    model=$1 list=$2 net_run=$3
    for round in 1 2 3 4; do
      pids=()
      for method in min-max mse; do
        "$converter" --input_network "$model" --input_list "$list" --act_quantizer_calibration "$method" \
          --output_path "$work/shared/model.qgraph.json" --log_level warn &
        pids+=($!)
      done
      for pid in "${pids[@]}"; do wait "$pid"; done
      run "$net_run" --model "$work/shared/model.qgraph.json" --input_list "$list" --output_dir "$work/out$round" \
        --num_inferences 2 --log_level warn
      run "${check[@]}" no-partial-files "$work/shared"
    done
    ;;
  net-run-deterministic)
    model=$1 list=$2 net_run=$3
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --act_quantizer_calibration entropy --output_path "$work/model.qgraph.json" --log_level warn
    for m in "$model" "$work/model.qgraph.json"; do
      kind=$([[ $m == *.onnx ]] && echo fp32 || echo int8)
      for threads in 1 2 2; do
        out=$work/$kind/t$threads.$RANDOM
        run "$net_run" --model "$m" --input_list "$list" --output_dir "$out" --threads "$threads" --debug --num_inferences 10 \
          --log_level warn
      done
      first=$(ls -d "$work/$kind"/* | head -n 1)
      for other in "$work/$kind"/*; do
        diff -r "$first" "$other" >/dev/null || { echo "FAIL: $first and $other differ"; exit 1; }
      done
      echo "$kind: $(ls -d "$work/$kind"/* | wc -l) runs, identical"
    done
    ;;
  bn-matching)
    model=$1 overrides=$2 list=$3 net_run=$4 diff=$5
    run "$converter" --input_network "$model" --quantization_overrides "$overrides" --use_per_channel_quantization \
      --output_path "$work/model.qgraph.json" --log_level warn
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$work/fp32" --debug --num_inferences 5 \
      --log_level warn
    run "$net_run" --model "$work/model.qgraph.json" --input_list "$list" --output_dir "$work/int8" --debug \
      --num_inferences 5 --log_level warn
    run "$diff" --golden "$work/fp32" --candidate "$work/int8" --model "$work/model.qgraph.json" \
      --json "$work/diff.json" --no_text_report
    run "$python" -B "$here/check_diff_report.py" "$work/diff.json" --schema "$here/../../schemas/diff_report.schema.json" --recompute
    run "$python" - "$model" "$work/model.qgraph.json" "$work/diff.json" <<'PY'
import json, sys
import onnx
model = onnx.load(sys.argv[1])
qgraph = json.load(open(sys.argv[2]))
report = json.load(open(sys.argv[3]))
compared = {t["name"] for t in report["tensors"]}
folded = {t["name"] for t in report["not_compared"] if t["reason"] == "folded"}
bn_outputs = {o for n in model.graph.node if n.op_type == "BatchNormalization" for o in n.output}
conv_outputs = {o for n in model.graph.node if n.op_type == "Conv" for o in n.output}
survivors = {o for n in qgraph["nodes"] for o in n["outputs"]}
for name in bn_outputs | conv_outputs:
    if name in survivors:
        assert name in compared, f"{name} survives folding but was not compared"
    else:
        assert name in folded, f"{name} was folded away but is not listed as folded"
assert survivors <= compared, f"not compared: {sorted(survivors - compared)}"
print(f"{len(compared)} tensors compared, {len(folded)} listed as folded")
PY
    ;;
  planted-encoding)
    model=$1 list=$2 net_run=$3 diff=$4 layer=$5
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --output_path "$work/good/model.qgraph.json" --dump_encoding_json "$work/encodings.json" --log_level warn
    run "$python" - "$work/encodings.json" "$layer" "$work/planted.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
entry = doc["activation_encodings"][sys.argv[2]][0]
entry["scale"] *= 8  # the grid keeps its zero point; its range grows eightfold
entry["min"] *= 8
entry["max"] *= 8
json.dump(doc, open(sys.argv[3], "w"))
PY
    run "$converter" --input_network "$model" --quantization_overrides "$work/planted.json" \
      --use_per_channel_quantization --output_path "$work/planted/model.qgraph.json" --log_level warn
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$work/fp32" --debug --log_level warn
    run "$net_run" --model "$work/planted/model.qgraph.json" --input_list "$list" --output_dir "$work/int8" \
      --debug --log_level warn
    run "$diff" --golden "$work/fp32" --candidate "$work/int8" --model "$work/planted/model.qgraph.json" \
      --layer_sqnr_threshold 30 --json "$work/diff.json" --html "$work/diff.html"
    run "$python" -B "$here/check_diff_report.py" "$work/diff.json" --schema "$here/../../schemas/diff_report.schema.json" \
      --recompute --html "$work/diff.html" --expect_first_divergent "$layer"
    ;;
  export-qdq)
    model=$1 list=$2 net_run=$3 labels=$4 min_top1=$5
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --output_path "$work/model.qgraph.json" --export_qdq "$work/model_qdq.onnx" --log_level warn
    run "$net_run" --model "$work/model_qdq.onnx" --input_list "$list" --output_dir "$work/out" --log_level warn
    run "$python" "$here/../../scripts/accuracy.py" "$work/out" "$labels" --min "$min_top1"
    # Converting the export again takes its Q/DQ encodings back unchanged.
    run "$converter" --input_network "$work/model_qdq.onnx" --output_path "$work/again/model.qgraph.json" \
      --log_level warn
    run "${check[@]}" same-encodings "$work/again/model.qgraph.json" "$work/model.qgraph.json"
    ;;
  algorithms)
    model=$1 list=$2 net_run=$3 labels=$4 min_top1=$5
    run "$converter" --input_network "$model" --input_list "$list" --use_per_channel_quantization \
      --algorithms adaround,bc --output_path "$work/model.qgraph.json" --export_qdq "$work/model_qdq.onnx" \
      2>"$work/convert.log"
    cat "$work/convert.log" >&2
    grep -E "adaround \+ bc: [1-9][0-9]* layers, [1-9][0-9]* of [0-9]+ weight codes moved off nearest" "$work/convert.log"
    "$python" -c 'import json, sys
options = json.load(open(sys.argv[1]))["options"]
assert options["algorithms"] == ["adaround", "bc"], options["algorithms"]' "$work/model.qgraph.json"
    run "${check[@]}" schema "$work/model.qgraph.json" "$here/../../schemas/qgraph.schema.json"
    run "$net_run" --model "$work/model.qgraph.json" --input_list "$list" --output_dir "$work/int8" --log_level warn
    run "$python" "$here/../../scripts/accuracy.py" "$work/int8" "$labels" --min "$min_top1"
    run "$net_run" --model "$work/model_qdq.onnx" --input_list "$list" --output_dir "$work/qdq" --log_level warn
    run "$python" "$here/../../scripts/accuracy.py" "$work/qdq" "$labels" --min "$min_top1"
    ;;
  early-override-check)
    model=$1 list=$2 overrides=$3
    lines=$(grep -c . "$list")
    ((lines >= 100)) || { echo "FAIL: $list has $lines lines; the check is about a long list"; exit 1; }
    rc=0
    start=$(date +%s%N)
    "$converter" --input_network "$model" --input_list "$list" --quantization_overrides "$overrides" \
      --output_path "$work/out/model.qgraph.json" 2>"$work/err" || rc=$?
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    cat "$work/err"
    echo "exit $rc after $elapsed_ms ms"
    ((rc == 3)) || { echo "FAIL: exit $rc, expected 3"; exit 1; }
    grep -q "did you mean 'ReLU32_Output_0'" "$work/err" || { echo "FAIL: no suggestion"; exit 1; }
    ! grep -q calibrating "$work/err" || { echo "FAIL: calibration started before the check"; exit 1; }
    run "${check[@]}" empty-dir "$work/out"
    ;;
  output-folder)
    model=$1 list=$2 net_run=$3
    stem=$(basename "$model" .onnx)
    mkdir -p "$work/existing"
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/existing" --log_level warn
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/new/" --log_level warn
    for folder in existing new; do
      [[ -f $work/$folder/$stem.qgraph.json && -f $work/$folder/$stem.bin ]] ||
        { echo "FAIL: $work/$folder lacks $stem.qgraph.json or $stem.bin"; ls -la "$work/$folder"; exit 1; }
      run "${check[@]}" schema "$work/$folder/$stem.qgraph.json" "$here/../../schemas/qgraph.schema.json"
    done
    run "${check[@]}" same-package "$work/existing/$stem.qgraph.json" "$work/new/$stem.qgraph.json"
    run "$net_run" --model "$work/new/$stem.qgraph.json" --input_list "$list" --output_dir "$work/run" \
      --num_inferences 2 --log_level warn
    compgen -G "$work/run/Result_1/*.raw" >/dev/null || { echo "FAIL: the package ran but wrote no outputs"; exit 1; }
    ;;
  input-layout)
    model=$1 list=$2 nhwc_list=$3 input=$4 net_run=$5
    layout=(--input_layout "$input" NHWC)
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/nchw/model.qgraph.json" \
      --log_level warn
    run "$converter" --input_network "$model" --input_list "$nhwc_list" "${layout[@]}" \
      --output_path "$work/nhwc/model.qgraph.json" --log_level warn
    run "${check[@]}" same-package "$work/nchw/model.qgraph.json" "$work/nhwc/model.qgraph.json"
    same_outputs() {  # A B: the Result folders of runs A and B hold byte-identical files
      local pairs=() f
      for f in "$work/$1"/Result_*/*.raw; do pairs+=("$f" "$work/$2/${f#"$work/$1/"}"); done
      ((${#pairs[@]} > 0)) || { echo "FAIL: $1 wrote no outputs"; exit 1; }
      "${check[@]}" identical "${pairs[@]}"
    }
    for m in "$model" "$work/nchw/model.qgraph.json"; do
      kind=$([[ $m == *.onnx ]] && echo fp32 || echo int8)
      run "$net_run" --model "$m" --input_list "$list" --output_dir "$work/$kind.nchw" --log_level warn
      run "$net_run" --model "$m" --input_list "$nhwc_list" "${layout[@]}" --output_dir "$work/$kind.nhwc" \
        --log_level warn
      run "$net_run" --model "$m" --input_list "$nhwc_list" --output_dir "$work/$kind.unflagged" --log_level warn
      run same_outputs "$kind.nchw" "$kind.nhwc"
      if same_outputs "$kind.nchw" "$kind.unflagged" 2>/dev/null; then
        echo "FAIL: the NHWC raws give the NCHW outputs without the flag: the test cannot tell"; exit 1
      fi
    done
    ;;
  qnn-output-name)
    model=$1 list=$2 net_run=$3
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/out/model.cpp" --log_level warn
    [[ -f $work/out/model.cpp && -f $work/out/model.cpp.bin ]] || { echo "FAIL: no model.cpp + model.cpp.bin"; exit 1; }
    cp "$work/out/model.cpp" "$work/out/model.qgraph.json"  # the same document, naming the same blob
    for name in model.cpp model.qgraph.json; do
      run "$net_run" --model "$work/out/$name" --input_list "$list" --output_dir "$work/run_$name" \
        --num_inferences 3 --log_level warn
    done
    pairs=()
    for f in "$work"/run_model.cpp/Result_*/*.raw; do pairs+=("$f" "${f/run_model.cpp/run_model.qgraph.json}"); done
    ((${#pairs[@]} == 6)) || { echo "FAIL: expected 3 Result folders of one output, got ${#pairs[@]} files"; exit 1; }
    run "${check[@]}" identical "${pairs[@]}"
    ;;
  *)
    echo "convert_flows.sh: unknown flow $flow" >&2
    exit 2
    ;;
esac
echo PASS
