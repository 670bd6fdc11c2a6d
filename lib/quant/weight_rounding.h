// SPDX-License-Identifier: Apache-2.0
// Data-driven weight algorithms (--algorithms), run after every encoding is set and before the
// constants become codes. Both read the layer input statistics of quant/input_moments.h, which
// calibration collects from the float model, and both leave the encodings (the grids) as they are:
//
//  adaround  chooses for each weight whether its code rounds down or up, to minimise the layer's
//            output error on the calibration inputs, E ||(W~ - W) x||^2, instead of rounding every
//            weight to its nearest code on its own. This is AdaRound's layer-wise objective
//            (Nagel et al., ICML 2020) with float inputs, written as the quadratic form
//            (w~ - w)^T E[x x^T] (w~ - w) of each output channel's weights w. It is minimised by
//            coordinate descent from nearest rounding: sweep over the weights, move a code to its
//            other neighbour when that lowers the error, until no move does. So it is never
//            worse than nearest rounding on the calibration data. (AdaRound proper relaxes the
//            choice with a rectified sigmoid and anneals it by gradient descent; the objective
//            and the floor-or-ceil constraint are the same.)
//  bc        bias correction (Nagel et al., ICCV 2019, the empirical variant): rounding shifts the
//            mean of every output channel by (w~ - w) . E[x]; that is taken off the bias (a bias
//            is added to a Conv, Gemm or MatMul that had none; MatMul's is qforge's third input). With both, adaround minimises the error's
//            variance, (w~ - w)^T Cov[x] (w~ - w), since bc removes its mean.
//
// Left alone (nearest rounding, bias as it is): weights whose encodings came from overrides or
// the model's Q/DQ nodes (a QAT tool rounded them already), layers that run in float, layers
// quant/input_moments.h does not collect.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "quant/input_moments.h"
#include "quant/quantizer.h"

namespace qf {

struct WeightAlgorithms {
  bool adaround = false;
  bool bias_correction = false;

  bool any() const { return adaround || bias_correction; }
  std::vector<std::string> names() const;
};

// --algorithms values: "adaround", "bc"; anything else is a usage error listing them.
Result<WeightAlgorithms> parse_weight_algorithms(std::span<const std::string> names);

// One output channel's codes: q[j] is floor or ceil of w[j] / scale - offset (clamped to
// [qmin, qmax]), chosen to minimise rounding_error(); h is the K x K matrix of the quadratic form,
// row-major. Starts from nearest rounding (quantize_value), so the result is never worse; with
// `search` false it stays there (the errors are still measured).
struct RowRounding {
  std::vector<int64_t> nearest;  // quantize_value of each weight
  std::vector<int64_t> codes;
  double error_nearest = 0;  // rounding_error of nearest rounding
  double error_chosen = 0;   // rounding_error of `codes`
};
RowRounding round_row(std::span<const double> w, const double* h, const Encoding& e, size_t channel,
                      bool search = true);
// (w~ - w)^T h (w~ - w) with w~[j] = dequantize_value(q[j]).
double rounding_error(std::span<const double> w, std::span<const int64_t> q, const double* h, const Encoding& e,
                      size_t channel);

struct WeightAlgorithmsReport {
  int64_t layers = 0;           // layers whose weights or bias the algorithms set
  int64_t codes = 0;            // weight codes in those layers
  int64_t moved_codes = 0;      // codes adaround took away from nearest rounding
  int64_t added_biases = 0;     // bc: layers that had no bias
  double error_nearest = 0;     // sum over layers of E||(W~ - W)x||^2 / E||Wx||^2, nearest rounding
  double error_chosen = 0;      // the same for the chosen codes (and corrected biases)
};

// Rewrites each adjusted layer's float weights onto the chosen grid points (so that
// quantize_constants gives exactly the chosen codes) and corrects its bias, re-deriving the bias
// encoding. `moments` must come from calibrating this graph.
Result<WeightAlgorithmsReport> apply_weight_algorithms(Graph& graph, const LayerInputMoments& moments,
                                                       const WeightAlgorithms& algorithms,
                                                       const QuantizerOptions& options);

}  // namespace qf
