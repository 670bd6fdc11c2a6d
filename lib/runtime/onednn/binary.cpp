// SPDX-License-Identifier: Apache-2.0
// Add / Sub / Mul / Div on oneDNN's binary primitive and PRelu on its prelu primitive, with the
// broadcasting they support: the first source has the output's shape, the second may have 1s
// anywhere (numpy rules after left-padding).
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {
namespace {

std::optional<dnnl::algorithm> algorithm_for(OpKind kind) {
  switch (kind) {
    case OpKind::kAdd: return dnnl::algorithm::binary_add;
    case OpKind::kSub: return dnnl::algorithm::binary_sub;
    case OpKind::kMul: return dnnl::algorithm::binary_mul;
    case OpKind::kDiv: return dnnl::algorithm::binary_div;
    default: return std::nullopt;
  }
}


// How one operand reaches the primitive.
struct Operand {
  size_t index;
  dnnl::memory::desc md;
  Layout layout;  // what to ask the executor for (run-time operands)
};

}  // namespace

Created create_binary(const Context& ctx) {
  const Node& node = ctx.node;
  const bool prelu = node.kind == OpKind::kPRelu;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (!node.input(0) || !node.input(1) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  auto alg = algorithm_for(node.kind);
  if (!alg && !prelu) return decline(ctx, "not a binary op");

  const Shape& out = ctx.out_shape();
  const size_t rank = std::max<size_t>(1, out.size());
  const Dims out_dims = padded_dims(out, rank);
  size_t first = 0, second = 1;
  auto full = [&](size_t i) { return padded_dims(ctx.in_shape(i), rank) == out_dims; };
  // oneDNN 2.6 broadcasts only the second source (PRelu's slope only ever broadcasts).
  if (!full(0)) {
    if (prelu || !full(1) || !op_has_trait(node.kind, kCommutative)) return decline(ctx, "the first operand would need broadcasting");
    std::swap(first, second);
  }
  if (ctx.in_shape(first).size() > rank || ctx.in_shape(second).size() > rank) return decline(ctx, "rank mismatch");
  const Dims second_dims = padded_dims(ctx.in_shape(second), rank);
  for (size_t d = 0; d < rank; ++d)
    if (second_dims[d] != 1 && second_dims[d] != out_dims[d]) return decline(ctx, "shapes do not broadcast");

  // The full operand decides the layout; the output follows it. A full operand of lower rank
  // ([C,H,W] giving [1,C,H,W]) has no channels-last form of the output's rank.
  const bool first_native = ctx.in_shape(first).size() == rank;
  const Layout layout = rank >= 3 && first_native ? ctx.incoming(first) : Layout::kPlain;
  const Tag tag = tag_for(rank, layout);
  const Operand a{first, dnnl::memory::desc(out_dims, DataType::f32, tag), layout};
  const dnnl::memory::desc dst_md(out_dims, DataType::f32, tag);
  Operand b{second, dnnl::memory::desc(second_dims, DataType::f32, tag), layout};
  const Value* bv = node.input(second);
  if (bv->is_constant()) {
    // Converted once at creation below, whatever its layout: nothing for the executor to do.
    b.layout = Layout::kPlain;
  } else if (layout_invariant(Shape(second_dims.begin(), second_dims.end()))) {
    // Same bytes either way: take what the producer gives and describe it like the output.
    b.layout = ctx.incoming(second);
  } else if (ctx.in_shape(second).size() != rank) {
    // A lower-rank operand ([C,H,W] under [N,C,H,W]) only exists in plain order.
    b.md = dnnl::memory::desc(second_dims, DataType::f32, plain_tag(rank));
    b.layout = Layout::kPlain;
  }

  std::unique_ptr<PrimitiveKernel> k;
  int a_arg, b_arg;
  if (prelu) {
    dnnl::prelu_forward::desc desc(dnnl::prop_kind::forward_inference, a.md, b.md);
    dnnl::prelu_forward::primitive_desc pd(desc, cpu_engine());
    k = std::make_unique<PrimitiveKernel>(dnnl::prelu_forward(pd), pd.impl_info_str(), ctx.threads,
                                          node.inputs.size(), node.outputs.size());
    a_arg = DNNL_ARG_SRC;
    b_arg = DNNL_ARG_WEIGHTS;
  } else {
    dnnl::binary::desc desc(*alg, a.md, b.md, dst_md);
    dnnl::binary::primitive_desc pd(desc, fused_activation_attr(node), cpu_engine());
    k = std::make_unique<PrimitiveKernel>(dnnl::binary(pd), pd.impl_info_str(), ctx.threads, node.inputs.size(),
                                          node.outputs.size());
    a_arg = DNNL_ARG_SRC_0;
    b_arg = DNNL_ARG_SRC_1;
  }
  k->bind_input(a_arg, a.index, a.md, a.layout);
  if (bv->is_constant()) {
    // A constant is row-major over its (left-padded) dims.
    const dnnl::memory::desc user(second_dims, DataType::f32, plain_tag(rank));
    QF_ASSIGN_OR_RETURN(dnnl::memory mem, reorder_constant(*bv->constant, user, b.md));
    k->bind_constant(b_arg, mem);
    k->set_input_layout(b.index, Layout::kPlain);
  } else {
    k->bind_input(b_arg, b.index, b.md, b.layout);
  }
  k->bind_output(DNNL_ARG_DST, 0, dst_md, output_layout_for(out, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
