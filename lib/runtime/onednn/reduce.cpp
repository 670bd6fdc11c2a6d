// SPDX-License-Identifier: Apache-2.0
// ReduceMean, ReduceSum and ReduceMax on oneDNN's reduction primitive (a mean over exactly the
// spatial dims on its global average pool): the destination keeps every dim, reduced ones as 1.
#include <set>

#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_reduce(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node, {1})) return decline(ctx, *bad);
  if (!node.input(0) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) return decline(ctx, "scalar input");

  std::vector<int64_t> axes;
  if (const Value* a = node.input(1)) {
    if (!a->is_constant()) return decline(ctx, "axes are not constant");
    axes = a->constant->to_int_vector();
  } else if (node.has_attr("axes")) {
    return decline(ctx, "axes given as an attribute (not the canonical form)");
  }
  if (axes.empty()) {
    // Nothing to reduce is the identity; the reference copies it as cheaply as we would.
    if (node.attr_int("noop_with_empty_axes", 0) != 0) return decline(ctx, "empty axes with noop_with_empty_axes");
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  std::set<int64_t> reduced;
  for (int64_t a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return decline(ctx, "axis out of range");
    reduced.insert(a);
  }
  Shape kept = in;
  for (int64_t a : reduced) kept[static_cast<size_t>(a)] = 1;
  if (shape_numel(kept) != shape_numel(out)) return decline(ctx, "unexpected output shape");
  const bool keepdims = node.attr_int("keepdims", 1) != 0;

  // Without keepdims the output has a lower rank whose channels-last form is a different thing:
  // only keep channels-last when the reduced result is the same bytes in both orders.
  Layout layout = ctx.incoming(0);
  if (!keepdims && !layout_invariant(kept)) layout = Layout::kPlain;
  const dnnl::memory::desc src_md = desc_for(in, layout);
  const dnnl::memory::desc dst_md = desc_for(kept, layout);
  std::unique_ptr<PrimitiveKernel> k;
  const dnnl::algorithm alg = node.kind == OpKind::kReduceSum   ? dnnl::algorithm::reduction_sum
                              : node.kind == OpKind::kReduceMax ? dnnl::algorithm::reduction_max
                                                                : dnnl::algorithm::reduction_mean;
  bool spatial = alg == dnnl::algorithm::reduction_mean && rank >= 3 && rank <= 5 && static_cast<int64_t>(reduced.size()) == rank - 2;
  for (int64_t a : reduced) spatial = spatial && a >= 2;
  if (spatial) {
    // The mean over every spatial dim is a global average pool: oneDNN has jit kernels for that,
    // while its reduction primitive mostly lands on ref:any for these shapes.
    const Dims window(in.begin() + 2, in.end());
    const Dims ones(window.size(), 1), zeros(window.size(), 0);
    dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::pooling_avg_exclude_padding, src_md, dst_md, ones, window,
                                        zeros, zeros, zeros);
    dnnl::pooling_v2_forward::primitive_desc pd(desc, cpu_engine());
    k = std::make_unique<PrimitiveKernel>(dnnl::pooling_v2_forward(pd), pd.impl_info_str(), ctx.threads,
                                          node.inputs.size(), node.outputs.size());
  } else {
    dnnl::reduction::desc desc(alg, src_md, dst_md, 0.f, 0.f);
    dnnl::reduction::primitive_desc pd(desc, cpu_engine());
    k = std::make_unique<PrimitiveKernel>(dnnl::reduction(pd), pd.impl_info_str(), ctx.threads, node.inputs.size(),
                                          node.outputs.size());
  }
  k->bind_input(DNNL_ARG_SRC, 0, src_md, layout);
  if (node.input(1)) k->set_input_layout(1, Layout::kPlain);
  k->bind_output(DNNL_ARG_DST, 0, dst_md, keepdims ? output_layout_for(out, layout) : Layout::kPlain);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
