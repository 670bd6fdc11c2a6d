// SPDX-License-Identifier: Apache-2.0
// Concat on oneDNN's concat primitive. All inputs and the output share one layout: the first
// input's (channel concat in channels-last is what oneDNN's fast path copies).
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_concat(const Context& ctx) { return create_concat_of(ctx, false); }

Created create_concat_of(const Context& ctx, bool codes) {
  const Node& node = ctx.node;
  if (!codes) {
    if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  }
  if (node.inputs.empty() || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  const Shape& out = ctx.out_shape();
  const int64_t rank = static_cast<int64_t>(out.size());
  if (rank == 0) return decline(ctx, "scalar output");
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return decline(ctx, "axis out of range");
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!node.input(i)) return decline(ctx, "absent input");
    if (ctx.in_shape(i).size() != out.size()) return decline(ctx, "input rank differs from the output");
    // oneDNN rejects zero-sized sources; ONNX allows them.
    if (shape_numel(ctx.in_shape(i)) == 0) return decline(ctx, "empty input");
  }

  // Follow the first input whose layout matters.
  Layout layout = Layout::kPlain;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!layout_invariant(ctx.in_shape(i))) {
      layout = ctx.incoming(i);
      break;
    }
  }
  std::vector<dnnl::memory::desc> srcs;
  for (size_t i = 0; i < node.inputs.size(); ++i) srcs.push_back(desc_for(ctx.in_shape(i), layout, ctx.dtype));
  const dnnl::memory::desc dst_md = desc_for(out, layout, ctx.dtype);
  dnnl::concat::primitive_desc pd(dst_md, static_cast<int>(axis), srcs, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::concat(pd), pd.impl_info_str(), ctx.threads, node.inputs.size(),
                                             node.outputs.size());
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const int arg = DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i);
    if (const Value* v = node.input(i); v->is_constant()) {
      // Put into the shared layout once here rather than by the executor on every run.
      QF_ASSIGN_OR_RETURN(dnnl::memory mem,
                          reorder_constant(*v->constant, desc_for(v->type.shape, Layout::kPlain, ctx.dtype), srcs[i]));
      k->bind_constant(arg, mem);
      k->set_input_layout(i, Layout::kPlain);
      continue;
    }
    const Layout want = layout_invariant(ctx.in_shape(i)) ? ctx.incoming(i) : layout;
    k->bind_input(arg, i, srcs[i], want);
  }
  k->bind_output(DNNL_ARG_DST, 0, dst_md, output_layout_for(out, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
