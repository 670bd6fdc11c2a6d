// SPDX-License-Identifier: Apache-2.0
// sqnr: AIMET's SQNR encoding analyzer (the TF-enhanced idea): try a small set of (scale, offset)
// candidates on a 2048-bin histogram over the observed [min, max] and keep the one with the least
// noise. Each bin's count sits at its midpoint; the noise is the count-weighted squared error of
// quantize-dequantize, with clipped bins weighted by gamma = 3 (clipping hurts more than rounding).
//
// Asymmetric candidates follow AIMET: with the range widened to include 0 (and to kMinEncodingRange),
// D = (max - min) / (2^bw - 1); scales D * k / 16 for k = 1..17; offsets: 20 values rounded from
// -(2^bw - 1) to 0 evenly, plus round(min / D); each candidate's range is clipped to the observed
// (nudged) range and its scale and offset recomputed from the clipped range.
// Symmetric candidates are adapted to our grid (AIMET's uses absmax / 127.5): scales D * k / 100,
// k = 1..101, with D = absmax / (2^(bw-1) - 1) on a signed grid, or D = max / (2^bw - 1) on the
// unsigned grid unsignedsymmetric gives non-negative tensors; so k = 100 is exactly min-max.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/observers/factories.h"
#include "quant/observers/histogram_observer.h"

namespace qf {
namespace {

constexpr double kClipWeight = 3.0;  // AIMET's gamma
constexpr int kAsymmetricScales = 17;
constexpr int kAsymmetricScaleDivisor = 16;
constexpr int kOffsetCandidates = 21;  // 20 spread over [-(2^bw - 1), 0] and the observed one
constexpr int kSymmetricScales = 101;
constexpr int kSymmetricScaleDivisor = 100;
constexpr double kMinScale = FLT_EPSILON;  // AIMET's floor on a candidate scale

struct Candidate {
  double scale;
  double offset;  // x = (q + offset) * scale, q in [qmin, qmax]
};

// Count-weighted squared quantize-dequantize error of the bin midpoints.
double noise(const std::vector<double>& hist, const std::vector<double>& midpoints, const Candidate& c,
             double qmin, double qmax) {
  double total = 0;
  for (size_t j = 0; j < hist.size(); ++j) {
    if (hist[j] == 0) continue;
    double q = round_half_even(midpoints[j] / c.scale - c.offset);
    bool clipped = q < qmin || q > qmax;
    q = std::clamp(q, qmin, qmax);
    double err = (q + c.offset) * c.scale - midpoints[j];
    total += err * err * hist[j] * (clipped ? kClipWeight : 1.0);
  }
  return total;
}

std::vector<Candidate> asymmetric_candidates(double lo, double hi, double steps) {
  double max_scale = (hi - lo) / steps;
  double observed_offset = round_half_even(lo / max_scale);
  double observed_min = max_scale * observed_offset;
  double observed_max = observed_min + max_scale * steps;
  std::vector<double> offsets;
  int spread = std::min<int>(kOffsetCandidates - 1, static_cast<int>(steps) + 1);
  for (int i = 0; i < spread; ++i) offsets.push_back(round_half_even(-steps + i * (steps / (spread - 1))));
  offsets.push_back(observed_offset);
  std::vector<Candidate> out;
  for (int k = 1; k <= kAsymmetricScales; ++k) {
    double scale = max_scale * k / kAsymmetricScaleDivisor;
    for (double offset : offsets) {
      double cmin = std::max(observed_min, scale * offset);
      double cmax = std::min(observed_max, scale * offset + scale * steps);
      double s = std::max((cmax - cmin) / steps, kMinScale);
      out.push_back({s, round_half_even(cmin / s)});
    }
  }
  return out;
}

class SqnrObserver final : public HistogramObserver {
 public:
  SqnrObserver() : HistogramObserver(Values::kSigned) {}

  std::string_view name() const override { return "sqnr"; }

  Result<Range> compute(const QuantScheme& scheme) const override {
    if (stats_.empty()) return observer_state::no_values_error(name());
    if (!(stats_.max > stats_.min)) return Range{stats_.min, stats_.max};
    double min = stats_.min;
    double max = stats_.max;
    std::vector<double> hist = hist_.rebin(min, max, kHistogramBins);
    double width = (max - min) / kHistogramBins;
    std::vector<double> midpoints(hist.size());
    for (size_t j = 0; j < hist.size(); ++j) midpoints[j] = min + width / 2 + width * static_cast<double>(j);

    double lo = std::min(min, 0.0);
    double hi = std::max(max, 0.0);
    hi = std::max(hi, lo + kMinEncodingRange);
    double steps = std::ldexp(1.0, scheme.bitwidth) - 1;
    bool asymmetric = scheme.schema == QuantSchema::kAsymmetric;
    bool signed_grid = !asymmetric && (scheme.schema == QuantSchema::kSymmetric || min < 0);

    std::vector<Candidate> candidates;
    double qmin = 0, qmax = steps;
    if (asymmetric) {
      candidates = asymmetric_candidates(lo, hi, steps);
    } else {
      double positive_steps = signed_grid ? std::ldexp(1.0, scheme.bitwidth - 1) - 1 : steps;
      if (signed_grid) qmin = -positive_steps - 1, qmax = positive_steps;
      double max_scale = (signed_grid ? std::max(-lo, hi) : hi) / positive_steps;
      for (int k = 1; k <= kSymmetricScales; ++k) {
        candidates.push_back({std::max(max_scale * k / kSymmetricScaleDivisor, kMinScale), 0.0});
      }
    }

    const Candidate* best = &candidates.front();
    double best_noise = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates) {
      double n = noise(hist, midpoints, c, qmin, qmax);
      if (n < best_noise) {
        best_noise = n;
        best = &c;
      }
    }
    if (asymmetric) {
      double enc_min = best->offset * best->scale;
      return Range{static_cast<float>(enc_min), static_cast<float>(enc_min + steps * best->scale)};
    }
    // compute_encoding's symmetric scale is absmax / qmax, so hand it qmax * scale.
    double reach = qmax * best->scale;
    return Range{signed_grid ? static_cast<float>(-reach) : 0.0f, static_cast<float>(reach)};
  }
};

}  // namespace

std::unique_ptr<Observer> make_sqnr_observer(const ObserverOptions&) {
  return std::make_unique<SqnrObserver>();
}

}  // namespace qf
