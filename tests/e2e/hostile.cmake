# --- Hostile inputs (included from CMakeLists.txt): files that lie about their shapes, loop, or
# break the rules, each refused with one line naming what is wrong and the documented exit code;
# a 100 000-node chain that must simply run; running out of disk while writing.
set(QF_MAKE_HOSTILE ${CMAKE_CURRENT_SOURCE_DIR}/make_hostile_models.py)
set(H ${CMAKE_CURRENT_BINARY_DIR}/hostile_data)
set(HO ${QF_E2E_OUT}/hostile)
qf_generated_data(qforge_hostile_data ${H}
  COMMENT "Generating the hostile test inputs (tests/e2e/make_hostile_models.py)"
  DEPENDS ${QF_MAKE_HOSTILE}
  COMMAND ${QFORGE_PYTHON} ${QF_MAKE_HOSTILE} ${H})

# qf_hostile_model(MODEL CODE REGEX): net-run and the converter both refuse MODEL with CODE and a
# one-line error matching REGEX, and write nothing.
function(qf_hostile_model model code regex)
  qf_add_cli_test(hostile.net_run.${model} CODE ${code} STDERR "${model}\\.onnx" "${regex}" CLEAN ${HO}/${model}
    COMMAND ${QF_NET_RUN} --model ${H}/${model}.onnx --input_list ${H}/nan_list.txt --output_dir ${HO}/${model}
    CHECK ${QF_CHECK_CONVERT} empty-dir ${HO}/${model})
  qf_add_cli_test(hostile.convert.${model} CODE ${code} STDERR "${regex}" CLEAN ${HO}/convert_${model}
    COMMAND ${QF_CONVERTER} --input_network ${H}/${model}.onnx --input_list ${H}/nan_list.txt
            --output_path ${HO}/convert_${model}/model.qgraph.json
    CHECK ${QF_CHECK_CONVERT} empty-dir ${HO}/convert_${model})
endfunction()
qf_hostile_model(shape_overflow 3 "input 'x' has the shape .2147483648,2147483648,2147483648., too large to hold")
qf_hostile_model(shape_past_memory 3 "needs [0-9.]+ GiB for its tensors. this machine has")
qf_hostile_model(huge_initializer 3 "initializer 'w': shape .1073741824,1073741824. is too large")
qf_hostile_model(negative_reshape 3 "Reshape node 'reshape': invalid target shape entry -2")
qf_hostile_model(impossible_reshape 3 "Reshape node 'reshape': cannot reshape .1,16. into .3,5.")
qf_hostile_model(kernel_past_input 3 "Conv node 'conv': window of 5 does not fit input dim 2")
qf_hostile_model(zero_dim_conv 3 "Conv node 'conv': window of 5 does not fit input dim 0")
qf_hostile_model(cycle 3 "the graph has a cycle through")
qf_hostile_model(dangling 3 "Add node 'add': reads tensor 'nobody_makes_this', which nothing produces")
qf_hostile_model(duplicate_output 3 "tensor 'y' is produced twice")
qf_hostile_model(einsum_unknown_label 3 "Einsum node 'einsum': Einsum output label 'l' is in no operand")
qf_hostile_model(layer_norm_scale_shape 3 "LayerNormalization node 'ln': shapes .8. and .4. cannot be broadcast")
qf_hostile_model(mask_shape 3 "Where node 'masked_fill': shapes .1,1,3,3. and .1,1,4,4. cannot be broadcast")
qf_hostile_model(matmul_three_inputs 3 "MatMul node .matmul.: MatMul takes 2 input.s., this one has 3")

qf_add_cli_test(hostile.chain_100k_nodes CLEAN ${HO}/chain
  COMMAND ${QF_NET_RUN} --model ${H}/chain100k.onnx --input_list ${H}/chain_list.txt --output_dir ${HO}/chain
          --log_level warn
  CHECK ${QF_CHECK_CONVERT} identical ${HO}/chain/Result_0/t100000.raw ${H}/chain_expected.raw)
set_tests_properties(e2e.hostile.chain_100k_nodes PROPERTIES TIMEOUT 300)

# Overrides with encodings no grid has.
function(qf_hostile_overrides name regex)
  qf_add_cli_test(hostile.overrides.${name} CODE 3 STDERR "${name}\\.json" "${regex}" CLEAN ${HO}/${name}
    COMMAND ${QF_CONVERTER} --input_network ${MNIST} --quantization_overrides ${H}/${name}.json
            --input_list ${MNIST_LIST} --output_path ${HO}/${name}/model.qgraph.json
    CHECK ${QF_CHECK_CONVERT} empty-dir ${HO}/${name})
endfunction()
qf_hostile_overrides(bitwidth_0 "0 is not a bitwidth in .4, 32.")
qf_hostile_overrides(bitwidth_33 "33 is not a bitwidth in .4, 32.")
qf_hostile_overrides(scale_nan "not valid JSON")
qf_hostile_overrides(scale_huge "number overflow parsing '1e400'")

# Calibration data holding NaN and Inf: refused naming the file and tensor, or skipped and counted.
qf_add_cli_test(hostile.calibration_nan CODE 3 STDERR [[nan\.raw: input 'x' holds 2 NaN or infinite values]]
  CLEAN ${HO}/nan COMMAND ${QF_CONVERTER} --input_network ${D}/dynamic.onnx --input_list ${H}/nan_list.txt
                          --output_path ${HO}/nan/model.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${HO}/nan)
qf_add_cli_test(hostile.calibration_nan_skipped STDERR "calibration skipped [0-9]+ NaN or infinite values"
  CLEAN ${HO}/nan_skip
  COMMAND ${QF_CONVERTER} --input_network ${D}/dynamic.onnx --input_list ${H}/nan_then_clean_list.txt --skip_non_finite
          --output_path ${HO}/nan_skip/model.qgraph.json)

# Out of disk while writing (a file-size limit makes write() fail with EFBIG, as a full disk
# makes it fail with ENOSPC): a clear error, and no file under its final name.
set(QF_NO_SPACE bash ${CMAKE_CURRENT_SOURCE_DIR}/without_space.sh)
qf_add_cli_test(hostile.net_run_out_of_disk CODE 3 STDERR "cannot write .*Result_0/.*raw': File too large"
  CLEAN ${HO}/disk
  COMMAND ${QF_NO_SPACE} ${QF_NET_RUN} --model ${MNIST} --input_list ${MNIST_LIST} --output_dir ${HO}/disk --debug
  CHECK ${QF_CHECK_CONVERT} no-partial-files ${HO}/disk)
qf_add_cli_test(hostile.convert_out_of_disk CODE 3 STDERR "cannot write .*model\\.(bin|qgraph\\.json)" CLEAN ${HO}/disk_convert
  COMMAND ${QF_NO_SPACE} ${QF_CONVERTER} --input_network ${FASHION}/model_fp32.onnx
          --quantization_overrides ${FASHION}/model_fp32.encodings.json --output_path ${HO}/disk_convert/model.qgraph.json
  CHECK ${QF_CHECK_CONVERT} empty-dir ${HO}/disk_convert)

# --- Deterministic and atomic outputs.
add_test(NAME e2e.hostile.concurrent_converters
  COMMAND ${QF_CONVERT_FLOWS} concurrent ${QF_CONVERTER} ${HO}/concurrent ${MNIST} ${MNIST_LIST} ${QF_NET_RUN})
add_test(NAME e2e.hostile.net_run_deterministic
  COMMAND ${QF_CONVERT_FLOWS} net-run-deterministic ${QF_CONVERTER} ${HO}/deterministic ${FASHION}/model_fp32.onnx
          ${CD}/fashion/input_list.txt ${QF_NET_RUN})
set_tests_properties(e2e.hostile.concurrent_converters e2e.hostile.net_run_deterministic PROPERTIES LABELS e2e TIMEOUT 300)
