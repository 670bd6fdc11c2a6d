// SPDX-License-Identifier: Apache-2.0
// A bias added by a separate Add of a constant (CNTK and TF exports) belongs in the producer:
//
//   x -> Conv(W, b) -> a -> Add(c) -> y          becomes   x -> Conv(W, b + c) -> y
//   x -> Gemm(B, C) -> a -> Add(c) -> y          becomes   x -> Gemm(B, beta*C + c) -> y
//   x -> MatMul(B) -> a -> Add(c) -> y           becomes   x -> Gemm(B, c) -> y   (2-D x, constant B)
//   x -> MatMul(B) -> a -> Add(c) -> y           becomes   x -> MatMul(B, c) -> y (N-D x, constant 2-D B)
//
// The last: ONNX's MatMul has no bias, qforge's takes one as a third input (a token-wise Linear of
// a transformer, [B, T, C] x [C, D] + b); the QDQ export writes it back as MatMul + Add.
// c must be the same along every axis but the channel (Conv: axis 1; Gemm/MatMul: the last).
// A bias inside the producer is quantized to int32 on the accumulator's grid; a separate Add
// would be a second requantization.
#include "ir/fused_activation.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fold_bias_add";

// c broadcast against an output of shape `out` as one value per index of `axis` (or a single
// value): those values, else nullopt.
std::optional<std::vector<float>> per_channel_values(const Tensor& c, const Shape& out, size_t axis) {
  if (c.dtype() != DType::kF32 || c.rank() > static_cast<int64_t>(out.size())) return std::nullopt;
  const int64_t channels = out[axis];
  const std::vector<float> values = c.to_float_vector();
  if (c.numel() == 1) return std::vector<float>(static_cast<size_t>(channels), values[0]);
  // Left-pad c's shape to the output's rank: only `axis` may differ from 1.
  const size_t pad = out.size() - c.shape().size();
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t dim = d < pad ? 1 : c.shape()[d - pad];
    if (d == axis ? dim != channels : dim != 1) return std::nullopt;
  }
  return values;
}

// The Add's constant operand and the index of the other one, when exactly one side is constant.
std::optional<std::pair<const Tensor*, size_t>> constant_operand(const Node& add) {
  const Tensor* c0 = constant_input(add, 0);
  const Tensor* c1 = constant_input(add, 1);
  if (c1 && !c0) return std::make_pair(c1, size_t{0});
  if (c0 && !c1) return std::make_pair(c0, size_t{1});
  return std::nullopt;
}

Value* new_bias(Graph& graph, const Node& producer, const std::vector<float>& values) {
  return graph.add_constant(graph.unique_name(producer.name + "_bias"),
                            Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, values));
}

// The producer's current bias as one value per channel (zeros when absent), or nullopt when it
// is not of that form.
std::optional<std::vector<float>> current_bias(const Node& producer, int64_t channels, float factor) {
  std::vector<float> bias(static_cast<size_t>(channels), 0.f);
  const Value* b = producer.input(2);
  if (!b) return bias;
  if (!b->is_constant() || b->type.dtype != DType::kF32) return std::nullopt;
  const Shape& s = b->type.shape;
  if (s.size() > 2 || (s.size() == 2 && s[0] != 1)) return std::nullopt;
  const int64_t n = shape_numel(s);
  if (n != channels && n != 1) return std::nullopt;
  for (int64_t i = 0; i < channels; ++i)
    bias[static_cast<size_t>(i)] = factor * static_cast<float>(b->constant->element_as_double(n == 1 ? 0 : i));
  return bias;
}

Result<bool> fold_one(Graph& graph, Node* add) {
  auto operand = constant_operand(*add);
  if (!operand) return false;
  Value* a = add->input(operand->second);
  Node* producer = sole_producer(graph, a, add);
  if (!producer || fused_activation(*producer) || add->outputs.size() != 1) return false;
  const Shape& out = a->type.shape;
  if (add->outputs[0]->type.shape != out) return false;  // the Add must not broadcast a up

  switch (producer->kind) {
    case OpKind::kConv:
    case OpKind::kConvTranspose: {
      if (out.size() < 3 || !constant_input(*producer, 1)) return false;
      auto c = per_channel_values(*operand->first, out, 1);
      auto bias = current_bias(*producer, out[1], 1.f);
      if (!c || !bias) return false;
      for (size_t i = 0; i < bias->size(); ++i) (*bias)[i] += (*c)[i];
      if (producer->inputs.size() < 3) producer->inputs.resize(3, nullptr);
      graph.set_input(producer, 2, new_bias(graph, *producer, *bias));
      break;
    }
    case OpKind::kGemm: {
      if (out.size() != 2) return false;
      auto c = per_channel_values(*operand->first, out, 1);
      auto bias = current_bias(*producer, out[1], producer->attr_float("beta", 1.f));
      if (!c || !bias) return false;
      for (size_t i = 0; i < bias->size(); ++i) (*bias)[i] += (*c)[i];
      if (producer->inputs.size() < 3) producer->inputs.resize(3, nullptr);
      graph.set_input(producer, 2, new_bias(graph, *producer, *bias));
      producer->attrs["beta"] = 1.f;
      break;
    }
    case OpKind::kMatMul: {
      const Value* b = producer->input(1);
      if (out.size() < 2 || !b->is_constant() || b->type.shape.size() != 2) return false;
      auto c = per_channel_values(*operand->first, out, out.size() - 1);
      if (!c) return false;
      if (out.size() > 2 || producer->input(0)->type.shape.size() != 2 || producer->input(2)) {
        auto bias = current_bias(*producer, out.back(), 1.f);
        if (!bias) return false;
        for (size_t i = 0; i < bias->size(); ++i) (*bias)[i] += (*c)[i];
        if (producer->inputs.size() < 3) producer->inputs.resize(3, nullptr);
        graph.set_input(producer, 2, new_bias(graph, *producer, *bias));
        break;
      }
      Value* x = producer->input(0);
      Value* weights = producer->input(1);
      const std::string name = producer->name;
      Value* bias = new_bias(graph, *producer, *c);
      graph.erase_node(producer);
      QF_RETURN_IF_ERROR(graph.add_node(OpKind::kGemm, name, {x, weights, bias}, {a}).status());
      break;
    }
    default:
      return false;
  }
  // The producer now computes the sum: it takes over the Add's output.
  Value* y = add->outputs[0];
  Node* new_producer = a->producer;
  graph.erase_node(add);
  graph.set_output(new_producer, 0, y);
  graph.record_removed(a->name, y->name, kPass, false);
  return true;
}

}  // namespace

Result<bool> fold_bias_add(Graph& graph) {
  bool changed = false;
  for (Node* add : graph.nodes_of(OpKind::kAdd)) {
    QF_ASSIGN_OR_RETURN(bool folded, fold_one(graph, add));
    changed = changed || folded;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
