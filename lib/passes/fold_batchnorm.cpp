// SPDX-License-Identifier: Apache-2.0
// BatchNormalization after a Conv, ConvTranspose or Gemm is a per-output-channel affine map,
// which the producer's weights and bias absorb (torch.nn.utils.fusion.fuse_conv_bn_weights):
//
//   x -> Conv(W, b) -> a -> BN(g, beta, mean, var) -> y      becomes      x -> Conv(W', b') -> y
//   r = g / sqrt(var + eps);  W'[o] = W[o] * r[o];  b'[o] = (b[o] - mean[o]) * r[o] + beta[o]
//
// The output channel o is weight axis 0 for Conv, axis 1 (within each group) for ConvTranspose,
// and the N axis of B for Gemm. A BatchNormalization with no such producer becomes a depthwise
// 1x1 Conv with weight r and bias beta - mean * r, so that it runs (and quantizes) like a conv.
// Folding happens before any weight encoding is computed: the folded weights are what int8 sees.
#include <cmath>

#include "ir/fused_activation.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fold_batchnorm";
constexpr float kDefaultEpsilon = 1e-5f;

// The per-channel affine map y = x * scale + shift a BatchNormalization applies.
struct Affine {
  std::vector<double> scale, shift;
};

std::optional<Affine> batchnorm_affine(const Node& bn, int64_t channels) {
  const Tensor* gamma = constant_input(bn, 1);
  const Tensor* beta = constant_input(bn, 2);
  const Tensor* mean = constant_input(bn, 3);
  const Tensor* var = constant_input(bn, 4);
  if (!gamma || !beta || !mean || !var) return std::nullopt;
  for (const Tensor* t : {gamma, beta, mean, var})
    if (t->numel() != channels) return std::nullopt;
  const double eps = bn.attr_float("epsilon", kDefaultEpsilon);
  Affine a;
  for (int64_t c = 0; c < channels; ++c) {
    const double r = gamma->element_as_double(c) / std::sqrt(var->element_as_double(c) + eps);
    a.scale.push_back(r);
    a.shift.push_back(beta->element_as_double(c) - mean->element_as_double(c) * r);
  }
  return a;
}

// Input i of `node` as a float32 tensor this node alone may modify: the constant itself when
// nothing else reads it (its name, which overrides may use, is kept), a copy otherwise.
Tensor* writable_constant(Graph& graph, Node& node, size_t i) {
  Value* v = node.input(i);
  if (v->consumers.size() != 1) {
    Value* copy = graph.add_constant(graph.unique_name(v->name + "_folded"), v->constant->clone());
    graph.set_input(&node, i, copy);
    v = copy;
  }
  return &*v->constant;
}

// The producer's bias after folding: b' = b * scale + shift (b = 0 when absent).
Status fold_into_bias(Graph& graph, Node& producer, size_t bias_input, const Affine& a) {
  const auto channels = static_cast<int64_t>(a.scale.size());
  if (!producer.input(bias_input)) {
    if (producer.inputs.size() <= bias_input) producer.inputs.resize(bias_input + 1, nullptr);
    graph.set_input(&producer, bias_input,
                    graph.add_constant(graph.unique_name(producer.name + "_bias"), Tensor(DType::kF32, {channels})));
  }
  Tensor* bias = writable_constant(graph, producer, bias_input);
  for (int64_t c = 0; c < channels; ++c) {
    const double b = bias->element_as_double(c);
    bias->data<float>()[c] = static_cast<float>(b * a.scale[static_cast<size_t>(c)] + a.shift[static_cast<size_t>(c)]);
  }
  return Status::ok();
}

// Scales the weight elements of output channel o by scale[o]; `channel_of(flat index)` says
// which output channel an element belongs to.
template <typename ChannelOf>
void scale_weights(Tensor* w, const Affine& a, ChannelOf channel_of) {
  float* p = w->data<float>();
  for (int64_t i = 0; i < w->numel(); ++i)
    p[i] = static_cast<float>(p[i] * a.scale[static_cast<size_t>(channel_of(i))]);
}

bool float32_constant(const Node& node, size_t i) {
  const Tensor* t = constant_input(node, i);
  return t && t->dtype() == DType::kF32;
}

// Folds into a Conv / ConvTranspose / Gemm; false when this producer cannot take it.
bool fold_into_producer(Graph& graph, Node& producer, const Affine& a) {
  const auto channels = static_cast<int64_t>(a.scale.size());
  if (!float32_constant(producer, 1) || (producer.input(2) && !float32_constant(producer, 2))) return false;
  if (fused_activation(producer)) return false;
  const Shape w_shape = producer.input(1)->type.shape;
  switch (producer.kind) {
    case OpKind::kConv: {
      if (w_shape.empty() || w_shape[0] != channels) return false;
      const int64_t per_channel = shape_numel(w_shape) / channels;
      scale_weights(writable_constant(graph, producer, 1), a, [&](int64_t i) { return i / per_channel; });
      break;
    }
    case OpKind::kConvTranspose: {
      const int64_t group = producer.attr_int("group", 1);
      if (w_shape.size() < 2 || group < 1 || w_shape[1] * group != channels || w_shape[0] % group != 0) return false;
      const int64_t in_per_group = w_shape[0] / group, out_per_group = w_shape[1];
      const int64_t kernel = shape_numel(w_shape) / (w_shape[0] * w_shape[1]);
      scale_weights(writable_constant(graph, producer, 1), a, [&](int64_t i) {
        const int64_t in_channel = i / (out_per_group * kernel), j = (i / kernel) % out_per_group;
        return (in_channel / in_per_group) * out_per_group + j;
      });
      break;
    }
    case OpKind::kGemm: {
      const bool trans_b = producer.attr_int("transB", 0) != 0;
      if (w_shape.size() != 2 || w_shape[trans_b ? 0 : 1] != channels) return false;
      const Value* c = producer.input(2);
      const float beta = producer.attr_float("beta", 1.f);
      Shape c_shape = c ? c->type.shape : Shape{};
      // C must be the same for every row: [N], [1, N], [1] or a scalar.
      if (c && !(c_shape.size() <= 1 || (c_shape.size() == 2 && c_shape[0] == 1))) return false;
      if (c && shape_numel(c_shape) != channels && shape_numel(c_shape) != 1) return false;
      scale_weights(writable_constant(graph, producer, 1), a,
                    [&](int64_t i) { return trans_b ? i / w_shape[1] : i % channels; });
      if (c) {
        // Gemm's C enters as beta * C: bake beta in, as a full [N] bias.
        std::vector<float> per_channel(static_cast<size_t>(channels));
        for (int64_t n = 0; n < channels; ++n)
          per_channel[static_cast<size_t>(n)] = beta * static_cast<float>(
              c->constant->element_as_double(shape_numel(c_shape) == 1 ? 0 : n));
        graph.set_input(&producer, 2,
                        graph.add_constant(graph.unique_name(producer.name + "_bias"),
                                           Tensor::from_vector<float>({channels}, per_channel)));
      }
      producer.attrs["beta"] = 1.f;
      break;
    }
    default:
      return false;
  }
  return fold_into_bias(graph, producer, 2, a).is_ok();
}

// The BatchNormalization as a depthwise 1x1 Conv (same name, same output tensor).
Status replace_with_depthwise_conv(Graph& graph, Node* bn, const Affine& a) {
  const Shape& x = bn->input(0)->type.shape;
  const auto channels = static_cast<int64_t>(a.scale.size());
  Shape w_shape(x.size(), 1);
  w_shape[0] = channels;
  std::vector<float> w(a.scale.begin(), a.scale.end()), b(a.shift.begin(), a.shift.end());
  Value* weight = graph.add_constant(graph.unique_name(bn->name + "_scale"), Tensor::from_vector<float>(w_shape, w));
  Value* bias = graph.add_constant(graph.unique_name(bn->name + "_shift"), Tensor::from_vector<float>({channels}, b));
  Value* in = bn->input(0);
  Value* out = bn->outputs[0];
  const std::string name = bn->name;
  graph.erase_node(bn);
  QF_ASSIGN_OR_RETURN(Node* conv, graph.add_node(OpKind::kConv, name, {in, weight, bias}, {out}));
  const size_t spatial = x.size() - 2;
  conv->attrs["group"] = channels;
  conv->attrs["kernel_shape"] = std::vector<int64_t>(spatial, 1);
  conv->attrs["strides"] = std::vector<int64_t>(spatial, 1);
  conv->attrs["dilations"] = std::vector<int64_t>(spatial, 1);
  conv->attrs["pads"] = std::vector<int64_t>(2 * spatial, 0);
  return Status::ok();
}

}  // namespace

Result<bool> fold_batchnorm(Graph& graph) {
  bool changed = false;
  for (Node* bn : graph.nodes_of(OpKind::kBatchNormalization)) {
    Value* x = bn->input(0);
    if (!x || bn->outputs.size() != 1 || x->type.dtype != DType::kF32 || x->type.shape.size() < 2) continue;
    const int64_t channels = x->type.shape[1];
    const auto affine = batchnorm_affine(*bn, channels);
    if (!affine) continue;
    Node* producer = sole_producer(graph, x, bn);
    if (producer && fold_into_producer(graph, *producer, *affine)) {
      absorb_into_producer(graph, bn, kPass, /*same_values=*/false);
      changed = true;
    } else if (x->type.shape.size() >= 3 && x->type.shape.size() <= 5) {
      QF_RETURN_IF_ERROR(replace_with_depthwise_conv(graph, bn, *affine));
      changed = true;
    }
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
