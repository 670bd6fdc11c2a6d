// SPDX-License-Identifier: Apache-2.0
// Quantization overrides: the AIMET encodings JSON that QAT tools export and QNN's
// --quantization_overrides reads, in its legacy (0.4 - 0.6.1: dicts of per-channel lists) and
// 1.0.0 (lists of named entries) forms; schemas/quantization_overrides.schema.json describes both.
// The writer produces the legacy 0.6.1 form (--dump_encoding_json), which the reader takes back.
//
// Offsets follow AIMET: x = (q + offset) * scale with q on the unsigned grid, so a symmetric int8
// encoding appears as offset -128; the reader turns that into qforge's signed grid (offset 0).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "ir/encoding.h"

namespace qf {

struct EncodingOverride {
  std::string json_path;  // where it came from, for messages: param_encodings["conv1.weight"]
  bool keep_float = false;  // dtype "float": the tensor stays in float
  // Per-tensor (one scale) or per-channel (one per channel; the axis is -1 until the consumer
  // op decides it, see with_axis()).
  Encoding encoding;
};

struct QuantizationOverrides {
  std::string path;
  std::string version;
  std::map<std::string, EncodingOverride> activations;
  std::map<std::string, EncodingOverride> params;

  bool empty() const { return activations.empty() && params.empty(); }
};

// Nesting deeper than this is refused before parsing: no encodings file needs more than a few.
inline constexpr int kMaxOverridesJsonDepth = 64;

// Reads and validates an overrides file; every problem is a bad_input naming the file and the
// JSON path (activation_encodings["x"][0].scale: must be a positive number).
Result<QuantizationOverrides> read_quantization_overrides(const std::string& path);
Result<QuantizationOverrides> parse_quantization_overrides(const std::string& text, const std::string& path);

// The graph's encodings as AIMET 0.6.1 JSON: activations (non-constant tensors) and params
// (constants: weights, biases), one entry per channel. Tensors without an encoding are left out.
std::string write_aimet_encodings(const Graph& graph);

}  // namespace qf
