// SPDX-License-Identifier: Apache-2.0
// The one table of observers; adding an observer is a new file in observers/ and one line here.
#include "quant/observer_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <nlohmann/json.hpp>

#include "quant/observers/factories.h"

namespace qf {
namespace {

constexpr std::array kObservers = {
    ObserverInfo{"min-max", "running minimum and maximum (QNN tf)", make_min_max_observer},
    ObserverInfo{"moving-average", "moving average of batch min and max, constant 0.01 (PyTorch)",
                 make_moving_average_observer},
    ObserverInfo{"mse", "L2-optimal range on a 2048-bin histogram (PyTorch HistogramObserver)",
                 make_mse_observer},
    ObserverInfo{"entropy", "KL-divergence threshold on a 2048-bin |x| histogram (TensorRT, ncnn)",
                 make_entropy_observer},
    ObserverInfo{"percentile", "clip (100 - p)% at each end, p = --percentile_calibration_value",
                 make_percentile_observer},
    ObserverInfo{"sqnr", "best-SQNR scale and offset, clipping weighted x3 (AIMET TF-enhanced)",
                 make_sqnr_observer},
};

}  // namespace

std::span<const ObserverInfo> registered_observers() { return kObservers; }

std::vector<std::string> observer_names() {
  std::vector<std::string> names;
  for (const ObserverInfo& o : kObservers) names.emplace_back(o.name);
  return names;
}

std::string observer_help() {
  std::string s;
  for (const ObserverInfo& o : kObservers) s += fmt::format("  {:<16}{}\n", o.name, o.description);
  return s;
}

Status validate_observer_options(const ObserverOptions& options) {
  if (!(options.percentile >= kMinPercentile && options.percentile <= kMaxPercentile)) {
    return usage_error("--percentile_calibration_value {} is outside [{}, {}]", options.percentile,
                       kMinPercentile, kMaxPercentile);
  }
  return Status::ok();
}

Result<std::unique_ptr<Observer>> make_observer(std::string_view name, const ObserverOptions& options) {
  QF_RETURN_IF_ERROR(validate_observer_options(options));
  for (const ObserverInfo& o : kObservers) {
    if (o.name == name) return o.make(options);
  }
  return usage_error("unknown calibration method '{}' (choose one of {})", name,
                     fmt::join(observer_names(), ", "));
}

Result<std::unique_ptr<Observer>> observer_from_json(const nlohmann::json& state,
                                                     const ObserverOptions& options) {
  if (!state.is_object() || !state.contains("observer") || !state["observer"].is_string()) {
    return bad_input("observer state has no \"observer\" name");
  }
  std::string name = state["observer"].get<std::string>();
  Result<std::unique_ptr<Observer>> made = make_observer(name, options);
  if (!made.is_ok() && made.status().code() == StatusCode::kUsage) {
    return bad_input("observer state names the unknown observer '{}'", name);
  }
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Observer> observer, std::move(made));
  QF_RETURN_IF_ERROR(observer->from_json(state));
  return observer;
}

Result<Encoding> calibrate_constant(const Tensor& t, std::string_view observer,
                                    const ObserverOptions& options, const QuantScheme& scheme, int axis) {
  if (t.dtype() != DType::kF32)
    return unsupported("calibration needs float32, got {}", dtype_name(t.dtype()));
  if (axis < 0) {
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Observer> o, make_observer(observer, options));
    o->observe(t.span<float>());
    return o->encoding(scheme);
  }
  if (axis >= t.rank())
    return bad_input("axis {} is out of range for shape {}", axis, shape_to_string(t.shape()));
  int64_t channels = t.dim(axis);
  if (channels == 0)
    return bad_input("cannot calibrate along axis {} of shape {}", axis, shape_to_string(t.shape()));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= t.dim(i);
  for (int64_t i = axis + 1; i < t.rank(); ++i) inner *= t.dim(i);
  std::vector<float> mins, maxs, slice;
  const float* x = t.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    slice.clear();
    for (int64_t o = 0; o < outer; ++o) {
      const float* base = x + (o * channels + c) * inner;
      slice.insert(slice.end(), base, base + inner);
    }
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Observer> obs, make_observer(observer, options));
    obs->observe(std::span<const float>(slice));
    Result<Range> r = obs->compute(scheme);
    if (!r.is_ok()) return r.status().with_context(fmt::format("channel {}", c));
    mins.push_back(r->min);
    maxs.push_back(r->max);
  }
  return compute_encoding_per_channel(mins, maxs, axis, scheme);
}

}  // namespace qf
