// SPDX-License-Identifier: Apache-2.0
// The Add that closes a skip connection joins the Conv that computes one of its operands:
//
//   x -> Conv(W, b) -> a -> Add(a, r)[act] -> y       becomes   x -> Conv(W, b, residual r)[act] -> y
//
// Conv's fourth input (ops.def) is added to the accumulator before the fused activation, which
// the Add hands over (ResNet's Relu after the sum). oneDNN runs it as a post-op (binary add in
// fp32, sum in int8), so the sum costs no pass over memory, and in int8 the conv's own output is
// never rounded to 8 bits before the sum. r must have the output's shape (no broadcasting), and
// the conv output must not carry an encoding of its own.
#include <unordered_map>

#include "ir/fused_activation.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fuse_residual_add";

// The Conv producing operand `i` of `add` when it can take the other operand as its residual.
Node* fusable_conv(const Graph& graph, const Node& add, size_t i) {
  Node* conv = sole_producer(graph, add.input(i), &add);
  const Value* other = add.input(1 - i);
  if (!conv || conv->kind != OpKind::kConv || conv->input(3) || fused_activation(*conv)) return nullptr;
  // An encoding the model already gives the conv output (Q/DQ, an override) is a quantization
  // point its author wants: QAT trained with it, so the sum stays a separate Add.
  if (add.input(i)->encoding) return nullptr;
  if (!other || other->is_constant() || other->type.dtype != DType::kF32) return nullptr;
  if (other->type.shape != add.input(i)->type.shape || add.outputs[0]->type.shape != other->type.shape) return nullptr;
  return conv;
}

}  // namespace

Result<bool> fuse_residual_add(Graph& graph) {
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  bool changed = false;
  for (Node* add : order) {
    if (add->kind != OpKind::kAdd || add->outputs.size() != 1) continue;
    Node* first = fusable_conv(graph, *add, 0);
    Node* second = fusable_conv(graph, *add, 1);
    // Of two candidate convs, the later one takes the sum: the other's output is ready by then.
    const bool use_second = second && (!first || position[second] > position[first]);
    Node* conv = use_second ? second : first;
    if (!conv) continue;
    Value* residual = add->input(use_second ? 0 : 1);
    if (const auto act = fused_activation(*add)) add_fused_activation(*conv, *act);
    if (conv->inputs.size() < 4) conv->inputs.resize(4, nullptr);
    graph.set_input(conv, 3, residual);
    // The Add's own input slot for the conv output is the one absorb_into_producer follows.
    if (use_second) std::swap(add->inputs[0], add->inputs[1]);
    absorb_into_producer(graph, add, kPass, /*same_values=*/false);
    changed = true;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
