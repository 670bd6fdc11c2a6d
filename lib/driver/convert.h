// SPDX-License-Identifier: Apache-2.0
// What qforge-onnx-converter does, as a library call:
//
//   ONNX -> import -> absorb Q/DQ -> optimization passes [-> SmoothQuant] -> plan -> calibrate (+ merge states)
//        -> assign encodings (overrides > Q/DQ > calibration) [-> adaround / bias correction]
//        -> quantize constants
//        -> model.qgraph.json + model.bin [+ AIMET encodings JSON] [+ ONNX QDQ export]
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "io/input_layout.h"
#include "quant/calibrate.h"
#include "quant/quantizer.h"
#include "quant/smooth_quant.h"
#include "quant/weight_rounding.h"

namespace qf {

struct ConvertOptions {
  std::string input_network;
  std::string output_path;  // model.qgraph.json; optional when only a calibration state is wanted
  std::string input_list;
  std::map<std::string, Shape> input_dims;
  std::map<std::string, InputLayout> input_layouts;  // --input_layout: raws not in the model's layout
  QuantizerOptions quantizer;
  CalibrationOptions calibration;
  bool per_channel = false;
  bool per_row = false;
  WeightAlgorithms algorithms;  // --algorithms: weight rounding and bias correction from calibration data
  // --smooth_quant ALPHA | auto: nullopt without the flag; an empty inner optional for auto.
  std::optional<std::optional<float>> smooth_quant;
  std::string overrides_path;
  bool ignore_overrides = false;  // --ignore_quantization_overrides: also drops the model's Q/DQ encodings
  std::set<std::string, std::less<>> disabled_passes;
  std::string dump_ir_after;  // a pass name or "all": the graph after it goes to stdout
  std::vector<std::string> calibration_state_in;
  std::string calibration_state_out;
  std::string dump_encoding_json;
  std::string export_qdq;
  std::vector<std::string> command_line;  // recorded in the qgraph
};

// Usage errors for flag combinations that cannot work, before any file is read.
Status validate_convert_options(const ConvertOptions& options);

Status run_converter(const ConvertOptions& options);

}  // namespace qf
