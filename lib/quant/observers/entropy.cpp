// SPDX-License-Identifier: Apache-2.0
// entropy: TensorRT's entropy calibration (GTC 2017 "8-bit Inference with TensorRT"), as ncnn
// implements it: a 2048-bin histogram of |x| over [0, absmax] (exact zeros left out); for each
// candidate i = 128 .. 2048 bins kept, P is bins [0, i) with the clipped tail added to its last
// bin, Q is the same bins (without the tail) merged into `levels` groups and spread back evenly
// over each group's non-empty bins; the i with the smallest KL(P || Q) wins and the threshold is
// T = (i + 0.5) * bin width, giving [-T, T] clamped to the observed [min, max].
//
// Choices where the sources differ or are silent (all documented in algorithms.md section 1b):
// - levels: 2^(bw-1) (128 at 8 bit) when the grid must hold negative values, 2^bw - 1 (255) when
//   the tensor is non-negative and the schema gives it an unsigned grid;
// - bin j of i goes to group floor(j * levels / i) (an integer split, no fractional overlap);
//   with fewer than `levels` bins each bin is its own group;
// - no epsilon smoothing: a Q of 0 where P > 0 makes the candidate's KL infinite (pytorch-
//   quantization's behaviour); i = 2048 has no tail, so some candidate is always finite;
// - ties keep the smaller threshold.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/observers/factories.h"
#include "quant/observers/histogram_observer.h"

namespace qf {
namespace {

constexpr int kFirstCandidateBins = 128;

// KL(P || Q) for keeping the first `kept` bins of hist, with `levels` quantization levels.
double candidate_divergence(const std::vector<double>& hist, double tail, int kept, int64_t levels) {
  int64_t groups = std::min<int64_t>(levels, kept);
  std::vector<double> group_sum(static_cast<size_t>(groups), 0.0);
  std::vector<double> group_nonzero(static_cast<size_t>(groups), 0.0);
  for (int j = 0; j < kept; ++j) {
    size_t g = static_cast<size_t>(j * groups / kept);
    group_sum[g] += hist[static_cast<size_t>(j)];
    if (hist[static_cast<size_t>(j)] > 0) group_nonzero[g] += 1;
  }
  std::vector<double> p(hist.begin(), hist.begin() + kept);
  p.back() += tail;
  std::vector<double> q(static_cast<size_t>(kept), 0.0);
  double p_total = 0, q_total = 0;
  for (int j = 0; j < kept; ++j) {
    size_t g = static_cast<size_t>(j * groups / kept);
    if (hist[static_cast<size_t>(j)] > 0) q[static_cast<size_t>(j)] = group_sum[g] / group_nonzero[g];
    p_total += p[static_cast<size_t>(j)];
    q_total += q[static_cast<size_t>(j)];
  }
  if (q_total == 0) return std::numeric_limits<double>::infinity();  // all kept bins empty
  double kl = 0;
  for (int j = 0; j < kept; ++j) {
    double pj = p[static_cast<size_t>(j)] / p_total;
    if (pj == 0) continue;
    double qj = q[static_cast<size_t>(j)] / q_total;
    if (qj == 0) return std::numeric_limits<double>::infinity();
    kl += pj * std::log(pj / qj);
  }
  return kl;
}

class EntropyObserver final : public HistogramObserver {
 public:
  EntropyObserver() : HistogramObserver(Values::kMagnitudes) {}

  std::string_view name() const override { return "entropy"; }

  Result<Range> compute(const QuantScheme& scheme) const override {
    if (stats_.empty()) return observer_state::no_values_error(name());
    if (hist_.empty()) return Range{stats_.min, stats_.max};  // only zeros
    double absmax = hist_.max();
    std::vector<double> hist = hist_.rebin(0.0, absmax, kHistogramBins);
    bool unsigned_grid = stats_.min >= 0 && scheme.schema != QuantSchema::kSymmetric;
    int64_t levels =
        unsigned_grid ? (int64_t{1} << scheme.bitwidth) - 1 : int64_t{1} << (scheme.bitwidth - 1);

    std::vector<double> tail(hist.size() + 1, 0.0);  // tail[i]: mass in bins i and above
    for (size_t i = hist.size(); i-- > 0;) tail[i] = tail[i + 1] + hist[i];

    int best_kept = kHistogramBins;
    double best = std::numeric_limits<double>::infinity();
    for (int kept = kFirstCandidateBins; kept <= kHistogramBins; ++kept) {
      double kl = candidate_divergence(hist, tail[static_cast<size_t>(kept)], kept, levels);
      if (kl < best) {
        best = kl;
        best_kept = kept;
      }
    }
    double threshold = (best_kept + 0.5) * (absmax / kHistogramBins);
    float lo = std::max(stats_.min, static_cast<float>(-threshold));
    float hi = std::min(stats_.max, static_cast<float>(threshold));
    return Range{lo, hi};
  }
};

}  // namespace

std::unique_ptr<Observer> make_entropy_observer(const ObserverOptions&) {
  return std::make_unique<EntropyObserver>();
}

}  // namespace qf
