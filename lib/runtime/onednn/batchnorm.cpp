// SPDX-License-Identifier: Apache-2.0
// Inference BatchNormalization on oneDNN: y = (x - mean) / sqrt(var + eps) * scale + B, with the
// statistics given (use_global_stats) and scale and shift as separate constant vectors.
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_batchnorm(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  for (size_t i = 0; i < 5; ++i)
    if (!node.input(i)) return decline(ctx, "missing input");
  if (node.outputs.size() > 1) {
    for (size_t i = 1; i < node.outputs.size(); ++i)
      if (node.outputs[i]) return decline(ctx, "training-mode outputs (running mean/var)");
  }
  if (node.attr_int("training_mode", 0) != 0) return decline(ctx, "training_mode");
  const Shape& in = ctx.in_shape(0);
  if (in.size() < 2 || in.size() > 5) return decline(ctx, "oneDNN normalizes 2-D to 5-D data");
  if (ctx.out_shape() != in) return decline(ctx, "output shape differs from the input");
  const int64_t c = in[1];
  for (size_t i = 1; i < 5; ++i) {
    const Value* v = node.input(i);
    if (!v->is_constant()) return decline(ctx, "scale/B/mean/var are not constant");
    if (shape_numel(v->type.shape) != c) return decline(ctx, "parameter size differs from the channels");
  }

  const Layout layout = ctx.incoming(0);
  const dnnl::memory::desc data_md = desc_for(in, layout);
  const float epsilon = node.attr_float("epsilon", 1e-5f);
  const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                     dnnl::normalization_flags::use_shift;
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data_md, epsilon, flags);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::batch_normalization_forward(pd), pd.impl_info_str(),
                                             ctx.threads, node.inputs.size(), node.outputs.size());
  const dnnl::memory::desc vec({c}, DataType::f32, Tag::a);
  const int args[] = {0, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
  for (size_t i = 1; i < 5; ++i) k->bind_constant(args[i], owned_memory(vec, node.input(i)->constant->data<float>()));
  k->bind_input(DNNL_ARG_SRC, 0, data_md, layout);
  k->bind_output(DNNL_ARG_DST, 0, data_md, output_layout_for(in, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
