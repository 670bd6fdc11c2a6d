// SPDX-License-Identifier: Apache-2.0
// Unary element-wise ops on oneDNN's eltwise primitive. Element-wise means layout-blind: the
// tensor is one flat vector and the output keeps the input's layout.
#include <cmath>
#include <limits>

#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {
namespace {

struct EltwiseOp {
  dnnl::algorithm alg;
  float alpha = 0.f;
  float beta = 0.f;
};

EltwiseOp simple(dnnl::algorithm alg, float alpha = 0.f, float beta = 0.f) {
  EltwiseOp op;
  op.alg = alg;
  op.alpha = alpha;
  op.beta = beta;
  return op;
}

// A scalar constant input as float, or nullopt.
std::optional<float> scalar_constant(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v || !v->is_constant() || v->constant->numel() != 1) return std::nullopt;
  return static_cast<float>(v->constant->element_as_double(0));
}

// Fills `op` or returns why not.
std::string choose(const Node& node, EltwiseOp* op) {
  switch (node.kind) {
    case OpKind::kRelu:
      *op = simple(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      return {};
    case OpKind::kLeakyRelu:
      *op = simple(dnnl::algorithm::eltwise_relu, node.attr_float("alpha", 0.01f), 0.f);
      return {};
    case OpKind::kSigmoid:
      *op = simple(dnnl::algorithm::eltwise_logistic);
      return {};
    case OpKind::kTanh:
      *op = simple(dnnl::algorithm::eltwise_tanh);
      return {};
    case OpKind::kExp:
      *op = simple(dnnl::algorithm::eltwise_exp);
      return {};
    case OpKind::kSqrt:
      *op = simple(dnnl::algorithm::eltwise_sqrt);
      return {};
    case OpKind::kNeg:
      *op = simple(dnnl::algorithm::eltwise_linear, -1.f, 0.f);
      return {};
    case OpKind::kReciprocal:
      *op = simple(dnnl::algorithm::eltwise_pow, 1.f, -1.f);
      return {};
    case OpKind::kGelu:
      *op = simple(node.attr_string("approximate", "none") == "tanh" ? dnnl::algorithm::eltwise_gelu_tanh
                                                                     : dnnl::algorithm::eltwise_gelu_erf);
      return {};
    case OpKind::kHardSwish:
      // oneDNN 2.6 computes x * relu6(x + 3) / 6, ONNX's x * clip(x / 6 + 0.5, 0, 1): equal up to rounding.
      *op = simple(dnnl::algorithm::eltwise_hardswish);
      return {};
    case OpKind::kHardSigmoid:
      // oneDNN 2.6 has no hardsigmoid algorithm, and linear + a clip post-op lands on ref:any,
      // which ignores post-ops and leaves the output unwritten (measured): the reference does it.
      return "oneDNN 2.6 has no hardsigmoid (and eltwise post-ops are broken on its ref path)";
    case OpKind::kClip: {
      float lo = std::numeric_limits<float>::lowest();
      float hi = std::numeric_limits<float>::max();
      if (node.input(1)) {
        auto v = scalar_constant(node, 1);
        if (!v) return "min is not a scalar constant";
        lo = *v;
      }
      if (node.input(2)) {
        auto v = scalar_constant(node, 2);
        if (!v) return "max is not a scalar constant";
        hi = *v;
      }
      // ONNX (numpy) gives max when min > max; oneDNN's order of comparisons is not specified.
      if (std::isnan(lo) || std::isnan(hi) || lo > hi) return "min > max or NaN bounds";
      *op = simple(dnnl::algorithm::eltwise_clip_v2, lo, hi);
      return {};
    }
    case OpKind::kPow: {
      auto e = scalar_constant(node, 1);
      if (!e) return "exponent is not a scalar constant";
      *op = simple(dnnl::algorithm::eltwise_pow, 1.f, *e);
      return {};
    }
    default:
      return "not an element-wise op";
  }
}

}  // namespace

Created create_eltwise(const Context& ctx) {
  const Node& node = ctx.node;
  // Only input 0 is data; the rest (Clip bounds, Pow exponent) are scalar constants of any type.
  std::initializer_list<size_t> params = {1, 2};
  if (auto bad = check_f32_static(node, params)) return decline(ctx, *bad);
  if (!node.input(0) || node.outputs.size() != 1 || !node.outputs[0]) return decline(ctx, "unexpected arity");
  if (ctx.in_shape(0) != ctx.out_shape()) return decline(ctx, "output shape differs from the input");
  EltwiseOp op;
  if (std::string bad = choose(node, &op); !bad.empty()) return decline(ctx, bad);

  const dnnl::memory::desc flat({shape_numel(ctx.out_shape())}, DataType::f32, Tag::a);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, op.alg, flat, op.alpha, op.beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, cpu_engine());
  const Layout layout = ctx.incoming(0);
  auto k = std::make_unique<PrimitiveKernel>(dnnl::eltwise_forward(pd), pd.impl_info_str(), ctx.threads,
                                             node.inputs.size(), node.outputs.size());
  k->bind_input(DNNL_ARG_SRC, 0, flat, layout);
  k->bind_output(DNNL_ARG_DST, 0, flat, output_layout_for(ctx.out_shape(), layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
