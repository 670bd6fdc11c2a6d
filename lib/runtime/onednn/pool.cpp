// SPDX-License-Identifier: Apache-2.0
// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool on oneDNN's pooling_v2 (dilated
// pooling). ceil_mode becomes extra end padding, which pooling ignores (max) or excludes (avg).
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_pool(const Context& ctx) { return create_pool_of(ctx, false); }

Created create_pool_of(const Context& ctx, bool codes) {
  const Node& node = ctx.node;
  if (!codes) {
    if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  }
  if (!node.input(0) || node.outputs.empty() || !node.outputs[0]) return decline(ctx, "unexpected arity");
  if (node.outputs.size() > 1 && node.outputs[1]) return decline(ctx, "MaxPool indices output");
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const size_t rank = in.size();
  if (rank < 3 || rank > 5 || out.size() != rank) return decline(ctx, "oneDNN pools 1-D to 3-D spatial data");
  if (out[0] != in[0] || out[1] != in[1]) return decline(ctx, "batch or channels change");
  const size_t sd = rank - 2;

  Window win;
  dnnl::algorithm alg;
  const bool global = node.kind == OpKind::kGlobalAveragePool || node.kind == OpKind::kGlobalMaxPool;
  if (global) {
    win.kernel.assign(in.begin() + 2, in.end());
    win.strides.assign(sd, 1);
    win.dilates.assign(sd, 0);
    win.pad_l.assign(sd, 0);
    win.pad_r.assign(sd, 0);
    for (size_t i = 2; i < rank; ++i)
      if (out[i] != 1) return decline(ctx, "global pool output is not 1 per spatial dim");
    alg = node.kind == OpKind::kGlobalMaxPool ? dnnl::algorithm::pooling_max
                                              : dnnl::algorithm::pooling_avg_exclude_padding;
  } else {
    std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
    if (kernel.size() != sd) return decline(ctx, "kernel_shape missing or of the wrong rank");
    if (std::string bad = read_window(node, in, out, Dims(kernel.begin(), kernel.end()), &win); !bad.empty())
      return decline(ctx, bad);
    if (node.kind == OpKind::kMaxPool) {
      alg = dnnl::algorithm::pooling_max;
    } else if (node.attr_int("count_include_pad", 0) != 0) {
      // ONNX divides by the window clipped to the explicitly padded input; oneDNN by the kernel
      // size, so the extra ceil_mode padding would be counted.
      if (win.pad_r_extended) return decline(ctx, "count_include_pad with ceil_mode extending the padding");
      alg = dnnl::algorithm::pooling_avg_include_padding;
    } else {
      alg = dnnl::algorithm::pooling_avg_exclude_padding;
    }
    for (size_t i = 0; i < sd; ++i) {
      // A window that lies wholly in padding has no ONNX value; oneDNN would invent one.
      const int64_t eff_k = (win.kernel[i] - 1) * (win.dilates[i] + 1) + 1;
      if (win.pad_l[i] >= eff_k || win.pad_r[i] >= eff_k) return decline(ctx, "padding as large as the window");
    }
  }

  const Layout layout = ctx.incoming(0);
  const dnnl::memory::desc src_md = desc_for(in, layout, ctx.dtype);
  const dnnl::memory::desc dst_md = desc_for(out, layout, ctx.dtype);
  dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md, win.strides,
                                      win.kernel, win.dilates, win.pad_l, win.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(desc, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::pooling_v2_forward(pd), pd.impl_info_str(), ctx.threads,
                                             node.inputs.size(), node.outputs.size());
  k->bind_input(DNNL_ARG_SRC, 0, src_md, layout);
  k->bind_output(DNNL_ARG_DST, 0, dst_md, output_layout_for(out, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
