// SPDX-License-Identifier: Apache-2.0
// Exports below opset 17 (LayerNormalization's) write LayerNorm out:
//
//   x -> ReduceMean(axes) -> m;  x - m -> d
//   d -> Pow(2) -> ReduceMean(axes) -> Add(eps) -> Sqrt -> s          (Pow(d, 2) may be Mul(d, d))
//   d / s -> n -> Mul(γ) -> Add(β) -> y                              (γ and β optional)
//
// becomes  x -> LayerNormalization(γ or ones, β; axis = the first reduced axis, epsilon) -> y
//
// when the axes are the trailing dims and γ, β are constants over them. One node is one kernel
// and one output encoding; the chain quantized step by step would round at each of its nine
// tensors (the variance's range alone spans the square of the input's).
#include <algorithm>
#include <cmath>

#include "ir/infer.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fuse_layer_norm";

// The first reduced axis when `mean` is a keepdims ReduceMean over the trailing dims of its input.
std::optional<int64_t> trailing_mean_axis(const Node* mean) {
  if (!mean || mean->kind != OpKind::kReduceMean || mean->attr_int("keepdims", 1) == 0) return std::nullopt;
  const Value* in = mean->input(0);
  const Tensor* axes = constant_input(*mean, 1);
  if (!in || !in->type.is_static() || !axes || axes->numel() == 0) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(in->type.shape.size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : axes->to_int_vector()) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return std::nullopt;
    reduced[static_cast<size_t>(a)] = true;
  }
  int64_t first = rank;
  while (first > 0 && reduced[static_cast<size_t>(first - 1)]) --first;
  for (int64_t a = 0; a < first; ++a)
    if (reduced[static_cast<size_t>(a)]) return std::nullopt;
  if (first == rank) return std::nullopt;
  return first;
}

// The one consumer of `v` when it is of `kind` and `v` is not a graph output.
Node* only_consumer(const Graph& graph, const Value* v, OpKind kind) {
  if (!v || v->consumers.size() != 1 || graph.is_output(v)) return nullptr;
  Node* c = v->consumers[0];
  return c->kind == kind ? c : nullptr;
}

// A constant operand of `n` (Mul / Add, either order) that broadcasts over the normalized dims
// only: the other operand and the constant.
std::optional<std::pair<Value*, Value*>> affine_operand(const Node* n, OpKind kind, const Shape& normalized) {
  if (!n || n->kind != kind || n->inputs.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    Value* c = n->inputs[i];
    if (!c || !c->is_constant() || c->type.dtype != DType::kF32) continue;
    const Shape& s = c->type.shape;
    if (s.size() > normalized.size()) continue;
    bool fits = true;
    for (size_t d = 0; d < s.size(); ++d)
      fits = fits && (s[d] == 1 || s[d] == normalized[normalized.size() - s.size() + d]);
    if (fits) return std::make_pair(n->inputs[1 - i], c);
  }
  return std::nullopt;
}

Result<bool> fuse_at(Graph& graph, Node* sub) {
  if (sub->inputs.size() != 2) return false;
  Value* x = sub->input(0);
  Node* mean = sub->input(1) ? sub->input(1)->producer : nullptr;
  if (!mean || mean->input(0) != x || sole_producer(graph, sub->input(1), sub) != mean) return false;
  const std::optional<int64_t> axis = trailing_mean_axis(mean);
  if (!axis) return false;
  const Shape& shape = x->type.shape;
  const Shape normalized(shape.begin() + *axis, shape.end());

  // d feeds the square and the division, nothing else (Mul(d, d) lists its node twice).
  Value* d = sub->outputs[0];
  std::vector<Node*> users = d->consumers;
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  if (users.size() != 2 || graph.is_output(d)) return false;
  Node* square = nullptr;
  Node* div = nullptr;
  for (Node* c : users) {
    if (c->kind == OpKind::kDiv && c->input(0) == d) div = c;
    else if (c->kind == OpKind::kPow && c->input(0) == d) square = c;
    else if (c->kind == OpKind::kMul && c->input(0) == d && c->input(1) == d) square = c;
  }
  if (!square || !div) return false;
  if (square->kind == OpKind::kPow) {
    const std::optional<float> e = scalar_input(*square, 1);
    if (!e || *e != 2.f) return false;
  }
  Node* variance = only_consumer(graph, square->outputs[0], OpKind::kReduceMean);
  if (!variance || trailing_mean_axis(variance) != axis) return false;
  Node* add_eps = only_consumer(graph, variance->outputs[0], OpKind::kAdd);
  const std::optional<ScalarOperand> eps = scalar_operand(add_eps, OpKind::kAdd);
  if (!eps || !(eps->scalar >= 0.f)) return false;
  Node* sqrt = only_consumer(graph, add_eps->outputs[0], OpKind::kSqrt);
  if (!sqrt || sqrt->outputs[0]->consumers.size() != 1 || div->input(1) != sqrt->outputs[0] ||
      graph.is_output(sqrt->outputs[0]))
    return false;

  std::vector<Node*> chain = {mean, sub, square, variance, add_eps, sqrt, div};
  Value* gamma = nullptr;
  Value* beta = nullptr;
  Value* tail = div->outputs[0];
  if (Node* mul = only_consumer(graph, tail, OpKind::kMul)) {
    if (auto op = affine_operand(mul, OpKind::kMul, normalized); op && op->first == tail) {
      gamma = op->second;
      chain.push_back(mul);
      tail = mul->outputs[0];
    }
  }
  if (Node* add = only_consumer(graph, tail, OpKind::kAdd)) {
    if (auto op = affine_operand(add, OpKind::kAdd, normalized); op && op->first == tail) {
      beta = op->second;
      chain.push_back(add);
    }
  }
  if (!gamma) {
    Tensor ones(DType::kF32, normalized);
    std::fill(ones.data<float>(), ones.data<float>() + ones.numel(), 1.f);
    gamma = graph.add_constant(graph.unique_name(sub->name + "_scale"), std::move(ones));
  }
  std::vector<Value*> inputs = {x, gamma};
  if (beta) inputs.push_back(beta);
  QF_ASSIGN_OR_RETURN(Node * ln, replace_chain(graph, chain, OpKind::kLayerNormalization, std::move(inputs), kPass));
  ln->attrs["axis"] = *axis;
  ln->attrs["epsilon"] = eps->scalar;
  QF_RETURN_IF_ERROR(infer_node(*ln));
  return true;
}

}  // namespace

Result<bool> fuse_layer_norm(Graph& graph) {
  bool changed = false;
  for (Node* sub : graph.nodes_of(OpKind::kSub)) {
    QF_ASSIGN_OR_RETURN(bool fused, fuse_at(graph, sub));
    changed = changed || fused;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
