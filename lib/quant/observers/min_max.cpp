// SPDX-License-Identifier: Apache-2.0
// min-max: the running minimum and maximum of every value seen (QNN "tf", PyTorch MinMaxObserver).
#include <nlohmann/json.hpp>

#include "quant/observers/factories.h"
#include "quant/observers/observer_state.h"

namespace qf {
namespace {

class MinMaxObserver final : public Observer {
 public:
  std::string_view name() const override { return "min-max"; }

  void observe(std::span<const float> values) override {
    Range batch;
    stats_.add(values, &batch);
  }

  Result<Range> compute(const QuantScheme&) const override {
    if (stats_.empty()) return observer_state::no_values_error(name());
    return Range{stats_.min, stats_.max};
  }

  Status merge(const Observer& other) override {
    const auto* o = dynamic_cast<const MinMaxObserver*>(&other);
    if (o == nullptr)
      return bad_input("cannot merge '{}' observer state into a '{}' observer", other.name(), name());
    stats_.merge(o->stats_);
    return Status::ok();
  }

  nlohmann::json to_json() const override {
    nlohmann::json j = observer_state::make_header(name());
    j["stats"] = stats_.to_json();
    return j;
  }

  Status from_json(const nlohmann::json& state) override {
    return observer_state::guard_json([&]() -> Status {
      QF_RETURN_IF_ERROR(observer_state::check_header(state, name()));
      QF_ASSIGN_OR_RETURN(const nlohmann::json* s, observer_state::field(state, "stats"));
      return stats_.from_json(*s);
    });
  }

  uint64_t count() const override { return stats_.count; }
  uint64_t nonfinite_count() const override { return stats_.nonfinite; }

 private:
  observer_state::RangeStats stats_;
};

}  // namespace

std::unique_ptr<Observer> make_min_max_observer(const ObserverOptions&) {
  return std::make_unique<MinMaxObserver>();
}

}  // namespace qf
