// SPDX-License-Identifier: Apache-2.0
#include "quant/calibrate.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <nlohmann/json.hpp>

#include "core/json_file.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "quant/observer_registry.h"
#include "runtime/executor.h"

namespace qf {
namespace {

constexpr std::string_view kStateFormat = "qforge.calibration_state";
constexpr int kStateVersion = 1;
// The state nests tensors -> observer -> histogram: a handful of levels.
constexpr int kMaxStateJsonDepth = 16;

// NaN / Inf in a graph input: an error naming the file, unless they are to be skipped.
Status check_finite_inputs(const InputList& list, size_t line, const Graph& graph, const std::vector<Tensor>& inputs,
                           bool skip, uint64_t* skipped) {
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k].dtype() != DType::kF32) continue;
    uint64_t bad = 0;
    for (float v : inputs[k].span<float>()) bad += !std::isfinite(v);
    if (bad == 0) continue;
    const std::string& file = list.inferences[line][std::min(k, list.inferences[line].size() - 1)].path;
    if (!skip)
      return bad_input("{}: input '{}' holds {} NaN or infinite values (--skip_non_finite ignores them)", file,
                       graph.inputs()[k]->name, bad);
    *skipped += bad;
  }
  return Status::ok();
}

void show_progress(int64_t done, int64_t total) {
  std::fprintf(stderr, "\r  calibrating: %lld/%lld inferences", static_cast<long long>(done),
               static_cast<long long>(total));
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

Result<CalibrationState> CalibrationState::create(const QuantPlan& plan, const CalibrationOptions& options) {
  CalibrationState state;
  state.observer_name_ = options.observer;
  for (const ActivationGroup& g : plan.groups) {
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Observer> o, make_observer(options.observer, options.observer_options));
    state.observers_[g.members.front()->name] = std::move(o);
  }
  return state;
}

const Observer* CalibrationState::observer(const std::string& group) const {
  auto it = observers_.find(group);
  return it == observers_.end() ? nullptr : it->second.get();
}

nlohmann::json CalibrationState::to_json() const {
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [name, o] : observers_) tensors[name] = o->to_json();
  return {{"format", kStateFormat},         {"version", kStateVersion},  {"observer", observer_name_},
          {"inferences", inferences_},      {"skipped_non_finite", skipped_}, {"tensors", tensors}};
}

Result<CalibrationState> CalibrationState::from_json(const nlohmann::json& j, const QuantPlan& plan,
                                                     const CalibrationOptions& options, const std::string& source) {
  if (!j.is_object() || j.value("format", "") != kStateFormat)
    return bad_input("{}: not a qforge calibration state", source);
  if (j.value("version", 0) != kStateVersion)
    return bad_input("{}: calibration state version {} is not {}", source, j.value("version", 0), kStateVersion);
  if (j.value("observer", "") != options.observer)
    return bad_input("{}: calibrated with '{}', but --act_quantizer_calibration is '{}'", source,
                     j.value("observer", ""), options.observer);
  if (!j.contains("tensors") || !j["tensors"].is_object() || !j.contains("inferences") ||
      !j["inferences"].is_number_integer() || j["inferences"].get<int64_t>() < 0)
    return bad_input("{}: calibration state without tensors or inference count", source);
  QF_ASSIGN_OR_RETURN(CalibrationState state, create(plan, options));
  state.inferences_ = j["inferences"].get<int64_t>();
  state.skipped_ = j.value("skipped_non_finite", uint64_t{0});
  const nlohmann::json& tensors = j["tensors"];
  if (tensors.size() != state.observers_.size())
    return bad_input("{}: the state has {} tensors, this model and these options need {} (another model?)", source,
                     tensors.size(), state.observers_.size());
  for (auto& [name, o] : state.observers_) {
    if (!tensors.contains(name)) return bad_input("{}: the state has no tensor '{}' (another model?)", source, name);
    QF_RETURN_IF_ERROR(o->from_json(tensors[name]).with_context(fmt::format("{}: tensor '{}'", source, name)));
  }
  return state;
}

Status CalibrationState::merge(const CalibrationState& other, const std::string& source) {
  if (other.observer_name_ != observer_name_ || other.observers_.size() != observers_.size())
    return bad_input("{}: cannot merge calibration states of different models or observers", source);
  for (auto& [name, o] : observers_) {
    const Observer* theirs = other.observer(name);
    if (!theirs) return bad_input("{}: the state has no tensor '{}'", source, name);
    QF_RETURN_IF_ERROR(o->merge(*theirs).with_context(fmt::format("{}: tensor '{}'", source, name)));
  }
  inferences_ += other.inferences_;
  skipped_ += other.skipped_;
  return Status::ok();
}

namespace {

// An attention mask written as Where(mask, -inf, scores) or Add(scores, mask of -inf): its
// output holds infinities by design. The observers skip them (the grid's lowest code stands for
// -inf); they are neither an error nor "skipped" values.
bool mixes_in_infinity(const Value& v) {
  if (!v.producer) return false;
  for (const Value* in : v.producer->inputs)
    if (in && in->is_constant() && has_non_finite(*in->constant)) return true;
  return false;
}

}  // namespace

Status calibrate(const Graph& graph, const QuantPlan& plan, const InputList& list, const CalibrationOptions& options,
                 CalibrationState& state, const InferenceHook& also) {
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor,
                      Executor::create(graph, ExecutorOptions{"onednn", options.threads, /*use_encodings=*/false}));
  const auto lines = static_cast<int64_t>(list.inferences.size());
  const int64_t total = options.max_samples >= 0 ? std::min(options.max_samples, lines) : lines;
  // Every file this calibration reads, before its first inference: a bad file on line 11 would
  // otherwise fail after 10 inferences. (After the executor: a model that cannot run at all, one
  // too large for memory, is the error to report first.)
  QF_RETURN_IF_ERROR(check_input_files(list, graph, static_cast<size_t>(total)));
  // Observers are found once, not per inference.
  std::vector<std::pair<Observer*, std::vector<const Value*>>> watch;
  std::set<const Value*> infinite_by_design;
  for (const ActivationGroup& g : plan.groups) {
    watch.emplace_back(state.observers_.at(g.members.front()->name).get(),
                       std::vector<const Value*>(g.observed.begin(), g.observed.end()));
    for (const Value* v : g.observed)
      if (mixes_in_infinity(*v)) infinite_by_design.insert(v);
  }
  for (int64_t i = 0; i < total; ++i) {
    const auto line = static_cast<size_t>(i);
    QF_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, load_inference_inputs(list, line, graph));
    QF_RETURN_IF_ERROR(
        check_finite_inputs(list, line, graph, inputs, options.skip_non_finite, &state.skipped_));
    QF_RETURN_IF_ERROR(executor->run(inputs));
    for (auto& [observer, values] : watch) {
      for (const Value* v : values) {
        const Tensor* t = executor->computed(v);
        if (!t) return internal_error("calibration: tensor '{}' was not computed", v->name);
        const uint64_t before = observer->nonfinite_count();
        QF_RETURN_IF_ERROR(observer->observe(*t).with_context(fmt::format("tensor '{}'", v->name)));
        const uint64_t bad = observer->nonfinite_count() - before;
        if (bad == 0 || infinite_by_design.count(v)) continue;
        if (!options.skip_non_finite)
          return bad_input("{}:{}: tensor '{}' became NaN or infinite ({} values) on this input "
                           "(--skip_non_finite ignores them)",
                           list.path, list.line_numbers[line], v->name, bad);
        state.skipped_ += bad;
      }
    }
    if (also) QF_RETURN_IF_ERROR(also(*executor));
    ++state.inferences_;
    if (options.show_progress && ((i + 1) % 10 == 0 || i + 1 == total)) show_progress(i + 1, total);
  }
  if (state.skipped_ > 0) spdlog::warn("calibration skipped {} NaN or infinite values", state.skipped_);
  return Status::ok();
}

Result<CalibrationState> read_calibration_state(const std::string& path, const QuantPlan& plan,
                                                const CalibrationOptions& options) {
  QF_ASSIGN_OR_RETURN(nlohmann::json j, read_json_file(path, "calibration state", kMaxStateJsonDepth));
  return CalibrationState::from_json(j, plan, options, path);
}

Status write_calibration_state(const std::string& path, const CalibrationState& state) {
  return write_file_atomic(path, state.to_json().dump(1) + "\n");
}

}  // namespace qf
