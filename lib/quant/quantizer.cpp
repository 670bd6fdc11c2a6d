// SPDX-License-Identifier: Apache-2.0
#include "quant/quantizer.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/closest_names.h"
#include "core/log.h"
#include "quant/observer_registry.h"

namespace qf {
namespace {

// A calibrated range that clips more than this share of its tensor's calibration values is named
// in a warning.
constexpr double kClippedShareWarning = 0.25;
// How many names an error lists before "and N more".
constexpr size_t kMaxListedNames = 20;

std::string list_names(const std::vector<std::string>& names) {
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kMaxListedNames));
  std::string s = fmt::format("{}", fmt::join(shown, ", "));
  if (names.size() > shown.size()) s += fmt::format(" and {} more", names.size() - shown.size());
  return s;
}

// The passes whose removed tensors had values that a survivor still carries up to a clamp, so
// that an encoding meant for them still fits the survivor.
bool survivor_keeps_range(const RemovedTensor& r) { return r.same_values || r.pass == "squash_activations"; }

// "'x' (did you mean 'y'?)": the graph's tensors and the ONNX names the passes removed (which an
// override may still use) nearest to an unknown name.
std::string with_suggestion(const std::string& name, const std::vector<std::string>& known) {
  const std::vector<std::string> near = closest_names(name, known);
  if (near.empty()) return fmt::format("'{}'", name);
  std::vector<std::string> quoted;
  for (const std::string& n : near) quoted.push_back(fmt::format("'{}'", n));
  return fmt::format("'{}' (did you mean {}?)", name, fmt::join(quoted, " or "));
}

std::vector<std::string> known_tensor_names(const Graph& graph) {
  std::vector<std::string> names;
  for (const auto& v : graph.values()) names.push_back(v->name);
  for (const auto& [name, removed] : graph.removed_tensors()) names.push_back(name);
  return names;
}

using OverrideTargets = std::unordered_map<const Value*, const EncodingOverride*>;

// Which tensor each override is for (check_override_tensors). `log`: say which names followed a
// pass to their survivor, and warn about unknown names when they are ignored (once per
// conversion: assign_encodings logs, the early check does not).
Result<OverrideTargets> resolve_override_targets(const Graph& graph, const QuantizationOverrides& overrides,
                                                 bool ignore_unknown, bool log) {
  OverrideTargets by_value;
  std::vector<std::string> unknown, vanished;
  // Direct names first, so that an override for a survivor beats one for a tensor fused into it.
  std::vector<std::pair<const std::string*, const EncodingOverride*>> indirect;
  for (const auto* section : {&overrides.activations, &overrides.params}) {
    for (const auto& [name, o] : *section) {
      if (Value* v = graph.find_value(name)) {
        by_value[v] = &o;
      } else {
        indirect.emplace_back(&name, &o);
      }
    }
  }
  for (const auto& [name, o] : indirect) {
    const auto removed = graph.resolve_removed(*name);
    Value* survivor = removed ? graph.find_value(removed->survivor) : nullptr;
    if (!survivor) {
      unknown.push_back(*name);
      continue;
    }
    if (by_value.count(survivor)) {
      if (log)
        spdlog::debug("override {} is for '{}', which {} merged into '{}' (which has its own)", o->json_path, *name,
                      removed->pass, survivor->name);
      continue;
    }
    if (!survivor_keeps_range(*removed)) {
      vanished.push_back(fmt::format("'{}' ({} folded it into '{}')", *name, removed->pass, survivor->name));
      continue;
    }
    if (log)
      spdlog::info("override {}: '{}' is now '{}' (after {})", o->json_path, *name, survivor->name, removed->pass);
    by_value[survivor] = o;
  }
  if (!vanished.empty())
    return bad_input("{}: overrides for tensors whose values no longer exist: {}; give encodings for the tensors "
                     "named instead",
                     overrides.path, list_names(vanished));
  if (!unknown.empty()) {
    const std::vector<std::string> known = known_tensor_names(graph);
    std::vector<std::string> described;
    for (const std::string& name : unknown) described.push_back(with_suggestion(name, known));
    const std::string msg = fmt::format("{}: overrides for tensors the model does not have: {}", overrides.path,
                                        list_names(described));
    if (!ignore_unknown) return bad_input("{} (--ignore_unknown_override_tensors skips them)", msg);
    if (log) spdlog::warn("{}", msg);
  }
  return by_value;
}

// The overrides, attached to the graph's tensors (resolve_override_targets).
class OverrideTable {
 public:
  Status build(const Graph& graph, const QuantizationOverrides& overrides, bool ignore_unknown) {
    QF_ASSIGN_OR_RETURN(by_value_, resolve_override_targets(graph, overrides, ignore_unknown, /*log=*/true));
    return Status::ok();
  }

  const EncodingOverride* find(const Value* v) const {
    auto it = by_value_.find(v);
    return it == by_value_.end() ? nullptr : it->second;
  }

 private:
  OverrideTargets by_value_;
};

void set_encoding(Value* v, const Encoding& e, EncodingSource source) {
  v->encoding = e;
  v->encoding_source = source;
}

// An override's encoding placed on `axis` for a tensor of `shape`; bad_input when the channel
// count does not fit.
Result<Encoding> with_axis(const EncodingOverride& o, const Value& v, int axis) {
  Encoding e = o.encoding;
  if (e.channels() == 1) {
    e.axis = -1;
    return e;
  }
  if (axis < 0)
    return bad_input("{}: {} encodings (one per channel) for '{}', which has no channel axis here", o.json_path,
                     e.channels(), v.name);
  const int64_t channels = v.type.shape[static_cast<size_t>(axis)];
  if (static_cast<int64_t>(e.channels()) != channels)
    return bad_input("{}: {} per-channel encodings for '{}', whose axis {} has {} channels", o.json_path, e.channels(),
                     v.name, axis, channels);
  e.axis = axis;
  return e;
}

class Assigner {
 public:
  Assigner(const QuantPlan& plan, const QuantizerOptions& options, const OverrideTable& overrides,
           const CalibrationState* calibration)
      : plan_(plan), options_(options), overrides_(overrides), calibration_(calibration) {}

  Status run() {
    for (const ActivationGroup& g : plan_.groups) QF_RETURN_IF_ERROR(assign_group(g));
    warn_about_clipping();
    if (!missing_.empty())
      return bad_input("no encoding for {} tensor(s): {} (give an --input_list to calibrate, overrides, or "
                       "--enable_float_fallback to keep them in float)",
                       missing_.size(), list_names(missing_));
    for (const ConstantUse& use : plan_.constants) QF_RETURN_IF_ERROR(assign_constant(use));
    return Status::ok();
  }

 private:
  // An activation's own override: applied (or the tensor marked float); true when it had one.
  Result<bool> apply_override(Value* v) {
    const EncodingOverride* o = overrides_.find(v);
    if (!o) return false;
    if (o->keep_float) {
      v->encoding.reset();
      return true;
    }
    if (o->encoding.channels() != 1)
      return bad_input("{}: {} per-channel encodings for the activation '{}' (activations are per tensor)",
                       o->json_path, o->encoding.channels(), v->name);
    QF_ASSIGN_OR_RETURN(Encoding e, with_axis(*o, *v, -1));
    set_encoding(v, e, EncodingSource::kOverride);
    return true;
  }

  // The range calibration saw for the group, widened by any constant its shared op mixes in.
  Result<std::optional<Encoding>> calibrated(const ActivationGroup& g) {
    const Observer* observer = calibration_ ? calibration_->observer(g.members.front()->name) : nullptr;
    if (!observer || observer->count() == 0) return std::optional<Encoding>{};
    QF_ASSIGN_OR_RETURN(Range r, observer->compute(options_.act));
    if (const auto clipped = observer->clipped_share(r); clipped && *clipped > kClippedShareWarning)
      clipped_.emplace_back(*clipped, g.members.front()->name);
    for (const Value* c : g.constant_inputs) {
      QF_ASSIGN_OR_RETURN(ChannelRanges cr, channel_ranges(*c->constant, -1));
      r.min = std::min(r.min, cr.mins[0]);
      r.max = std::max(r.max, cr.maxs[0]);
    }
    QuantScheme scheme = options_.act;
    if (g.symmetric) scheme.schema = QuantSchema::kSymmetric;
    auto e = compute_encoding(r.min, r.max, scheme);
    if (!e.is_ok()) return e.status().with_context(fmt::format("tensor '{}'", g.members.front()->name));
    return std::optional<Encoding>(*e);
  }

  Status assign_group(const ActivationGroup& g) {
    std::vector<bool> own(g.members.size(), false);
    const Value* group_override = nullptr;
    const Value* group_qdq = nullptr;
    for (size_t i = 0; i < g.members.size(); ++i) {
      Value* m = g.members[i];
      QF_ASSIGN_OR_RETURN(own[i], apply_override(m));
      if (own[i] && m->encoding) group_override = m;  // the latest in topological order wins
      if (!own[i] && m->encoding && m->encoding_source == EncodingSource::kQdq) group_qdq = m;
    }
    std::optional<Encoding> shared;
    EncodingSource source = EncodingSource::kCalibration;
    const Value* origin = nullptr;
    if (group_override) {
      shared = group_override->encoding;
      source = EncodingSource::kOverride;
      origin = group_override;
    } else if (group_qdq) {
      shared = group_qdq->encoding;
      source = EncodingSource::kQdq;
      origin = group_qdq;
    } else if (g.unit_interval) {
      QF_ASSIGN_OR_RETURN(shared, compute_encoding(0.0f, 1.0f, options_.act));
      // 1/255 rounds up to a float whose reciprocal is 254.99998, and onnxruntime's QLinearSoftmax
      // (what it makes of DQ -> Softmax -> Q in a --export_qdq model) requantizes with
      // floor(1 / y_scale): every probability would come out scaled by 254/255 there, 1 LSB low on
      // 6 % of the ViT's attention weights, and the difference compounds downstream. The float just
      // below has a reciprocal of 255.00002: the same grid to 1 ulp, on which both compute
      // round(p * 255).
      for (float& s : shared->scale) {
        const float steps = std::round(1.0f / s);
        while (1.0f / s < steps) s = std::nextafter(s, 0.0f);
      }
      source = EncodingSource::kOpRange;
    } else {
      QF_ASSIGN_OR_RETURN(shared, calibrated(g));
      // Groups come in topological order: the fallback input's encoding is settled already.
      if (!shared && g.fallback && g.fallback->encoding) {
        shared = g.fallback->encoding;
        source = EncodingSource::kPropagated;
        origin = g.fallback;
      }
    }
    if (shared)
      for (Value* c : g.constant_inputs)
        if (!c->encoding) set_encoding(c, *shared, EncodingSource::kPropagated);
    for (size_t i = 0; i < g.members.size(); ++i) {
      Value* m = g.members[i];
      if (own[i]) continue;
      // A member's own Q/DQ encoding stands unless an override governs the group.
      if (m->encoding && m->encoding_source == EncodingSource::kQdq && source != EncodingSource::kOverride) continue;
      if (!shared) {
        m->encoding.reset();
        if (!options_.float_fallback) missing_.push_back(m->name);
        continue;
      }
      const bool is_origin = m == origin || (!origin && std::find(g.observed.begin(), g.observed.end(), m) != g.observed.end());
      set_encoding(m, *shared, is_origin ? source : EncodingSource::kPropagated);
    }
    return Status::ok();
  }

  Status assign_constant(const ConstantUse& use) {
    Value* v = use.value;
    const EncodingOverride* o = overrides_.find(v);
    if (use.kind == ConstantUse::Kind::kBias && options_.bias_bitwidth == 32) return assign_bias32(use, o);
    if (o) {
      if (o->keep_float) {
        v->encoding.reset();
        return Status::ok();
      }
      QF_ASSIGN_OR_RETURN(Encoding e, with_axis(*o, *v, use.kind == ConstantUse::Kind::kWeight ? weight_channel_axis(*use.node) : -1));
      set_encoding(v, e, EncodingSource::kOverride);
      return Status::ok();
    }
    if (v->encoding && v->encoding_source == EncodingSource::kQdq) return Status::ok();
    const Tensor& values = *v->constant;
    if (values.dtype() != DType::kF32) return Status::ok();
    if (use.kind == ConstantUse::Kind::kBias) return assign_bias_encoding(v, use.input, use.weight, options_);
    auto e = calibrate_constant(values, options_.param_calibration, options_.observer_options, options_.param,
                                use.axis);
    if (!e.is_ok()) return e.status().with_context(fmt::format("weights '{}'", v->name));
    set_encoding(v, *e, EncodingSource::kCalibration);
    return Status::ok();
  }

  // int32 bias on the accumulator's grid: scale = s_in * s_w[c], offset 0. Without an input or a
  // weight encoding the op runs in float, and so does its bias.
  Status assign_bias32(const ConstantUse& use, const EncodingOverride* o) {
    Value* v = use.value;
    QF_RETURN_IF_ERROR(assign_bias_encoding(v, use.input, use.weight, options_));
    if (o && !o->keep_float && v->encoding && o->encoding.scale != v->encoding->scale)
      spdlog::warn("{}: ignored: an int32 bias is on the grid input scale x weight scale", o->json_path);
    return Status::ok();
  }

  // Ranges that cut off much of what calibration saw are often a method that does not suit the
  // model (entropy on sparse squeeze-excite tensors): say so, worst first.
  void warn_about_clipping() {
    if (clipped_.empty()) return;
    std::sort(clipped_.rbegin(), clipped_.rend());
    std::vector<std::string> named;
    for (const auto& [share, name] : clipped_) named.push_back(fmt::format("{} ({:.1f} %)", name, 100 * share));
    spdlog::warn("the calibrated ranges clip more than {:.0f} % of the calibration values of {} tensor(s): {}; another "
                 "--act_quantizer_calibration may suit this model better",
                 100 * kClippedShareWarning, clipped_.size(), list_names(named));
  }

  const QuantPlan& plan_;
  const QuantizerOptions& options_;
  const OverrideTable& overrides_;
  const CalibrationState* calibration_;
  std::vector<std::string> missing_;
  std::vector<std::pair<double, std::string>> clipped_;
};

}  // namespace

Status check_override_tensors(const Graph& graph, const QuantizationOverrides& overrides, bool ignore_unknown) {
  return resolve_override_targets(graph, overrides, ignore_unknown, /*log=*/false).status();
}

Status assign_bias_encoding(Value* bias, const Value* input, const Value* weight, const QuantizerOptions& options) {
  const int bits = options.bias_bitwidth;
  if (bits == 32) bias->encoding.reset();
  if (!input || !input->encoding || !weight || !weight->encoding) return Status::ok();
  if (bits == 32 && input->encoding->per_channel()) return Status::ok();
  QF_ASSIGN_OR_RETURN(Encoding e, bias_encoding(bits, *input->encoding, *weight->encoding, *bias->constant,
                                                options.param.schema));
  set_encoding(bias, e, bits == 32 ? EncodingSource::kPropagated : EncodingSource::kCalibration);
  return Status::ok();
}

Status assign_encodings(Graph& graph, const QuantPlan& plan, const QuantizerOptions& options,
                        const QuantizationOverrides* overrides, const CalibrationState* calibration) {
  OverrideTable table;
  if (overrides) QF_RETURN_IF_ERROR(table.build(graph, *overrides, options.ignore_unknown_overrides));
  return Assigner(plan, options, table, calibration).run();
}

Status quantize_constants(Graph& graph) {
  for (const auto& v : graph.values()) {
    if (!v->is_constant() || !v->encoding || v->constant->dtype() != DType::kF32) continue;
    auto q = quantize(*v->constant, *v->encoding);
    if (!q.is_ok()) return q.status().with_context(fmt::format("constant '{}'", v->name));
    v->constant = std::move(*q);
  }
  return Status::ok();
}

}  // namespace qf
