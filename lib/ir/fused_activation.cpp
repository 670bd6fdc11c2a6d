// SPDX-License-Identifier: Apache-2.0
#include "ir/fused_activation.h"

#include <algorithm>

namespace qf {

std::optional<FusedActivation> fused_activation(const Node& node) {
  const bool has_min = node.has_attr(kFusedMinAttr), has_max = node.has_attr(kFusedMaxAttr);
  if (!has_min && !has_max) return std::nullopt;
  FusedActivation act;
  if (has_min) act.min = node.attr_float(kFusedMinAttr, act.min);
  if (has_max) act.max = node.attr_float(kFusedMaxAttr, act.max);
  return act;
}

void add_fused_activation(Node& node, const FusedActivation& act) {
  FusedActivation merged = fused_activation(node).value_or(FusedActivation{});
  merged.min = std::max(merged.min, act.min);
  merged.max = std::min(merged.max, act.max);
  if (merged.min > -std::numeric_limits<float>::infinity()) node.attrs[kFusedMinAttr] = merged.min;
  if (merged.max < std::numeric_limits<float>::infinity()) node.attrs[kFusedMaxAttr] = merged.max;
}

void apply_fused_activation(const Node& node, Tensor& output) {
  const auto act = fused_activation(node);
  if (!act || output.dtype() != DType::kF32) return;
  for (float& v : output.span<float>()) v = act->apply(v);
}

}  // namespace qf
