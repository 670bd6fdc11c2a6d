// SPDX-License-Identifier: Apache-2.0
// The quantizer: gives every tensor of the plan its encoding and turns encoded constants into
// integer codes. Precedence, per tensor: an override (--quantization_overrides) beats an encoding
// the model's Q/DQ nodes carried (passes/absorb_qdq.cpp), which beats calibration. Tensors that
// share a group (quant/plan.h) take the group's encoding unless they have one of their own.
#pragma once

#include <string>

#include "core/status.h"
#include "ir/graph.h"
#include "quant/calibrate.h"
#include "ir/encoding.h"
#include "quant/observer.h"
#include "quant/overrides.h"
#include "quant/plan.h"

namespace qf {

struct QuantizerOptions {
  QuantScheme act{QuantSchema::kAsymmetric, 8};
  // Symmetric weights by default (QNN's default is asymmetric): oneDNN's int8 convolutions take
  // no weight zero point, so asymmetric weights could only run in float.
  QuantScheme param{QuantSchema::kSymmetric, 8};
  int bias_bitwidth = 32;
  std::string param_calibration = "min-max";
  ObserverOptions observer_options;
  // --enable_float_fallback: a tensor with no encoding from anywhere stays float instead of
  // being an error.
  bool float_fallback = false;
  // --ignore_unknown_override_tensors: overrides for tensors the graph lacks are warnings.
  bool ignore_unknown_overrides = false;
};

// Checks that every override names a tensor of the graph: its own name, or one a pass merged into
// a tensor that keeps its values' range. A name the graph never had is a bad_input that names the
// closest names (unless `ignore_unknown`: assign_encodings warns then); one whose values a pass
// folded away is a bad_input. The converter runs it right after the passes, before calibration,
// so that a typo costs no calibration time; assign_encodings resolves the names the same way.
Status check_override_tensors(const Graph& graph, const QuantizationOverrides& overrides, bool ignore_unknown);

// Sets Value::encoding (and encoding_source) on every tensor of the plan that gets one.
// `overrides` and `calibration` may be null. Errors name the tensors (and the override's JSON path).
Status assign_encodings(Graph& graph, const QuantPlan& plan, const QuantizerOptions& options,
                        const QuantizationOverrides* overrides, const CalibrationState* calibration);

// The bias rule, for a bias whose input and weight encodings are settled: with --bias_bw 32 an
// int32 encoding on the grid s_in x s_w (none when the op runs in float or its input is per
// channel), with 8 an encoding of its own values. quant/weight_rounding.cpp reuses it for the
// biases it changes.
Status assign_bias_encoding(Value* bias, const Value* input, const Value* weight, const QuantizerOptions& options);

// Replaces every encoded constant's float payload by its integer codes (Encoding::storage_dtype;
// 4-bit codes are kept one per byte here and packed by the package writer).
Status quantize_constants(Graph& graph);

}  // namespace qf
