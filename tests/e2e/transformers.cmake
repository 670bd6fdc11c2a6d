# --- The trained transformer examples end to end (included from CMakeLists.txt): calib/chargpt's
# windows come from Debian's license texts (scripts/prepare_text.py), calib/vit_fashion's images
# from calib/fashion (scripts/prepare_images.py), both turned into raw files at build time.
set(TD ${CMAKE_CURRENT_BINARY_DIR}/transformer_data)
add_custom_command(
  OUTPUT ${TD}/generated.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${TD}
  COMMAND ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/prepare_text.py --model-dir ${PROJECT_SOURCE_DIR}/calib/chargpt
          --split calib --count 32 --out ${TD}/gpt_calib
  COMMAND ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/prepare_text.py --model-dir ${PROJECT_SOURCE_DIR}/calib/chargpt
          --split eval --count 32 --out ${TD}/gpt_eval
  COMMAND ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/prepare_images.py --dataset fashion-calib
          --src ${PROJECT_SOURCE_DIR}/calib/fashion --count 200 --out ${TD}/fashion_calib
  COMMAND ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/prepare_images.py --dataset fashion
          --src ${PROJECT_SOURCE_DIR}/calib/fashion --count 1000 --out ${TD}/fashion_test
  COMMAND ${CMAKE_COMMAND} -E touch ${TD}/generated.stamp
  DEPENDS ${PROJECT_SOURCE_DIR}/scripts/prepare_text.py ${PROJECT_SOURCE_DIR}/scripts/prepare_images.py
  COMMENT "Preparing the transformer examples' windows and images"
  VERBATIM)
add_custom_target(qforge_transformer_data ALL DEPENDS ${TD}/generated.stamp)

foreach(flow chargpt_smooth_quant vit_w8a8)
  add_test(NAME e2e.transformers.${flow}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/transformer_flows.sh ${flow} $<TARGET_FILE:qforge-onnx-converter>
            $<TARGET_FILE:qforge-net-run> ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR} ${TD} ${QF_E2E_OUT}/transformers/${flow})
  set_tests_properties(e2e.transformers.${flow} PROPERTIES LABELS e2e TIMEOUT 600)
endforeach()
# onnxruntime-node on both exports: exit 77 (skipped) where it is not installed.
add_test(NAME e2e.transformers.qdq_onnxruntime
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/transformer_flows.sh qdq_onnxruntime $<TARGET_FILE:qforge-onnx-converter>
          $<TARGET_FILE:qforge-net-run> ${QFORGE_PYTHON} ${PROJECT_SOURCE_DIR} ${TD} ${QF_E2E_OUT}/transformers/qdq_onnxruntime)
set_tests_properties(e2e.transformers.qdq_onnxruntime PROPERTIES LABELS "e2e;ort" SKIP_RETURN_CODE 77 TIMEOUT 300)

qf_add_cli_test(convert.bad.smooth_quant_alpha CODE 2 STDERR [[--smooth_quant: '1\.5']]
  COMMAND ${QF_CONVERTER} --input_network ${PROJECT_SOURCE_DIR}/calib/chargpt/chargpt_opset17.onnx
          --input_list ${TD}/gpt_calib/input_list.txt --smooth_quant 1.5 -o ${QF_E2E_OUT}/transformers/bad/gpt.qgraph.json)
qf_add_cli_test(convert.bad.smooth_quant_without_list CODE 2 STDERR [[--smooth_quant needs an --input_list]]
  COMMAND ${QF_CONVERTER} --input_network ${PROJECT_SOURCE_DIR}/calib/chargpt/chargpt_opset17.onnx
          --smooth_quant auto -o ${QF_E2E_OUT}/transformers/bad/gpt.qgraph.json)
