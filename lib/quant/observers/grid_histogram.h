// SPDX-License-Identifier: Apache-2.0
// GridHistogram: a histogram with bounded memory that merges exactly, the state of every
// histogram observer (mse, entropy, percentile, sqnr).
//
// Why not PyTorch's scheme: PyTorch keeps 2048 bins over the running [min, max] and re-bins by
// upsampling when a batch widens the range, so the result depends on the batch order and on
// where the range happened to be when each batch came; two halves merged do not equal one pass.
//
// Design: bins are [k*w, (k+1)*w) for integer k on a grid anchored at 0, with w = 2^exponent.
// The exponent is the smallest (>= kMinExponent) for which all observed values fit in kGridBins
// consecutive bins and |k| < 2^(kIndexBits+1). Bin indices are exact, k = floor(x * 2^-exponent)
// (a power-of-two scaling is exact in double), and floor(k / 2) is the index of x one exponent up,
// so growing the range merges bin pairs without any loss beyond what the coarser grid implies.
// That makes the state a pure function of the set of values observed: whatever the batch order or
// the split across processes, merging gives identical counts, exponent and min/max. Only the
// occupied bins are stored ([floor(min/w), floor(max/w)], between kGridBins/2 and kGridBins of
// them once the data spans more than a point), which also makes the state canonical.
//
// Algorithms do not read the grid directly: rebin() resamples it onto the classic 2048 equal bins
// over [lo, hi] through the piecewise-linear CDF (uniform density inside a grid bin, whose outer
// edges are clipped to the observed min and max). With 4096..8192 grid bins across the data, each
// analysis bin spans two to four grid bins.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <vector>

#include "core/status.h"

namespace qf {

class GridHistogram {
 public:
  static constexpr int64_t kGridBins = 8192;
  // Below float's smallest subnormal (2^-149): a constant tensor never forces a coarser grid.
  static constexpr int kMinExponent = -160;
  // Keeps |k| below 2^41, so indices fit int64 and doubles exactly, for constant tensors too.
  static constexpr int kIndexBits = 40;

  // Adds the finite values; returns how many were not finite (and skipped).
  uint64_t add(std::span<const float> values);
  void merge(const GridHistogram& other);

  bool empty() const { return total_ == 0; }
  uint64_t total() const { return total_; }
  float min() const { return min_; }
  float max() const { return max_; }
  int exponent() const { return exponent_; }
  int64_t first_index() const { return first_; }
  const std::vector<uint64_t>& counts() const { return counts_; }

  // Mass in `bins` equal bins over [lo, hi] (lo < hi; last edge exactly hi) on the piecewise-linear
  // CDF described above; values outside [lo, hi] are not counted.
  std::vector<double> rebin(double lo, double hi, int bins) const;
  // The value below which `fraction` of the values lie on the same CDF (min at 0, max at 1).
  double quantile(double fraction) const;
  // The inverse: the share of the values below x on that CDF (0 when empty).
  double share_below(double x) const;

  // {"exponent", "first", "counts" (zero runs written as one negative number), "total", "min", "max"}
  nlohmann::json to_json() const;
  Status from_json(const nlohmann::json& j);

 private:
  double bin_left(size_t i) const;
  double bin_right(size_t i) const;
  double cdf(double x, const std::vector<double>& cum_before) const;
  std::vector<double> cumulative() const;
  void coarsen_to(int exponent);

  int exponent_ = kMinExponent;
  int64_t first_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  float min_ = 0;
  float max_ = 0;
};

}  // namespace qf
