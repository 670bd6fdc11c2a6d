# --- qforge-onnx-converter, end to end (included from CMakeLists.txt). The calibration data are
# the bundled calib/ sets, turned into raw files at build time; make_convert_fixtures.py writes
# the bad overrides files and lists. A failed conversion must leave no output file behind.
set(QF_CONVERTER $<TARGET_FILE:qforge-onnx-converter>)
set(QF_CHECK_CONVERT ${QFORGE_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/check_convert.py)
set(QF_CONVERT_FLOWS bash ${CMAKE_CURRENT_SOURCE_DIR}/convert_flows.sh)
set(QF_PREPARE ${PROJECT_SOURCE_DIR}/scripts/prepare_images.py)
set(QF_MAKE_CONVERT_FIXTURES ${CMAKE_CURRENT_SOURCE_DIR}/make_convert_fixtures.py)
set(CD ${CMAKE_CURRENT_BINARY_DIR}/convert_data)
set(CO ${QF_E2E_OUT}/convert)
set(MNIST ${PROJECT_SOURCE_DIR}/calib/mnist/mnist.onnx)
set(FASHION ${PROJECT_SOURCE_DIR}/calib/fashion)
add_custom_command(
  OUTPUT ${CD}/generated.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CD}
  COMMAND ${QFORGE_PYTHON} ${QF_PREPARE} --dataset mnist --src ${PROJECT_SOURCE_DIR}/calib/mnist --count 100
          --out ${CD}/mnist
  COMMAND ${QFORGE_PYTHON} ${QF_PREPARE} --dataset fashion-calib --src ${FASHION} --count 100 --out ${CD}/fashion
  COMMAND ${QFORGE_PYTHON} ${QF_MAKE_CONVERT_FIXTURES} ${CD}/bad
  COMMAND ${CMAKE_COMMAND} -E touch ${CD}/generated.stamp
  DEPENDS ${QF_PREPARE} ${QF_MAKE_CONVERT_FIXTURES}
  COMMENT "Preparing the converter test data (calib/ -> raw files, bad inputs)"
  VERBATIM)
add_custom_target(qforge_convert_data ALL DEPENDS ${CD}/generated.stamp)
set(MNIST_LIST ${CD}/mnist/input_list.txt)

# qf_add_convert_failure(NAME CODE N [STDERR_LINES N] STDERR REGEX... ARGS ...): the conversion
# fails with code N and a one-line error matching the regexes, and writes nothing under its output
# folder.
function(qf_add_convert_failure name)
  cmake_parse_arguments(PARSE_ARGV 1 T "" "CODE;STDERR_LINES" "STDERR;ARGS")
  set(out ${CO}/bad/${name})
  set(lines)
  if(DEFINED T_STDERR_LINES)
    set(lines STDERR_LINES ${T_STDERR_LINES})
  endif()
  qf_add_cli_test(convert.bad.${name} CODE ${T_CODE} STDERR ${T_STDERR} ${lines} CLEAN ${out}
    COMMAND ${QF_CONVERTER} --input_network ${MNIST} --output_path ${out}/model.qgraph.json
            --export_qdq ${out}/model_qdq.onnx ${T_ARGS}
    CHECK ${QF_CHECK_CONVERT} empty-dir ${out})
endfunction()

set(B ${CD}/bad)
qf_add_convert_failure(overrides_malformed CODE 3 STDERR [[malformed\.json]] "not valid JSON"
  ARGS --quantization_overrides ${B}/malformed.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_schema_invalid CODE 3
  STDERR [[schema_invalid\.json: activation_encodings\["Input3"\]\[0\]\.scale: must be a number]]
  ARGS --quantization_overrides ${B}/schema_invalid.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_unknown_tensor CODE 3 STDERR no_such_tensor ignore_unknown_override_tensors
  ARGS --quantization_overrides ${B}/unknown_tensor.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_negative_scale CODE 3 STDERR [[\.scale: -0\.5 is not a positive number]]
  ARGS --quantization_overrides ${B}/negative_scale.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_zero_scale CODE 3 STDERR [[\.scale: 0\.0 is not a positive number]]
  ARGS --quantization_overrides ${B}/zero_scale.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_bitwidth_3 CODE 3 STDERR [=[\.bitwidth: 3 is not a bitwidth in \[4, 32\]]=]
  ARGS --quantization_overrides ${B}/bitwidth_3.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_offset_out_of_range CODE 3 STDERR [=[\.offset: -300 is outside \[-255, 0\]]=]
  ARGS --quantization_overrides ${B}/offset_out_of_range.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_channel_count CODE 3 STDERR "3 per-channel encodings for 'Parameter5'" "8 channels"
  ARGS --quantization_overrides ${B}/channel_count.json --input_list ${MNIST_LIST} --use_per_channel_quantization)
qf_add_convert_failure(overrides_per_block CODE 4 STDERR "PER_BLOCK encodings are not supported"
  ARGS --quantization_overrides ${B}/per_block.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_too_deep CODE 3 STDERR [[deep\.json: JSON nested deeper than]]
  ARGS --quantization_overrides ${B}/deep.json --input_list ${MNIST_LIST})
qf_add_convert_failure(overrides_missing CODE 3 STDERR [[no_such_overrides\.json]]
  ARGS --quantization_overrides ${B}/no_such_overrides.json --input_list ${MNIST_LIST})
qf_add_convert_failure(list_missing_file CODE 3 STDERR [[no_such_file\.raw]]
  ARGS --input_list ${B}/list_missing_file.txt)
qf_add_convert_failure(list_empty CODE 3 STDERR [[list_empty\.txt]]
  ARGS --input_list ${B}/list_empty.txt)
qf_add_convert_failure(list_missing CODE 3 STDERR [[no_such_list\.txt]]
  ARGS --input_list ${B}/no_such_list.txt)
qf_add_convert_failure(no_encodings CODE 3 STDERR "no encoding for [0-9]+ tensor" ReLU32_Output_0 --input_list
  ARGS --quantization_overrides ${B}/input_only.json)
qf_add_convert_failure(unknown_calibration CODE 2 STDERR "min-max" "entropy"
  ARGS --input_list ${MNIST_LIST} --act_quantizer_calibration kmeans)
qf_add_convert_failure(percentile_out_of_range CODE 2 STDERR percentile
  ARGS --input_list ${MNIST_LIST} --act_quantizer_calibration percentile --percentile_calibration_value 80)
qf_add_convert_failure(act_bw_4 CODE 2 STDERR [[--act_bw 4 is not supported \(choose one of 8, 16\)]]
  ARGS --input_list ${MNIST_LIST} --act_bw 4)
qf_add_convert_failure(weight_bw_16 CODE 2 STDERR [[--weight_bw 16]] ARGS --input_list ${MNIST_LIST} --weight_bw 16)
qf_add_convert_failure(legacy_with_calibration CODE 2 STDERR act_quantizer
  ARGS --input_list ${MNIST_LIST} --act_quantizer tf --act_quantizer_calibration mse)
qf_add_convert_failure(ignore_and_overrides CODE 2 STDERR ignore_quantization_overrides
  ARGS --input_list ${MNIST_LIST} --ignore_quantization_overrides --quantization_overrides ${B}/input_only.json)
qf_add_convert_failure(float_fallback_with_list CODE 2 STDERR enable_float_fallback
  ARGS --input_list ${MNIST_LIST} --enable_float_fallback)
qf_add_convert_failure(dump_ir_unknown_pass CODE 2 STDERR "unknown pass 'fold_everything'"
  ARGS --input_list ${MNIST_LIST} --dump_ir_after fold_everything)
qf_add_convert_failure(algorithms_without_list CODE 2 STDERR "--algorithms adaround need\\(s\\) an --input_list"
  ARGS --algorithms adaround)
qf_add_convert_failure(algorithms_unknown CODE 2 STDERR "unknown algorithm 'cle' \\(adaround, bc\\)"
  ARGS --input_list ${MNIST_LIST} --algorithms cle)
# Early checks: what costs nothing to check fails before calibration, whose cost grows with the
# list. STDERR_LINES 1: the error is all there is (a calibration that started would have said so).
# The raw files are checked as calibration starts, every line before the first inference; the
# error names the list's line.
qf_add_convert_failure(overrides_typo CODE 3 STDERR_LINES 1
  STDERR [[typo_tensor\.json: overrides for tensors the model does not have: ]]
         [['ReLU32_Ouptut_0' \(did you mean 'ReLU32_Output_0']]
  ARGS --quantization_overrides ${B}/typo_tensor.json --input_list ${MNIST_LIST})
qf_add_convert_failure(list_missing_line11 CODE 3
  STDERR [[list_missing_line11\.txt:11: raw file '[^']*no_such_file\.raw' for input 'Input3' does not exist$]]
  ARGS --input_list ${B}/list_missing_line11.txt)
qf_add_convert_failure(list_float64_raw CODE 3
  STDERR [[list_float64\.txt:2: raw file '[^']*zeros_float64\.raw' has 6272 bytes. input 'Input3' ]]
         [[\[1,1,28,28\] float32 needs 3136 \(it holds 2x the bytes of float32 \[1,1,28,28\]: float64\?\)$]]
  ARGS --input_list ${B}/list_float64.txt)
# A name the folder takes but its temporary (.NAME.tmp.PID.N) does not: the write would fail at the
# end, after calibration; the check before it fails at once and leaves nothing.
string(REPEAT n 240 QF_LONG_STEM)
qf_add_cli_test(convert.bad.output_unwritable CODE 3 STDERR_LINES 1
  STDERR "cannot write '[^']*${QF_LONG_STEM}\\.qgraph\\.json': File name too long$"
  CLEAN ${CO}/bad/output_unwritable
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST}
          --output_path ${CO}/bad/output_unwritable/${QF_LONG_STEM}.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${CO}/bad/output_unwritable)
qf_add_cli_test(convert.bad.missing_model CODE 3 STDERR [[no_such_model\.onnx]] CLEAN ${CO}/bad/missing_model
  COMMAND ${QF_CONVERTER} --input_network ${D}/no_such_model.onnx --output_path ${CO}/bad/missing_model/m.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${CO}/bad/missing_model)
qf_add_cli_test(convert.bad.not_onnx CODE 3 STDERR [[random\.onnx]] CLEAN ${CO}/bad/not_onnx
  COMMAND ${QF_CONVERTER} --input_network ${D}/random.onnx --output_path ${CO}/bad/not_onnx/m.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${CO}/bad/not_onnx)
qf_add_cli_test(convert.bad.unsupported_ops CODE 4 STDERR TopK NonMaxSuppression CLEAN ${CO}/bad/unsupported
  COMMAND ${QF_CONVERTER} --input_network ${D}/unsupported.onnx --output_path ${CO}/bad/unsupported/m.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${CO}/bad/unsupported)
qf_add_cli_test(convert.bad.no_output_path CODE 2 STDERR output_path
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST})
# The same parser and one-line errors as qforge-net-run's (net_run.bad.input_dim_*).
qf_add_cli_test(convert.bad.input_dim_not_dims CODE 2 STDERR_LINES 1
  STDERR [[--input_dim Input3: '1,x,3' is not a comma-separated list of positive dimensions$]]
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --output_path ${CO}/bad/input_dim/m.qgraph.json
          --input_dim Input3 1,x,3)
qf_add_cli_test(convert.bad.input_dim_empty CODE 2 STDERR_LINES 1
  STDERR [[--input_dim Input3: '' is not a comma-separated list of positive dimensions$]]
  COMMAND bash -c [["$0" --input_network "$1" --output_path "$2" -d Input3 ""]]
          ${QF_CONVERTER} ${MNIST} ${CO}/bad/input_dim/m.qgraph.json)
qf_add_cli_test(convert.bad.input_dim_missing_dims CODE 2 STDERR_LINES 1
  STDERR "--input_dim Input3: DIMS missing after the name$"
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --output_path ${CO}/bad/input_dim/m.qgraph.json --input_dim Input3)

# --- Conversions that work: every calibration method, the package validated by its schema.
# --help: the tool's name (not argv[0]'s path), the options in groups, the exit codes, an example.
qf_add_cli_test(convert.help STDOUT --input_network --act_quantizer_calibration entropy percentile
  "^qforge-onnx-converter: [^\n]*\nUsage: qforge-onnx-converter \\[OPTIONS\\]"
  "\nInput and output:\n" "\nCalibration \\(activations\\):\n" "\nWeights:\n" "\nOverrides:\n" "\nPasses:\n"
  "\nDebug:\n" "\nGeneral:\n" "Exit codes:\n  0  converted" "\n  3  [^\n]*before calibration"
  "\n\nExample:\n  qforge-onnx-converter -i [^\n]+$"
  "--input_layout [^\n]*raws must be NCHW, as the model's input"
  COMMAND ${QF_CONVERTER} --help)
# CLI parsing: an unknown option comes before a missing required one, with the flag meant.
qf_add_cli_test(convert.bad.unknown_before_required CODE 2 STDERR_LINES 1
  STDERR "^qforge-onnx-converter: --input-network: unknown option, did you mean --input_network\\? \\(see --help\\)$"
  COMMAND ${QF_CONVERTER} --input-network ${MNIST})
# Boolean flags take QNN scripts' explicit values: True / False / 1 / 0 (and = forms).
foreach(value True 1)
  set(out ${CO}/per_channel_${value})
  qf_add_cli_test(convert.bool_flag_value.${value} CLEAN ${out}
    COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --max_calibration_samples 4
            --use_per_channel_quantization ${value} --output_path ${out}/model.qgraph.json --quiet False
    CHECK ${QF_CHECK_CONVERT} options ${out}/model.qgraph.json use_per_channel_quantization=true)
endforeach()
qf_add_cli_test(convert.bool_flag_value.False CLEAN ${CO}/per_channel_False
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --max_calibration_samples 4
          --use_per_channel_quantization False --output_path ${CO}/per_channel_False/model.qgraph.json
  CHECK ${QF_CHECK_CONVERT} options ${CO}/per_channel_False/model.qgraph.json use_per_channel_quantization=false)
qf_add_cli_test(convert.bad.bool_flag_value CODE 2 STDERR "use_per_channel_quantization" "maybe"
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --use_per_channel_quantization maybe -o ${CO}/bad/bool/)
# One thread more than the cores: a warning, and the conversion still works.
cmake_host_system_information(RESULT QF_CORES QUERY NUMBER_OF_LOGICAL_CORES)
math(EXPR QF_CORES_PLUS_1 "${QF_CORES} + 1")
qf_add_cli_test(convert.threads_above_cores
  STDERR "--threads ${QF_CORES_PLUS_1} is more than the ${QF_CORES} cores of this machine" CLEAN ${CO}/threads
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --max_calibration_samples 2
          --threads ${QF_CORES_PLUS_1} --output_path ${CO}/threads/model.qgraph.json --log_level warn
  CHECK ${QF_CHECK_CONVERT} schema ${CO}/threads/model.qgraph.json ${PROJECT_SOURCE_DIR}/schemas/qgraph.schema.json)
qf_add_cli_test(convert.version STDOUT "^qforge-onnx-converter${QF_VERSION_LINE}" STDERR "^$"
  COMMAND ${QF_CONVERTER} --version)
# --quiet: a good conversion (that logs at info level without it) writes nothing on stderr.
qf_add_cli_test(convert.quiet STDERR "^$" CLEAN ${CO}/quiet
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --output_path ${CO}/quiet/model.qgraph.json
          --quiet
  CHECK ${QF_CHECK_CONVERT} schema ${CO}/quiet/model.qgraph.json ${PROJECT_SOURCE_DIR}/schemas/qgraph.schema.json)
foreach(method min-max moving-average mse entropy percentile sqnr)
  foreach(granularity per_tensor per_channel)
    set(out ${CO}/mnist_${method}_${granularity})
    set(flags)
    if(granularity STREQUAL per_channel)
      set(flags --use_per_channel_quantization)
    endif()
    qf_add_cli_test(convert.mnist.${method}.${granularity} CLEAN ${out}
      COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --act_quantizer_calibration ${method}
              ${flags} --output_path ${out}/model.qgraph.json
      CHECK ${QF_CHECK_CONVERT} schema ${out}/model.qgraph.json ${PROJECT_SOURCE_DIR}/schemas/qgraph.schema.json)
  endforeach()
endforeach()
qf_add_cli_test(convert.legacy_quantizers CLEAN ${CO}/legacy
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --act_quantizer enhanced
          --param_quantizer symmetric --bias_bw 8 --weight_bw 4 --output_path ${CO}/legacy/model.qgraph.json
  CHECK ${QF_CHECK_CONVERT} schema ${CO}/legacy/model.qgraph.json ${PROJECT_SOURCE_DIR}/schemas/qgraph.schema.json)
qf_add_cli_test(convert.ignore_unknown_override_tensors STDERR "no_such_tensor" CLEAN ${CO}/ignore_unknown
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST}
          --quantization_overrides ${B}/unknown_tensor.json --ignore_unknown_override_tensors
          --output_path ${CO}/ignore_unknown/model.qgraph.json)
qf_add_cli_test(convert.dump_ir_after STDOUT "# after fold_bias_add" "Gemm\\(Pooling160" "fused_min=0"
  COMMAND ${QF_CONVERTER} --input_network ${MNIST} --input_list ${MNIST_LIST} --dump_ir_after all
          --calibration_state_out ${CO}/dump_ir/state.json)
qf_add_cli_test(convert.disable_passes STDOUT "= Relu\\(" "= BatchNormalization\\("
  COMMAND ${QF_CONVERTER} --input_network ${FASHION}/model_fp32.onnx --input_list ${CD}/fashion/input_list.txt
          --disable_batchnorm_folding --disable_relu_squashing --dump_ir_after squash_activations
          --output_path ${CO}/disabled/model.qgraph.json)

foreach(flow round-trip deterministic)
  add_test(NAME e2e.convert.${flow} COMMAND ${QF_CONVERT_FLOWS} ${flow} ${QF_CONVERTER} ${CO}/${flow} ${MNIST} ${MNIST_LIST})
  set_tests_properties(e2e.convert.${flow} PROPERTIES LABELS e2e TIMEOUT 300)
endforeach()
foreach(method min-max moving-average mse entropy percentile sqnr)
  add_test(NAME e2e.convert.merge_halves.${method}
    COMMAND ${QF_CONVERT_FLOWS} merge-halves ${QF_CONVERTER} ${CO}/merge_${method} ${MNIST} ${MNIST_LIST} ${method})
  set_tests_properties(e2e.convert.merge_halves.${method} PROPERTIES LABELS e2e TIMEOUT 300)
endforeach()
add_test(NAME e2e.convert.fashion_qat
  COMMAND ${QF_CONVERT_FLOWS} qat ${QF_CONVERTER} ${CO}/qat ${FASHION}/model_fp32.onnx
          ${FASHION}/model_fp32.encodings.json ${FASHION}/model_qat_qdq.onnx)
add_test(NAME e2e.convert.algorithms.mnist
  COMMAND ${QF_CONVERT_FLOWS} algorithms ${QF_CONVERTER} ${CO}/algorithms ${MNIST} ${MNIST_LIST} ${QF_NET_RUN}
          ${CD}/mnist/labels.txt 97)
add_test(NAME e2e.convert.export_qdq.mnist
  COMMAND ${QF_CONVERT_FLOWS} export-qdq ${QF_CONVERTER} ${CO}/export_qdq ${MNIST} ${MNIST_LIST} ${QF_NET_RUN}
          ${CD}/mnist/labels.txt 97)
add_test(NAME e2e.convert.early_override_check.mnist
  COMMAND ${QF_CONVERT_FLOWS} early-override-check ${QF_CONVERTER} ${CO}/early_override ${MNIST} ${MNIST_LIST}
          ${B}/typo_tensor.json)
add_test(NAME e2e.convert.output_folder.mnist
  COMMAND ${QF_CONVERT_FLOWS} output-folder ${QF_CONVERTER} ${CO}/output_folder ${MNIST} ${MNIST_LIST} ${QF_NET_RUN})
add_test(NAME e2e.input_layout.nhwc.small
  COMMAND ${QF_CONVERT_FLOWS} input-layout ${QF_CONVERTER} ${CO}/input_layout ${D}/small.onnx ${D}/small_list.txt
          ${D}/small_nhwc_list.txt data ${QF_NET_RUN})
add_test(NAME e2e.net_run.qgraph_named_cpp.mnist
  COMMAND ${QF_CONVERT_FLOWS} qnn-output-name ${QF_CONVERTER} ${CO}/qnn_output_name ${MNIST} ${MNIST_LIST} ${QF_NET_RUN})
set_tests_properties(e2e.convert.fashion_qat e2e.convert.export_qdq.mnist e2e.convert.algorithms.mnist
  e2e.convert.early_override_check.mnist e2e.convert.output_folder.mnist e2e.net_run.qgraph_named_cpp.mnist
  e2e.input_layout.nhwc.small PROPERTIES LABELS e2e TIMEOUT 300)

# --- qforge-net-run on quantized graphs.
add_test(NAME e2e.net_run.qgraph_damaged
  COMMAND ${QF_CONVERT_FLOWS} damaged-package ${QF_CONVERTER} ${CO}/damaged ${MNIST} ${MNIST_LIST} ${QF_NET_RUN})
add_test(NAME e2e.net_run.int8.mnist
  COMMAND ${QF_CONVERT_FLOWS} int8 ${QF_CONVERTER} ${CO}/int8_mnist ${MNIST} ${MNIST_LIST} ${QF_NET_RUN}
          ${CD}/mnist/labels.txt 97)
add_test(NAME e2e.net_run.int8.fashion_qat
  COMMAND ${QF_CONVERT_FLOWS} int8 ${QF_CONVERTER} ${CO}/int8_fashion ${FASHION}/model_fp32.onnx
          ${CD}/fashion/input_list.txt ${QF_NET_RUN} ${CD}/fashion/labels.txt 85)
set_tests_properties(e2e.net_run.qgraph_damaged e2e.net_run.int8.mnist e2e.net_run.int8.fashion_qat
  PROPERTIES LABELS e2e TIMEOUT 300)

# --- qforge-diff on real conversions: a planted bad encoding is the first divergent layer.
add_test(NAME e2e.diff.planted_encoding.mnist
  COMMAND ${QF_CONVERT_FLOWS} planted-encoding ${QF_CONVERTER} ${CO}/planted ${MNIST} ${MNIST_LIST} ${QF_NET_RUN}
          $<TARGET_FILE:qforge-diff> ReLU32_Output_0)
set_tests_properties(e2e.diff.planted_encoding.mnist PROPERTIES LABELS e2e TIMEOUT 300)
add_test(NAME e2e.diff.bn_matching.fashion
  COMMAND ${QF_CONVERT_FLOWS} bn-matching ${QF_CONVERTER} ${CO}/bn_matching ${FASHION}/model_fp32.onnx
          ${FASHION}/model_fp32.encodings.json ${CD}/fashion/input_list.txt ${QF_NET_RUN} $<TARGET_FILE:qforge-diff>)
set_tests_properties(e2e.diff.bn_matching.fashion PROPERTIES LABELS e2e TIMEOUT 300)

# --- The CI gate on net-run's output folders (gate_flows.sh): native codes read through the
# qgraph's encodings, outputs missing on one side, a rerun's stale Result_N, runs of other inputs.
set(QF_GATE_FLOWS bash ${CMAKE_CURRENT_SOURCE_DIR}/gate_flows.sh)
set(QF_DIFF_TOOL $<TARGET_FILE:qforge-diff>)
add_test(NAME e2e.gate.native_outputs.mnist
  COMMAND ${QF_GATE_FLOWS} native ${CO}/gate_native ${QF_CONVERTER} ${QF_NET_RUN} ${QF_DIFF_TOOL} ${MNIST} ${MNIST_LIST})
add_test(NAME e2e.gate.stale_results.mnist
  COMMAND ${QF_GATE_FLOWS} stale ${CO}/gate_stale ${QF_NET_RUN} ${MNIST} ${MNIST_LIST})
add_test(NAME e2e.gate.mixed_inputs.mnist
  COMMAND ${QF_GATE_FLOWS} mixed-inputs ${CO}/gate_mixed ${QF_NET_RUN} ${QF_DIFF_TOOL} ${MNIST} ${MNIST_LIST})
set_tests_properties(e2e.gate.native_outputs.mnist e2e.gate.stale_results.mnist e2e.gate.mixed_inputs.mnist
  PROPERTIES LABELS e2e TIMEOUT 300 ENVIRONMENT "QFORGE_PYTHON=${QFORGE_PYTHON}")
