// SPDX-License-Identifier: Apache-2.0
// Calibration: the fp32 runtime runs the graph over an input list while one observer per
// activation group (quant/plan.h) watches the values. Memory is bounded by the observers' state;
// no activation outlives its inference.
//
// The state is serialisable and mergeable (--calibration_state_out / --calibration_state_in):
// calibrating the halves of an input list in two processes and merging gives the same state,
// bit for bit, as one pass over the whole list.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/status.h"
#include "io/input_list.h"
#include "ir/graph.h"
#include "quant/observer.h"
#include "quant/plan.h"

namespace qf {

struct CalibrationOptions {
  std::string observer = "min-max";  // a name from the observer registry
  ObserverOptions observer_options;
  int64_t max_samples = -1;  // --max_calibration_samples: at most this many list lines (-1: all)
  int threads = 0;
  bool skip_non_finite = false;  // --skip_non_finite: drop NaN / Inf values with a warning
  bool show_progress = false;
};

class Executor;
// Called after each calibration inference with the executor that ran it (float values).
using InferenceHook = std::function<Status(const Executor&)>;

// The observers of one calibration, keyed by activation group name (the group's first member).
class CalibrationState {
 public:
  // One fresh observer per group of the plan.
  static Result<CalibrationState> create(const QuantPlan& plan, const CalibrationOptions& options);
  // A state written by to_json(); checked against the plan (same groups) and the options (same
  // observer). `source` names the file in errors.
  static Result<CalibrationState> from_json(const nlohmann::json& j, const QuantPlan& plan,
                                            const CalibrationOptions& options, const std::string& source);

  nlohmann::json to_json() const;
  // Appends another state's observations (as if its inferences came after ours).
  Status merge(const CalibrationState& other, const std::string& source);

  const Observer* observer(const std::string& group) const;
  int64_t inferences() const { return inferences_; }
  uint64_t skipped_non_finite() const { return skipped_; }

 private:
  friend Status calibrate(const Graph&, const QuantPlan&, const InputList&, const CalibrationOptions&,
                          CalibrationState&, const InferenceHook&);
  std::string observer_name_;
  std::map<std::string, std::unique_ptr<Observer>> observers_;
  int64_t inferences_ = 0;
  uint64_t skipped_ = 0;
};

// Runs the graph (fp32, oneDNN) over the list and feeds every group's observer, and `also` (when
// given) after each inference.
Status calibrate(const Graph& graph, const QuantPlan& plan, const InputList& list, const CalibrationOptions& options,
                 CalibrationState& state, const InferenceHook& also = {});

Result<CalibrationState> read_calibration_state(const std::string& path, const QuantPlan& plan,
                                                const CalibrationOptions& options);
Status write_calibration_state(const std::string& path, const CalibrationState& state);

}  // namespace qf
