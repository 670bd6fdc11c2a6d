// SPDX-License-Identifier: Apache-2.0
// Softmax / LogSoftmax on oneDNN's softmax_v2. Opset >= 13 normalizes over one axis (any layout
// works, the axis is logical); opset < 13 (legacy_2d) flattens to [outer, inner] first, which
// only means something in ONNX order.
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_softmax(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (!node.input(0) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  if (node.input(1)) return decline(ctx, "a masked Softmax (oneDNN's has no mask)");
  const Shape& in = ctx.in_shape(0);
  if (in.empty()) return decline(ctx, "scalar input");
  if (ctx.out_shape() != in) return decline(ctx, "output shape differs from the input");
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return decline(ctx, "axis out of range");
  const bool legacy = node.attr_int("legacy_2d", 0) != 0;

  Layout layout = ctx.incoming(0);
  dnnl::memory::desc md;
  int dnnl_axis = static_cast<int>(axis);
  if (legacy) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in[static_cast<size_t>(i)];
    md = dnnl::memory::desc({outer, inner}, DataType::f32, Tag::ab);
    dnnl_axis = 1;
    layout = Layout::kPlain;
  } else {
    md = desc_for(in, layout);
  }
  const auto alg = node.kind == OpKind::kLogSoftmax ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  dnnl::softmax_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, md, md, dnnl_axis);
  dnnl::softmax_v2_forward::primitive_desc pd(desc, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::softmax_v2_forward(pd), pd.impl_info_str(), ctx.threads,
                                             node.inputs.size(), node.outputs.size());
  k->bind_input(DNNL_ARG_SRC, 0, md, layout);
  k->bind_output(DNNL_ARG_DST, 0, md, output_layout_for(in, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
