// SPDX-License-Identifier: Apache-2.0
// oneDNN integer kernels for a quantized graph: Conv through the convolution primitive, Gemm and
// MatMul through matmul (it takes a source zero point, inner product does not), pooling and
// concat of codes that keep one encoding. Every attribute comes from runtime/int8.h's Int8Linear,
// the same numbers the reference kernels use.
#include <cfloat>

#include "runtime/int8.h"
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {
namespace {

DataType codes_type(const Value& v) { return onednn_dtype(v.encoding->storage_dtype()); }

// Output scales, zero points and post-ops (the residual's sum, then the activation).
// `channel_mask` marks the destination dim that indexes output channels.
dnnl::primitive_attr int8_attr(const Int8Linear& f, int channel_mask) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(f.multiplier.size() == 1 ? 0 : channel_mask, f.multiplier);
  if (f.input_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {f.input_zero});
  if (f.output_zero != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {f.output_zero});
  dnnl::post_ops po;
  if (f.residual) po.append_sum(f.residual_scale, f.residual_zero);
  if (f.relu) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  } else if (f.act_min > -FLT_MAX || f.act_max < FLT_MAX) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, std::max(f.act_min, -FLT_MAX), std::min(f.act_max, FLT_MAX));
  }
  attr.set_post_ops(po);
  return attr;
}

Created create_int8_conv(const Context& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  const DataType bias = node.input(2) ? DataType::s32 : DataType::undef;
  constexpr int kConvChannelMask = 1 << 1;
  return create_conv_with(ctx, {codes_type(*node.input(0)), DataType::s8, bias == DataType::undef ? DataType::s32 : bias,
                                codes_type(*node.outputs[0]), int8_attr(f, kConvChannelMask)});
}

// [M, K] x [K, N] (B given as [N, K] by Gemm's transB).
Created create_int8_matmul(const Context& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  const Shape& a = ctx.in_shape(0);
  const Shape& b = ctx.in_shape(1);
  const bool trans_b = node.kind == OpKind::kGemm && node.attr_int("transB", 0) != 0;
  const int64_t m = a[0], k = a[1], n = trans_b ? b[0] : b[1];
  const dnnl::memory::desc a_md({m, k}, codes_type(*node.input(0)), Tag::ab);
  const dnnl::memory::desc b_user({k, n}, DataType::s8, trans_b ? Tag::ba : Tag::ab);
  const dnnl::memory::desc b_any({k, n}, DataType::s8, Tag::any);
  const dnnl::memory::desc dst_md({m, n}, codes_type(*node.outputs[0]), Tag::ab);
  const Value* bias = node.kind == OpKind::kGemm ? node.input(2) : nullptr;
  const dnnl::memory::desc bias_md({1, n}, DataType::s32, Tag::ab);
  constexpr int kMatmulChannelMask = 1 << 1;
  const auto desc = bias ? dnnl::matmul::desc(a_md, b_any, bias_md, dst_md) : dnnl::matmul::desc(a_md, b_any, dst_md);
  dnnl::matmul::primitive_desc pd(desc, int8_attr(f, kMatmulChannelMask), cpu_engine());
  QF_ASSIGN_OR_RETURN(dnnl::memory w, reorder_constant(*node.input(1)->constant, b_user, pd.weights_desc()));
  auto kernel = std::make_unique<PrimitiveKernel>(dnnl::matmul(pd), pd.impl_info_str(), ctx.threads,
                                                  node.inputs.size(), node.outputs.size());
  kernel->bind_input(DNNL_ARG_SRC, 0, a_md, Layout::kPlain);
  kernel->bind_constant(DNNL_ARG_WEIGHTS, w);
  kernel->set_input_layout(1, Layout::kPlain);
  if (bias) {
    kernel->bind_constant(DNNL_ARG_BIAS, owned_memory(bias_md, bias->constant->bytes()));
    kernel->set_input_layout(2, Layout::kPlain);
  }
  kernel->bind_output(DNNL_ARG_DST, 0, dst_md, Layout::kPlain);
  return std::unique_ptr<Kernel>(std::move(kernel));
}

bool same_grid(const Value* a, const Value* b) {
  return a && b && a->encoding && b->encoding && runs_as_codes(*a) && runs_as_codes(*b) &&
         a->encoding->bitwidth == b->encoding->bitwidth && a->encoding->is_signed == b->encoding->is_signed &&
         a->encoding->scale == b->encoding->scale && a->encoding->offset == b->encoding->offset &&
         !a->encoding->per_channel();
}

}  // namespace

Created create_int8(const Context& ctx) {
  const Node& node = ctx.node;
  switch (node.kind) {
    case OpKind::kConv:
    case OpKind::kGemm:
    case OpKind::kMatMul: {
      std::string why;
      auto form = int8_linear_form(node, &why);
      if (!form) return decline(ctx, why);
      return node.kind == OpKind::kConv ? create_int8_conv(ctx, *form) : create_int8_matmul(ctx, *form);
    }
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalMaxPool: {
      // Pooling codes keeps their grid: the output must share the input's encoding.
      if (!same_grid(node.input(0), node.outputs.empty() ? nullptr : node.outputs[0]))
        return decline(ctx, "input and output encodings differ");
      Context codes{node, ctx.config, ctx.threads, ctx.why, codes_type(*node.input(0))};
      return create_pool_of(codes, true);
    }
    case OpKind::kConcat: {
      if (!moves_codes(node)) return decline(ctx, "inputs and output do not share one encoding");
      Context codes{node, ctx.config, ctx.threads, ctx.why, codes_type(*node.outputs[0])};
      return create_concat_of(codes, true);
    }
    default:
      return decline(ctx, "no oneDNN int8 kernel for this op");
  }
}

}  // namespace qf::onednn
