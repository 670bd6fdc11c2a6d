// SPDX-License-Identifier: Apache-2.0
// Observer: watches the values a tensor takes during calibration and proposes a range for it
// (PyTorch's ObserverBase: observe + compute). One algorithm per file in observers/, created by
// name through observer_registry.h.
//
// State is serialisable and mergeable so that calibration can be split across processes:
// observing batches 1..k in one observer and k+1..n in another, then a.merge(b), gives the same
// state, bit for bit, as one observer that saw 1..n (merge in input-list order; only the moving
// average depends on that order). Histogram observers keep bounded memory on an exact power-of-two
// grid (observers/grid_histogram.h says how).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/encoding.h"

namespace qf {

struct Range {
  float min = 0;
  float max = 0;
};

// QNN --percentile_calibration_value: default and allowed interval.
inline constexpr double kDefaultPercentile = 99.99;
inline constexpr double kMinPercentile = 90.0;
inline constexpr double kMaxPercentile = 100.0;

// Options an observer may take; each observer reads only its own.
struct ObserverOptions {
  double percentile = kDefaultPercentile;  // percentile: keep this share of values, cut the rest
};

class Observer {
 public:
  virtual ~Observer() = default;

  // The registry name, also written into the state ("observer" key).
  virtual std::string_view name() const = 0;

  // Adds one batch: the values one inference gave the tensor. NaN and +-inf are counted in
  // nonfinite_count() and otherwise ignored (PyTorch's histogram observer drops them too).
  virtual void observe(std::span<const float> values) = 0;
  // float32 directly; float16 and float64 are converted; other dtypes are unsupported.
  Status observe(const Tensor& t);

  // The proposed real range; turn it into an encoding with compute_encoding (or encoding()).
  // The scheme matters to the methods that search on the quantization grid (entropy, mse, sqnr).
  // bad_input when no finite value was observed.
  virtual Result<Range> compute(const QuantScheme& scheme) const = 0;
  Result<Encoding> encoding(const QuantScheme& scheme) const;

  // Appends another observer's state as if its batches had come after ours. bad_input when the
  // other observer is of a different kind.
  virtual Status merge(const Observer& other) = 0;

  // The state as JSON: {"observer": name(), "version": 1, ...}; floats are hex strings ("%a") so
  // that the round trip is exact. from_json replaces the state; bad_input on any malformed state.
  virtual nlohmann::json to_json() const = 0;
  virtual Status from_json(const nlohmann::json& state) = 0;

  // The share of the observed values outside `range` (clipped by it), for observers whose state
  // can tell; nullopt otherwise.
  virtual std::optional<double> clipped_share(const Range&) const { return std::nullopt; }

  virtual uint64_t count() const = 0;            // finite values observed
  virtual uint64_t nonfinite_count() const = 0;  // NaN and +-inf values skipped
};

}  // namespace qf
