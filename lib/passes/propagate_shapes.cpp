// SPDX-License-Identifier: Apache-2.0
#include "passes/propagate_shapes.h"

#include <algorithm>

#include "ir/infer.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

// Folding evaluates with naive loops; past this size it is not worth the time at import.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

bool all_outputs_constant(const Node& node) {
  return std::all_of(node.outputs.begin(), node.outputs.end(), [](const Value* v) { return !v || v->is_constant(); });
}

bool can_fold(const Node& node, bool fold_quantization) {
  if (!fold_quantization && (node.kind == OpKind::kQuantizeLinear || node.kind == OpKind::kDequantizeLinear))
    return false;
  for (const Value* in : node.inputs)
    if (in && !in->is_constant()) return false;
  for (const Value* out : node.outputs) {
    if (!out) continue;
    if (!out->type.is_static() || shape_numel(out->type.shape) > kMaxFoldedElements) return false;
  }
  return true;
}

Status fold(Node& node) {
  std::vector<const Tensor*> inputs;
  for (const Value* in : node.inputs) inputs.push_back(in ? &*in->constant : nullptr);
  std::vector<Tensor> results;
  for (const Value* out : node.outputs)
    results.emplace_back(out ? Tensor(out->type.dtype, out->type.shape) : Tensor());
  std::vector<Tensor*> outputs;
  for (Tensor& t : results) outputs.push_back(&t);
  QF_RETURN_IF_ERROR(run_reference(node, inputs, outputs));
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i]) node.outputs[i]->constant = std::move(results[i]);
  return Status::ok();
}

}  // namespace

Result<bool> propagate_shapes(Graph& graph, bool fold_quantization) {
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
  std::vector<Node*> folded;
  for (Node* node : order) {
    QF_RETURN_IF_ERROR(infer_node(*node));
    if (!all_outputs_constant(*node) && can_fold(*node, fold_quantization)) QF_RETURN_IF_ERROR(fold(*node));
    if (all_outputs_constant(*node)) folded.push_back(node);
  }
  // A folded node's outputs keep their constants; the node itself is gone.
  for (Node* node : folded) graph.erase_node(node);
  return !folded.empty();
}

}  // namespace qf
