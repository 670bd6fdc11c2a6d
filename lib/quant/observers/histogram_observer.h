// SPDX-License-Identifier: Apache-2.0
// The state shared by the histogram observers (mse, entropy, percentile, sqnr): running min/max
// and a GridHistogram of x, or of |x| without exact zeros (entropy). Each algorithm is one
// subclass, in its own file, that only implements name() and compute().
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "quant/observer.h"
#include "quant/observers/grid_histogram.h"
#include "quant/observers/observer_state.h"

namespace qf {

// The analysis resolution the published algorithms are defined on (PyTorch, TensorRT, AIMET).
inline constexpr int kHistogramBins = 2048;

class HistogramObserver : public Observer {
 public:
  enum class Values { kSigned, kMagnitudes };
  explicit HistogramObserver(Values values) : values_(values) {}

  void observe(std::span<const float> values) override;
  Status merge(const Observer& other) override;
  nlohmann::json to_json() const override;
  Status from_json(const nlohmann::json& state) override;
  uint64_t count() const override { return stats_.count; }
  uint64_t nonfinite_count() const override { return stats_.nonfinite; }
  std::optional<double> clipped_share(const Range& range) const override;

 protected:
  observer_state::RangeStats stats_;  // of x
  GridHistogram hist_;                // of x, or of |x| for x != 0

 private:
  Values values_;
};

}  // namespace qf
