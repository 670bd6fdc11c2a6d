// SPDX-License-Identifier: Apache-2.0
// What the data-driven weight algorithms (quant/weight_rounding.h) need to know about a linear
// layer's input: over the calibration inferences, the sum and the Gram matrix (sum of x x^T) of
// the vectors x that each output value is a dot product of the weights with. For a Conv these are
// its receptive-field patches (padding counts as zeros), one patch space per group; for Gemm and
// MatMul the rows of the input. With them, the mean and the mean square of (W~ - W) x over the
// calibration data are a linear and a quadratic form in the weight error, for any rounding W~,
// so no activation has to be kept.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace qf {

class Executor;

// The rows of one output channel's weights: a Conv's weights [M, C/g, k...] have one row per M,
// a Gemm / MatMul weight [K, N] (or [N, K] with transB) one per output feature N.
struct WeightRows {
  int64_t rows = 0;
  int64_t length = 0;       // = InputMoments::size
  int64_t row_stride = 0;   // elements between rows
  int64_t item_stride = 1;  // elements between the items of one row
  int64_t rows_per_group = 0;
};

struct InputMoments {
  WeightRows weights;        // the layer's weights, the rows these statistics serve
  int64_t groups = 1;        // Conv groups: each has its own patch space and its own statistics
  int64_t size = 0;          // K: the length of one input vector (C/group x kernel volume, or K of Gemm)
  int64_t count = 0;         // input vectors seen per group
  std::vector<double> sum;   // [groups][K]
  std::vector<double> gram;  // [groups][K][K]

  const double* group_sum(int64_t g) const { return sum.data() + g * size; }
  const double* group_gram(int64_t g) const { return gram.data() + g * size * size; }
};

// The node's weight layout as rows, or nullopt with `why` for layers the algorithms leave alone:
// not a Conv / Gemm / MatMul, weights not a float constant of this node alone, an input whose
// shape is not static, Gemm with transA, alpha or beta other than 1, or MatMul weights of rank != 2.
std::optional<WeightRows> adjustable_weight_rows(const Node& node, std::string* why);

class LayerInputMoments {
 public:
  // Gram matrices above this many entries per layer (groups x K x K) are not collected: the layer
  // keeps nearest rounding. 2^24 doubles is 128 MiB, a 3x3 Conv with 455 input channels.
  static constexpr int64_t kMaxGramEntries = int64_t{1} << 24;
  // And all layers together at most 2^27 (1 GiB): the layers past it keep nearest rounding too.
  static constexpr int64_t kMaxTotalGramEntries = int64_t{1} << 27;

  // Every adjustable layer of the graph (see adjustable_weight_rows); the ones over the limit are
  // named in a warning.
  static LayerInputMoments for_graph(const Graph& graph);

  // Adds the inputs of every layer from one inference (`executor` has just run it in float).
  Status observe(const Executor& executor);

  const InputMoments* find(const Node* node) const;
  size_t layers() const { return layers_.size(); }

 private:
  std::map<const Node*, InputMoments> layers_;
};

// The input vectors of one layer for one inference, [groups][vectors][K] (exposed for the tests).
Result<std::vector<float>> layer_input_vectors(const Node& node, const Tensor& input, int64_t* vectors);

}  // namespace qf
