#!/usr/bin/env bash
# The CI gate end to end: what qforge-net-run leaves in its output folder, and what qforge-diff
# makes of two runs (registered in tests/e2e/converter.cmake). Each flow runs the tools as a CI
# script would and checks exit codes, the one-line errors and the files.
#
# gate_flows.sh FLOW WORK_DIR ARGS...
#   native CONVERTER NET_RUN DIFF MODEL LIST
#       fp32 against the int8 run's native codes (--use_native_output_files): without --model the
#       gate cannot read them, exit 2 naming --model (it used to compare 0 tensors and pass); with
#       --model the codes go through the qgraph's encodings and give the metrics of the same run's
#       float outputs; a Result folder lacking the output fails the gate (exit 1, naming it)
#   stale NET_RUN MODEL LIST
#       a rerun with fewer inputs into the same folder leaves only its own Result_N and a manifest
#       that says how many; a Result_N holding a file net-run does not write is refused (exit 3,
#       one line naming it) and nothing is removed; other files in the folder stay
#   mixed-inputs NET_RUN DIFF MODEL LIST
#       runs of different list lines: qforge-diff says so (stderr, text, JSON) and a gate fails
#       (exit 1); runs of the same list with different Result counts compare, the counts named
set -euo pipefail

flow=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
python=${QFORGE_PYTHON:-/usr/bin/python3}
check=("$python" -B "$here/check_runs.py")
manifest_schema=$here/../../schemas/run_manifest.schema.json
report_schema=$here/../../schemas/diff_report.schema.json
rm -rf -- "$work"
mkdir -p "$work"

run() {
  printf '$'; printf ' %q' "$@"; printf '\n'
  "$@"
}

# expect CODE REGEX COMMAND...: COMMAND exits with CODE, its last stderr line matching REGEX.
expect() {
  local code=$1 re=$2 rc=0 err
  shift 2
  printf '$'; printf ' %q' "$@"; printf '\n'
  "$@" >"$work/last.out" 2>"$work/last.err" || rc=$?
  cat "$work/last.err" >&2
  err=$(grep . "$work/last.err" | tail -n 1 || true)
  [[ $rc == "$code" ]] || { echo "FAIL: exit $rc, expected $code"; exit 1; }
  [[ $err =~ $re ]] || { echo "FAIL: last stderr line does not match: $re"; exit 1; }
}

case $flow in
  native)
    converter=$1 net_run=$2 diff=$3 model=$4 list=$5
    run "$converter" --input_network "$model" --input_list "$list" --output_path "$work/model.qgraph.json" \
      --log_level warn
    qgraph=$work/model.qgraph.json
    common=(--input_list "$list" --num_inferences 10 --log_level warn)
    run "$net_run" --model "$model" --output_dir "$work/fp32" "${common[@]}"
    run "$net_run" --model "$qgraph" --output_dir "$work/int8" "${common[@]}"
    run "$net_run" --model "$qgraph" --output_dir "$work/int8_native" --use_native_output_files "${common[@]}"
    run "${check[@]}" manifest "$work/int8_native" "$manifest_schema" --results 10 --inferences 10 \
      --lines "$(grep -c . "$list")" --outputs native
    # The issue's command line: it compared nothing and passed.
    expect 2 "int8_native/Result_[0-9]+/.*_native\.raw.*--model" \
      "$diff" --golden "$work/fp32" --candidate "$work/int8_native" --fail_below cosine=0.99
    run "$diff" --golden "$work/fp32" --candidate "$work/int8_native" --model "$qgraph" --fail_below cosine=0.9 \
      --json "$work/native.json" --no_text_report
    run "$diff" --golden "$work/fp32" --candidate "$work/int8" --model "$qgraph" --fail_below cosine=0.9 \
      --json "$work/float.json" --no_text_report
    run "${check[@]}" same-metrics "$work/native.json" "$work/float.json"
    run "${check[@]}" report "$work/native.json" "$report_schema" --same_inputs true
    # A Result folder without the output: the gate cannot vouch for it.
    output=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["outputs"][0])' \
      "$work/native.json")
    rm "$work/int8_native/Result_4/${output}_native.raw"
    expect 1 "gate failed: output '$output': missing in the candidate run's Result_4" \
      "$diff" --golden "$work/fp32" --candidate "$work/int8_native" --model "$qgraph" --fail_below cosine=0.9
    ;;
  stale)
    net_run=$1 model=$2 list=$3
    lines=$(grep -c . "$list")
    out=$work/out
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$out" --num_inferences 20 --log_level warn
    run "${check[@]}" manifest "$out" "$manifest_schema" --results 20 --inferences 20 --lines "$lines"
    echo "mine" >"$out/notes.txt"
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$out" --num_inferences 3 --log_level warn
    run "${check[@]}" manifest "$out" "$manifest_schema" --results 3 --inferences 3 --lines "$lines"
    [[ -f $out/notes.txt ]] || { echo "FAIL: net-run removed a file of its own folder that it did not write"; exit 1; }
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$out" --num_inferences 5 --keep_num_outputs 2 \
      --log_level warn
    run "${check[@]}" manifest "$out" "$manifest_schema" --results 2 --inferences 5 --lines "$lines"
    echo "3" >"$out/Result_1/labels.txt"
    expect 3 "Result_1' holds 'labels\.txt', which qforge-net-run does not write" \
      "$net_run" --model "$model" --input_list "$list" --output_dir "$out" --num_inferences 1
    [[ -n $(ls "$out/Result_0") && -f $out/Result_1/labels.txt && -f $out/qforge_run.json ]] ||
      { echo "FAIL: a refused run removed something"; exit 1; }
    ;;
  mixed-inputs)
    net_run=$1 diff=$2 model=$3 list=$4
    # Lines 11..14 of the list, with absolute paths, as another list.
    dir=$(cd "$(dirname "$list")" && pwd)
    sed -n '11,14p' "$list" | sed -E "s#:=([^/])#:=$dir/\\1#" >"$work/other.txt"
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$work/a" --num_inferences 4 --log_level warn
    run "$net_run" --model "$model" --input_list "$work/other.txt" --output_dir "$work/b" --log_level warn
    run "$net_run" --model "$model" --input_list "$list" --output_dir "$work/c" --num_inferences 2 --log_level warn
    expect 1 "gate failed: the runs had different inputs: DIFFERENT in Result_0\.\.3" \
      "$diff" --golden "$work/a" --candidate "$work/b" --fail_below cosine=-1
    run "$diff" --golden "$work/a" --candidate "$work/b" --json "$work/mixed.json" >"$work/mixed.out" 2>"$work/mixed.err"
    cat "$work/mixed.out" "$work/mixed.err"
    grep -E "^  inputs +DIFFERENT in Result_0\.\.3 .*other\.txt, 4 lines" "$work/mixed.out"
    grep -E "warn.*different inputs.*Result_0: golden ran .*, candidate " "$work/mixed.err"
    run "${check[@]}" report "$work/mixed.json" "$report_schema" --same_inputs false --inputs_differ_in 0,1,2,3
    # The same list, fewer inferences on one side: the same inputs where both ran, the counts named.
    run "$diff" --golden "$work/a" --candidate "$work/c" --fail_below cosine=0.99 --json "$work/shorter.json" \
      >"$work/shorter.out" 2>"$work/shorter.err"
    cat "$work/shorter.out" "$work/shorter.err"
    grep -E "^  inputs +same input files in Result_0\.\.1" "$work/shorter.out"
    grep -E "wrote 4 Result folders, the candidate .* 2" "$work/shorter.err"
    run "${check[@]}" report "$work/shorter.json" "$report_schema" --same_inputs true
    ;;
  *)
    echo "gate_flows.sh: unknown flow $flow" >&2
    exit 2
    ;;
esac
echo PASS
