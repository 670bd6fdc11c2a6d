// SPDX-License-Identifier: Apache-2.0
// percentile: cuts (100 - p)% of the values at each end, p = --percentile_calibration_value
// (AIMET's percentile analyzer cuts the same share from both tails). The quantiles are read off
// the grid histogram's piecewise-linear CDF, so p = 100 gives exactly the observed min and max.
#include "quant/observers/factories.h"
#include "quant/observers/histogram_observer.h"

namespace qf {
namespace {

class PercentileObserver final : public HistogramObserver {
 public:
  explicit PercentileObserver(double percentile)
      : HistogramObserver(Values::kSigned), percentile_(percentile) {}

  std::string_view name() const override { return "percentile"; }

  Result<Range> compute(const QuantScheme&) const override {
    if (stats_.empty()) return observer_state::no_values_error(name());
    double keep = percentile_ / 100.0;
    return Range{static_cast<float>(hist_.quantile(1.0 - keep)), static_cast<float>(hist_.quantile(keep))};
  }

 private:
  double percentile_;
};

}  // namespace

std::unique_ptr<Observer> make_percentile_observer(const ObserverOptions& options) {
  return std::make_unique<PercentileObserver>(options.percentile);
}

}  // namespace qf
