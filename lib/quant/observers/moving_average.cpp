// SPDX-License-Identifier: Apache-2.0
// moving-average: an exponential moving average of each batch's min and max, as PyTorch's
// MovingAverageMinMaxObserver: the first batch sets the range, then m <- m + c * (batch - m), c = 0.01.
//
// An EMA depends on the order of batches and its float rounding on the grouping, so no summary of
// a half can be merged bit-exactly into another. The state therefore keeps each batch's (min, max)
// in order (8 bytes per batch, not per value) and compute() replays the recurrence in float32, as
// PyTorch does; merge appends the other observer's batches after ours (merge in input-list order).
#include <nlohmann/json.hpp>
#include <vector>

#include "quant/observers/factories.h"
#include "quant/observers/observer_state.h"

namespace qf {
namespace {

constexpr float kAveragingConstant = 0.01f;

class MovingAverageObserver final : public Observer {
 public:
  std::string_view name() const override { return "moving-average"; }

  void observe(std::span<const float> values) override {
    Range batch;
    if (stats_.add(values, &batch)) batches_.push_back(batch);  // a batch with no finite value is skipped
  }

  Result<Range> compute(const QuantScheme&) const override {
    if (batches_.empty()) return observer_state::no_values_error(name());
    Range r = batches_.front();
    for (size_t i = 1; i < batches_.size(); ++i) {
      r.min = r.min + kAveragingConstant * (batches_[i].min - r.min);
      r.max = r.max + kAveragingConstant * (batches_[i].max - r.max);
    }
    return r;
  }

  Status merge(const Observer& other) override {
    const auto* o = dynamic_cast<const MovingAverageObserver*>(&other);
    if (o == nullptr)
      return bad_input("cannot merge '{}' observer state into a '{}' observer", other.name(), name());
    stats_.merge(o->stats_);
    batches_.insert(batches_.end(), o->batches_.begin(), o->batches_.end());
    return Status::ok();
  }

  nlohmann::json to_json() const override {
    nlohmann::json j = observer_state::make_header(name());
    j["stats"] = stats_.to_json();
    nlohmann::json mins = nlohmann::json::array();
    nlohmann::json maxs = nlohmann::json::array();
    for (const Range& b : batches_) {
      mins.push_back(observer_state::float_to_json(b.min));
      maxs.push_back(observer_state::float_to_json(b.max));
    }
    j["batch_min"] = std::move(mins);
    j["batch_max"] = std::move(maxs);
    return j;
  }

  Status from_json(const nlohmann::json& state) override {
    return observer_state::guard_json([&]() -> Status {
      using namespace observer_state;
      QF_RETURN_IF_ERROR(check_header(state, name()));
      RangeStats stats;
      QF_ASSIGN_OR_RETURN(const nlohmann::json* s, field(state, "stats"));
      QF_RETURN_IF_ERROR(stats.from_json(*s));
      QF_ASSIGN_OR_RETURN(const nlohmann::json* mins, field(state, "batch_min"));
      QF_ASSIGN_OR_RETURN(const nlohmann::json* maxs, field(state, "batch_max"));
      if (!mins->is_array() || !maxs->is_array() || mins->size() != maxs->size()) {
        return bad_input("observer state: batch_min and batch_max must be arrays of one length");
      }
      std::vector<Range> batches;
      for (size_t i = 0; i < mins->size(); ++i) {
        Range b;
        QF_ASSIGN_OR_RETURN(b.min, float_from_json((*mins)[i], "batch_min"));
        QF_ASSIGN_OR_RETURN(b.max, float_from_json((*maxs)[i], "batch_max"));
        if (b.min > b.max || b.min < stats.min || b.max > stats.max) {
          return bad_input("observer state: batch {} range [{}, {}] is inconsistent", i, b.min, b.max);
        }
        batches.push_back(b);
      }
      if (batches.empty() != stats.empty()) return bad_input("observer state: batches and stats disagree");
      stats_ = stats;
      batches_ = std::move(batches);
      return Status::ok();
    });
  }

  uint64_t count() const override { return stats_.count; }
  uint64_t nonfinite_count() const override { return stats_.nonfinite; }

 private:
  observer_state::RangeStats stats_;
  std::vector<Range> batches_;
};

}  // namespace

std::unique_ptr<Observer> make_moving_average_observer(const ObserverOptions&) {
  return std::make_unique<MovingAverageObserver>();
}

}  // namespace qf
