// SPDX-License-Identifier: Apache-2.0
#include "passes/rewrite.h"

#include <algorithm>

namespace qf {

Node* sole_producer(const Graph& graph, const Value* v, const Node* consumer) {
  if (!v || !v->producer || graph.is_output(v)) return nullptr;
  if (v->consumers.size() != 1 || v->consumers[0] != consumer) return nullptr;
  return v->producer;
}

Node* sole_producer_of(const Graph& graph, const Value* v, const Node* consumer, OpKind kind) {
  Node* p = sole_producer(graph, v, consumer);
  return p && p->kind == kind ? p : nullptr;
}

std::optional<ScalarOperand> scalar_operand(const Node* node, OpKind kind) {
  if (!node || node->kind != kind || node->inputs.size() != 2) return std::nullopt;
  if (auto c = scalar_input(*node, 1)) return ScalarOperand{node->input(0), *c};
  if (op_has_trait(kind, kCommutative))
    if (auto c = scalar_input(*node, 0)) return ScalarOperand{node->input(1), *c};
  return std::nullopt;
}

Result<Node*> replace_chain(Graph& graph, const std::vector<Node*>& removed, OpKind kind,
                            std::vector<Value*> inputs, std::string_view pass) {
  Node* last = removed.back();
  Value* out = last->outputs[0];
  const std::string name = last->name;
  for (Node* n : removed) {
    if (n != last) graph.record_removed(n->outputs[0]->name, out->name, pass, false);
    graph.erase_node(n);
  }
  return graph.add_node(kind, name, std::move(inputs), {out});
}

bool absorb_into_producer(Graph& graph, Node* node, std::string_view pass, bool same_values) {
  Value* in = node->input(0);
  Value* out = node->outputs.empty() ? nullptr : node->outputs[0];
  Node* producer = sole_producer(graph, in, node);
  if (!producer || !out) return false;
  const auto slot = std::find(producer->outputs.begin(), producer->outputs.end(), in) - producer->outputs.begin();
  graph.erase_node(node);
  graph.set_output(producer, static_cast<size_t>(slot), out);
  graph.record_removed(in->name, out->name, pass, same_values);
  return true;
}

const Tensor* constant_input(const Node& node, size_t i) {
  const Value* v = node.input(i);
  return v && v->is_constant() ? &*v->constant : nullptr;
}

std::optional<float> scalar_input(const Node& node, size_t i) {
  const Tensor* t = constant_input(node, i);
  if (!t || t->numel() != 1) return std::nullopt;
  if (t->dtype() != DType::kF32 && t->dtype() != DType::kF64 && t->dtype() != DType::kF16) return std::nullopt;
  return static_cast<float>(t->element_as_double(0));
}

}  // namespace qf
