// SPDX-License-Identifier: Apache-2.0
// A quantized Graph as a standard ONNX QDQ model that any ONNX runtime can execute, at the lowest
// opset holding all its ops (13, or 17 with LayerNormalization, 20 with Gelu):
// every encoded activation is followed by QuantizeLinear -> DequantizeLinear, weights are int8
// (uint8) initializers read through DequantizeLinear (per axis for per-channel encodings), biases
// int32 initializers likewise, and fused activations become Relu / Clip nodes again. It is the
// interop path (onnxruntime fuses it into QLinearConv and friends) and an independent check of
// qforge's encodings.
#pragma once

#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// `graph` must have its constants quantized (quant/quantizer.h: quantize_constants).
Status export_qdq_onnx(const Graph& graph, const std::string& path);

}  // namespace qf
