// SPDX-License-Identifier: Apache-2.0
// The quantization plan: which tensors of an (optimized) graph get which kind of encoding, read
// off the op table (ops.def's QuantRule and InputRoles):
//  - activations: every float tensor computed at run time (graph inputs and node outputs), in
//    groups that share one encoding: a data-movement op's output joins its input's group
//    (kSameAsIn), a Concat's inputs and output form one (kShared);
//  - weights: constants in a weight slot, per channel / per row when the options and the op allow;
//  - biases: constants in a bias slot, on the grid of input scale x weight scale (32 bit);
//  - data constants: constants in a data slot (Add(x, c)), per tensor.
// Parameters (shapes, axes, bounds) are never quantized.
#pragma once

#include <map>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

struct ActivationGroup {
  std::vector<Value*> members;   // in topological order; members[0] names the group
  std::vector<Value*> observed;  // members whose values cover the group's (calibration watches these)
  // Constants the group's ops read as data (Concat(x, c), an embedding table Gather selects from):
  // the group's range covers them and they take its encoding, so the op moves codes.
  std::vector<Value*> constant_inputs;
  // kWithinInput: the input whose encoding the group takes when it gets none of its own.
  const Value* fallback = nullptr;
  // Every observed member comes from a kUnitInterval op: the group's values are probabilities,
  // its encoding [0, 1] unless an override or the model's Q/DQ give one.
  bool unit_interval = false;
  // The group feeds the second operand of a MatMul of two activations (attention's Kᵀ and V):
  // calibrated on a signed symmetric grid, which oneDNN's int8 matmul takes as s8 weights (it
  // has no weight zero point). Only where calibration decides; overrides and Q/DQ stand.
  bool symmetric = false;
};

struct ConstantUse {
  enum class Kind { kWeight, kBias, kData };
  Kind kind;
  Value* value;
  const Node* node;  // the op that reads it (the first one, if several do)
  int axis = -1;     // weights: the output-channel axis when quantized per channel / per row
  Value* input = nullptr;   // biases: the activation the op multiplies with the weight
  Value* weight = nullptr;  // biases: the op's weight
};

struct QuantPlan {
  std::vector<ActivationGroup> groups;
  std::map<const Value*, size_t> group_of;
  std::vector<ConstantUse> constants;  // weights first, then data constants, then biases
};

struct PlanOptions {
  bool per_channel = false;  // --use_per_channel_quantization: Conv / ConvTranspose weights
  bool per_row = false;      // --use_per_row_quantization: Gemm / MatMul weights
};

Result<QuantPlan> plan_quantization(const Graph& graph, const PlanOptions& options);

// Whether a constant holds NaN or an infinity (an attention mask's -inf): no grid holds it, so it
// stays float, and the tensors it is mixed into hold infinities by design.
bool has_non_finite(const Tensor& t);

}  // namespace qf
