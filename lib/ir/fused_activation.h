// SPDX-License-Identifier: Apache-2.0
// A Relu or Clip squashed into the op that produces its input (passes/squash_activations.cpp):
// the producer's output is clamped to [min, max]. It is kept as two optional float attributes,
// `fused_min` and `fused_max`, so that the IR keeps one Node type and the quantized graph carries
// it like any attribute. Every backend applies it; the encoding of the output is the clamped range.
#pragma once

#include <limits>
#include <optional>

#include "ir/graph.h"

namespace qf {

inline constexpr const char* kFusedMinAttr = "fused_min";
inline constexpr const char* kFusedMaxAttr = "fused_max";

struct FusedActivation {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();

  bool is_relu() const { return min == 0.f && max == std::numeric_limits<float>::infinity(); }
  float apply(float v) const { return v < min ? min : (v > max ? max : v); }
};

std::optional<FusedActivation> fused_activation(const Node& node);
// Tightens an existing fused activation (Relu then Clip(0, 6) is Clip(0, 6)).
void add_fused_activation(Node& node, const FusedActivation& act);
// Applies the node's fused activation to its float32 output in place; a no-op without one.
void apply_fused_activation(const Node& node, Tensor& output);

}  // namespace qf
