// SPDX-License-Identifier: Apache-2.0
// mse: PyTorch HistogramObserver's range search (from caffe2's NormMinimization) on a 2048-bin
// histogram over the observed [min, max]. It trims the histogram from whichever end would drop
// more bins for the next 1e-5 quantile step, scores each trimmed range [start, end] by the L2
// error of quantizing the histogram onto 2^bitwidth levels over it (clipped mass pays its distance
// to the nearest end level), and stops at the first step that makes the error worse.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/observers/factories.h"
#include "quant/observers/histogram_observer.h"

namespace qf {
namespace {

constexpr double kQuantileStep = 1e-5;

// Integral of d^2 from a to b, times a density.
double squared_distance_mass(double a, double b, double density) {
  return density * (b * b * b - a * a * a) / 3.0;
}

// The L2 error of quantizing the histogram (bins of width `width`) onto `levels` equal levels
// spanning source bins [start, end]. Each source bin is a uniform density; the part falling in a
// level pays the squared distance to that level's centre. Level indices are clamped to the
// range, so mass outside [start, end] pays its distance to the first or last level.
double quantization_error(const std::vector<double>& hist, double width, int start, int end, double levels) {
  double level_width = width * (end - start + 1) / levels;
  if (level_width == 0) return 0;
  double half = level_width / 2;
  double error = 0;
  for (size_t b = 0; b < hist.size(); ++b) {
    if (hist[b] == 0) continue;
    double density = hist[b] / width;
    double begin = (static_cast<double>(b) - start) * width;
    double finish = begin + width;
    double first = std::clamp(std::floor(begin / level_width), 0.0, levels - 1);
    double last = std::clamp(std::floor(finish / level_width), 0.0, levels - 1);
    // The partial first level, the full levels between, the partial last level. When the bin lies
    // inside one level the three terms still add up to its integral (the middle one is -1 level).
    error += squared_distance_mass(begin - (first + 0.5) * level_width, half, density);
    error += (last - first - 1) * squared_distance_mass(-half, half, density);
    error += squared_distance_mass(-half, finish - (last + 0.5) * level_width, density);
  }
  return error;
}

class MseObserver final : public HistogramObserver {
 public:
  MseObserver() : HistogramObserver(Values::kSigned) {}

  std::string_view name() const override { return "mse"; }

  Result<Range> compute(const QuantScheme& scheme) const override {
    if (stats_.empty()) return observer_state::no_values_error(name());
    if (!(stats_.max > stats_.min)) return Range{stats_.min, stats_.max};
    double lo = stats_.min;
    double hi = stats_.max;
    std::vector<double> hist = hist_.rebin(lo, hi, kHistogramBins);
    double width = (hi - lo) / kHistogramBins;
    double levels = std::ldexp(1.0, scheme.bitwidth);

    std::vector<double> cum(hist.size());
    double total = 0;
    for (size_t i = 0; i < hist.size(); ++i) cum[i] = total += hist[i];

    double alpha = 0, beta = 1;
    int start = 0, end = kHistogramBins - 1;
    double best = std::numeric_limits<double>::infinity();
    while (alpha < beta) {
      double next_alpha = alpha + kQuantileStep;
      double next_beta = beta - kQuantileStep;
      // l: the first bin in [start, end] whose cumulative count reaches next_alpha (else end);
      // r: the last bin in (start, end] whose cumulative count stays within next_beta (else start).
      double low_target = next_alpha * total;
      double high_target = next_beta * total;
      int l = static_cast<int>(std::lower_bound(cum.begin() + start, cum.begin() + end, low_target) -
                               cum.begin());
      int r = static_cast<int>(std::upper_bound(cum.begin() + start + 1, cum.begin() + end + 1, high_target) -
                               cum.begin()) -
              1;
      int next_start = start, next_end = end;
      if (l - start > end - r) {
        next_start = l;
        alpha = next_alpha;
      } else {
        next_end = r;
        beta = next_beta;
      }
      if (next_start == start && next_end == end) continue;
      double error = quantization_error(hist, width, next_start, next_end, levels);
      if (error > best) break;
      best = error;
      start = next_start;
      end = next_end;
    }
    return Range{static_cast<float>(lo + width * start), static_cast<float>(lo + width * (end + 1))};
  }
};

}  // namespace

std::unique_ptr<Observer> make_mse_observer(const ObserverOptions&) {
  return std::make_unique<MseObserver>();
}

}  // namespace qf
