// SPDX-License-Identifier: Apache-2.0
// Relu and Clip with constant bounds become a clamp on the op that produces their input
// (ir/fused_activation.h), as QNN squashes Relu into conv-like ops and oneDNN runs it as a
// post-op:
//
//   x -> Conv -> a -> Relu -> y        becomes   x -> Conv[fused_min=0] -> y
//   x -> Add -> a -> Clip(0, 6) -> y   becomes   x -> Add[fused_min=0, fused_max=6] -> y
//
// The fused output takes the activation's range, so its encoding is calibrated after the clamp
// (min 0 for Relu): the asymmetric grid spends no codes on values the activation discards.
#include <limits>

#include "ir/fused_activation.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "squash_activations";

// The clamp a Relu or a constant-bounded Clip applies.
std::optional<FusedActivation> clamp_of(const Node& node) {
  if (node.kind == OpKind::kRelu) return FusedActivation{0.f, std::numeric_limits<float>::infinity()};
  if (node.kind != OpKind::kClip) return std::nullopt;
  FusedActivation act;
  if (node.input(1)) {
    auto lo = scalar_input(node, 1);
    if (!lo) return std::nullopt;
    act.min = *lo;
  }
  if (node.input(2)) {
    auto hi = scalar_input(node, 2);
    if (!hi) return std::nullopt;
    act.max = *hi;
  }
  return act;
}

}  // namespace

Result<bool> squash_activations(Graph& graph) {
  // Topological order: Conv -> Relu -> Clip squashes twice into the same Conv.
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
  bool changed = false;
  for (Node* node : order) {
    auto act = clamp_of(*node);
    if (!act || node->input(0)->type.dtype != DType::kF32) continue;
    Node* producer = sole_producer(graph, node->input(0), node);
    if (!producer || !op_has_trait(producer->kind, kFusesActivation) || producer->outputs.size() != 1) continue;
    add_fused_activation(*producer, *act);
    absorb_into_producer(graph, node, kPass, /*same_values=*/false);
    changed = true;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
