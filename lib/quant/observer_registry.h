// SPDX-License-Identifier: Apache-2.0
// The observer registry: calibration method names -> factories, in one table, so that
// --act_quantizer_calibration / --param_quantizer_calibration choices and --help come from here.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/encoding.h"
#include "quant/observer.h"

namespace qf {

using ObserverFactory = std::unique_ptr<Observer> (*)(const ObserverOptions&);

struct ObserverInfo {
  std::string_view name;         // the flag value, e.g. "min-max"
  std::string_view description;  // one line for --help
  ObserverFactory make;
};

inline constexpr std::string_view kDefaultObserver = "min-max";  // QNN's default calibration

std::span<const ObserverInfo> registered_observers();
std::vector<std::string> observer_names();
// "  min-max       running minimum and maximum ..." one line per observer, for --help.
std::string observer_help();

// usage_error unless the percentile lies in [kMinPercentile, kMaxPercentile].
Status validate_observer_options(const ObserverOptions& options);
// usage_error for an unknown name (listing the choices) or invalid options.
Result<std::unique_ptr<Observer>> make_observer(std::string_view name, const ObserverOptions& options = {});
// An observer restored from a state written by to_json(); its kind comes from the state's "observer".
Result<std::unique_ptr<Observer>> observer_from_json(const nlohmann::json& state,
                                                     const ObserverOptions& options = {});

// Encodes a constant tensor (weights, biases) with a registered observer (QNN
// --param_quantizer_calibration): one observer over the whole tensor when axis < 0, else one per
// slice along axis (see channel_ranges() for the per-channel and per-row axes).
Result<Encoding> calibrate_constant(const Tensor& t, std::string_view observer,
                                    const ObserverOptions& options, const QuantScheme& scheme, int axis = -1);

}  // namespace qf
