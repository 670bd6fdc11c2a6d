// SPDX-License-Identifier: Apache-2.0
// LayerNormalization on oneDNN's layer_normalization primitive, which normalizes over the last dim:
// the tensor is seen as [rows, width] (width = the product of the dims from `axis` on), so any
// axis works in ONNX order; Scale and B are constant vectors of that width.
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_layer_norm(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (!node.input(0) || !node.input(1)) return decline(ctx, "unexpected arity");
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i]) return decline(ctx, "Mean / InvStdDev outputs");
  const Shape& in = ctx.in_shape(0);
  if (in.empty()) return decline(ctx, "scalar input");
  if (ctx.out_shape() != in) return decline(ctx, "output shape differs from the input");
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return decline(ctx, "axis out of range");
  const Shape normalized(in.begin() + axis, in.end());
  const int64_t width = shape_numel(normalized);
  if (width == 0) return decline(ctx, "nothing to normalize");
  const std::vector<float> scale = normalized_row_constant(node.input(1), normalized, 1.f);
  const std::vector<float> shift = normalized_row_constant(node.input(2), normalized, 0.f);
  if (scale.empty() || shift.empty()) return decline(ctx, "Scale or B is not a constant of the normalized size or a scalar");

  const dnnl::memory::desc md({shape_numel(in) / width, width}, DataType::f32, Tag::ab);
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md,
                                               node.attr_float("epsilon", 1e-5f), flags);
  dnnl::layer_normalization_forward::primitive_desc pd(desc, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::layer_normalization_forward(pd), pd.impl_info_str(), ctx.threads,
                                             node.inputs.size(), node.outputs.size());
  const dnnl::memory::desc vec({width}, DataType::f32, Tag::a);
  k->bind_constant(DNNL_ARG_SCALE, owned_memory(vec, scale.data()));
  k->bind_constant(DNNL_ARG_SHIFT, owned_memory(vec, shift.data()));
  k->bind_input(DNNL_ARG_SRC, 0, md, Layout::kPlain);
  k->bind_output(DNNL_ARG_DST, 0, md, Layout::kPlain);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
