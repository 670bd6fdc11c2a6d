// SPDX-License-Identifier: Apache-2.0
// Observation, merging and state JSON for the histogram observers.
#include "quant/observers/histogram_observer.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace qf {

void HistogramObserver::observe(std::span<const float> values) {
  Range batch;
  if (!stats_.add(values, &batch)) return;
  if (values_ == Values::kSigned) {
    hist_.add(values);
    return;
  }
  // Exact zeros are left out, as ncnn does: a ReLU tensor's zero spike says nothing about where
  // to clip, and would dominate the KL terms.
  std::vector<float> magnitudes;
  magnitudes.reserve(values.size());
  for (float v : values) {
    if (std::isfinite(v) && v != 0.0f) magnitudes.push_back(std::fabs(v));
  }
  hist_.add(magnitudes);
}

std::optional<double> HistogramObserver::clipped_share(const Range& range) const {
  if (stats_.count == 0) return std::nullopt;
  if (values_ == Values::kSigned) return hist_.share_below(range.min) + (1.0 - hist_.share_below(range.max));
  // |x| beyond the threshold, among all values (the exact zeros the histogram leaves out are kept).
  const double threshold = std::max(-static_cast<double>(range.min), static_cast<double>(range.max));
  return (1.0 - hist_.share_below(threshold)) * static_cast<double>(hist_.total()) / static_cast<double>(stats_.count);
}

Status HistogramObserver::merge(const Observer& other) {
  const auto* o = dynamic_cast<const HistogramObserver*>(&other);
  if (o == nullptr || other.name() != name() || o->values_ != values_) {
    return bad_input("cannot merge '{}' observer state into a '{}' observer", other.name(), name());
  }
  stats_.merge(o->stats_);
  hist_.merge(o->hist_);
  return Status::ok();
}

nlohmann::json HistogramObserver::to_json() const {
  nlohmann::json j = observer_state::make_header(name());
  j["stats"] = stats_.to_json();
  j["histogram"] = hist_.to_json();
  return j;
}

Status HistogramObserver::from_json(const nlohmann::json& state) {
  return observer_state::guard_json([&]() -> Status {
    QF_RETURN_IF_ERROR(observer_state::check_header(state, name()));
    observer_state::RangeStats stats;
    GridHistogram hist;
    QF_ASSIGN_OR_RETURN(const nlohmann::json* s, observer_state::field(state, "stats"));
    QF_RETURN_IF_ERROR(stats.from_json(*s));
    QF_ASSIGN_OR_RETURN(const nlohmann::json* h, observer_state::field(state, "histogram"));
    QF_RETURN_IF_ERROR(hist.from_json(*h));
    bool consistent = values_ == Values::kSigned
                          ? hist.total() == stats.count &&
                                (stats.count == 0 || (hist.min() == stats.min && hist.max() == stats.max))
                          : hist.total() <= stats.count;
    if (!consistent) return bad_input("observer state: histogram and stats disagree");
    stats_ = stats;
    hist_ = std::move(hist);
    return Status::ok();
  });
}

}  // namespace qf
