// SPDX-License-Identifier: Apache-2.0
// Gemm and MatMul on oneDNN's matmul primitive. Constant B is reordered once into the layout the
// primitive prefers; activations stay in ONNX order (these ops index dims, not channels).
#include <vector>

#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {
namespace {

// Everything but the primitive itself: how each operand is described and bound.
struct MatmulPlan {
  dnnl::memory::desc a_md, b_user_md, dst_md;
  bool b_constant = false;
  std::optional<Tensor> b_values;  // constant B, possibly pre-scaled by alpha
  dnnl::memory::desc bias_md;
  std::vector<float> bias;         // empty: no bias
  dnnl::primitive_attr attr;
  dnnl::post_ops post_ops;
  int c_input = -1;                // Gemm's C fed at run time as a binary-add post-op (index 0)
  dnnl::memory::desc c_md;
};

Created build(const Context& ctx, MatmulPlan& plan) {
  const Node& node = ctx.node;
  const dnnl::memory::desc b_md =
      plan.b_constant ? dnnl::memory::desc(plan.b_user_md.dims(), DataType::f32, Tag::any) : plan.b_user_md;
  std::optional<dnnl::matmul::desc> desc;
  if (plan.bias.empty()) {
    desc.emplace(plan.a_md, b_md, plan.dst_md);
  } else {
    desc.emplace(plan.a_md, b_md, plan.bias_md, plan.dst_md);
  }
  // The fused activation runs after Gemm's C is added.
  append_fused_activation(node, plan.post_ops);
  plan.attr.set_post_ops(plan.post_ops);
  dnnl::matmul::primitive_desc pd(*desc, plan.attr, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::matmul(pd), pd.impl_info_str(), ctx.threads, node.inputs.size(),
                                             node.outputs.size());
  k->bind_input(DNNL_ARG_SRC, 0, plan.a_md, Layout::kPlain);
  if (plan.b_constant) {
    QF_ASSIGN_OR_RETURN(dnnl::memory w, reorder_constant(*plan.b_values, plan.b_user_md, pd.weights_desc()));
    k->bind_constant(DNNL_ARG_WEIGHTS, w);
  } else {
    k->bind_input(DNNL_ARG_WEIGHTS, 1, plan.b_user_md, Layout::kPlain);
  }
  if (!plan.bias.empty()) k->bind_constant(DNNL_ARG_BIAS, owned_memory(plan.bias_md, plan.bias.data()));
  if (plan.c_input >= 0)
    k->bind_input(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, static_cast<size_t>(plan.c_input), plan.c_md,
                  Layout::kPlain);
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (node.input(i) && node.input(i)->is_constant()) k->set_input_layout(i, Layout::kPlain);
  k->bind_output(DNNL_ARG_DST, 0, plan.dst_md, Layout::kPlain);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Created create_gemm(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (!node.input(0) || !node.input(1) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  const Shape& a = ctx.in_shape(0);
  const Shape& b = ctx.in_shape(1);
  if (a.size() != 2 || b.size() != 2) return decline(ctx, "A and B must be 2-D");
  const bool trans_a = node.attr_int("transA", 0) != 0;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.f);
  const float beta = node.attr_float("beta", 1.f);
  const int64_t m = trans_a ? a[1] : a[0], k = trans_a ? a[0] : a[1];
  const int64_t n = trans_b ? b[0] : b[1];
  if ((trans_b ? b[1] : b[0]) != k) return decline(ctx, "inner dimensions differ");
  if (ctx.out_shape() != Shape{m, n}) return decline(ctx, "unexpected output shape");

  MatmulPlan plan;
  // A transposed operand is the same bytes read with swapped strides ("ba").
  plan.a_md = dnnl::memory::desc({m, k}, DataType::f32, trans_a ? Tag::ba : Tag::ab);
  plan.b_user_md = dnnl::memory::desc({k, n}, DataType::f32, trans_b ? Tag::ba : Tag::ab);
  plan.dst_md = dnnl::memory::desc({m, n}, DataType::f32, Tag::ab);
  plan.b_constant = node.input(1)->is_constant();
  bool scaled_output = false;
  if (plan.b_constant) {
    // Folding alpha into the weights keeps the bias (which matmul scales too) untouched.
    Tensor values = node.input(1)->constant->clone();
    if (alpha != 1.f)
      for (float& x : values.span<float>()) x *= alpha;
    plan.b_values = values;
  } else if (alpha != 1.f) {
    plan.attr.set_output_scales(0, {alpha});
    scaled_output = true;
  }

  const Value* c = node.input(2);
  if (c && beta != 0.f) {
    const Shape& cs = c->type.shape;
    if (cs.size() > 2) return decline(ctx, "C has rank > 2");
    const Dims cdims = padded_dims(cs, 2);
    if ((cdims[0] != 1 && cdims[0] != m) || (cdims[1] != 1 && cdims[1] != n))
      return decline(ctx, "C does not broadcast to [M, N]");
    if (c->is_constant()) {
      // matmul computes scale * (A B + bias): undo the output scale on the bias.
      const float factor = scaled_output ? beta / alpha : beta;
      plan.bias_md = dnnl::memory::desc(cdims, DataType::f32, Tag::ab);
      for (float x : c->constant->span<float>()) plan.bias.push_back(x * factor);
    } else {
      if (beta != 1.f) return decline(ctx, "non-constant C with beta != 1");
      plan.c_input = 2;
      plan.c_md = dnnl::memory::desc(cdims, DataType::f32, Tag::ab);
      plan.post_ops.append_binary(dnnl::algorithm::binary_add, plan.c_md);
    }
  }
  return build(ctx, plan);
}

Created create_matmul(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (!node.input(0) || !node.input(1) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  Shape a = ctx.in_shape(0);
  Shape b = ctx.in_shape(1);
  if (a.empty() || b.empty()) return decline(ctx, "scalar operand");
  // numpy: a 1-D A is a row vector, a 1-D B a column vector; the output drops those dims, which
  // does not change its bytes.
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const size_t rank = std::max(a.size(), b.size());
  if (rank > 12) return decline(ctx, "more than 12 dims");
  const Dims ad = padded_dims(a, rank), bd = padded_dims(b, rank);
  if (ad[rank - 1] != bd[rank - 2]) return decline(ctx, "inner dimensions differ");
  Dims dd(rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1) return decline(ctx, "batch dims do not broadcast");
    dd[i] = std::max(ad[i], bd[i]);
  }
  dd[rank - 2] = ad[rank - 2];
  dd[rank - 1] = bd[rank - 1];
  int64_t numel = 1;
  for (int64_t d : dd) numel *= d;
  if (numel != shape_numel(ctx.out_shape())) return decline(ctx, "unexpected output shape");

  MatmulPlan plan;
  const Tag tag = plain_tag(rank);
  plan.a_md = dnnl::memory::desc(ad, DataType::f32, tag);
  plan.b_user_md = dnnl::memory::desc(bd, DataType::f32, tag);
  plan.dst_md = dnnl::memory::desc(dd, DataType::f32, tag);
  plan.b_constant = node.input(1)->is_constant();
  if (plan.b_constant) plan.b_values = *node.input(1)->constant;
  if (const Value* c = node.input(2)) {  // qforge's bias (passes/fold_bias_add.cpp)
    if (!c->is_constant()) return decline(ctx, "a bias that is not constant");
    Dims bias_dims(rank, 1);
    bias_dims[rank - 1] = dd[rank - 1];
    plan.bias_md = dnnl::memory::desc(bias_dims, DataType::f32, tag);
    const Tensor& values = *c->constant;
    for (int64_t j = 0; j < dd[rank - 1]; ++j) plan.bias.push_back(values.data<float>()[values.numel() == 1 ? 0 : j]);
  }
  return build(ctx, plan);
}

}  // namespace qf::onednn
