// SPDX-License-Identifier: Apache-2.0
// oneDNN integer kernels for a quantized graph: Conv through the convolution primitive, Gemm and
// MatMul through matmul (it takes a source zero point, inner product does not), pooling and
// concat of codes that keep one encoding. Every attribute comes from runtime/int8.h's Int8Linear,
// the same numbers the reference kernels use.
#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <optional>

#include "core/log.h"
#include "runtime/int8.h"
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"
#include "runtime/x86/x86_kernels.h"

namespace qf::onednn {
namespace {

DataType codes_type(const Value& v) { return onednn_dtype(v.encoding->storage_dtype()); }

// How the zero points reach oneDNN: as its zero-point attributes, or folded into exact integer
// equivalents (create_int8_conv).
enum class ZeroPoints { kAttribute, kFolded };

// Output scales, zero points and post-ops (the residual's sum, then the activation).
// `channel_mask` marks the destination dim that indexes output channels. With kFolded the source
// zero point is left to the caller (in the bias) and the destination's is the last post-op,
// linear(1, z). oneDNN adds the destination zero point (attribute or post-op) in float before it
// rounds; a round post-op ahead of it gives ONNX's order, round then add the zero point, as the
// reference (int8.h) and onnxruntime compute it.
dnnl::primitive_attr int8_attr(const Int8Linear& f, int channel_mask, ZeroPoints zero_points = ZeroPoints::kAttribute) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(f.multiplier.size() == 1 ? 0 : channel_mask, f.multiplier);
  const bool as_attribute = zero_points == ZeroPoints::kAttribute;
  if (as_attribute && f.input_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {f.input_zero});
  if (as_attribute && f.output_zero != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {f.output_zero});
  dnnl::post_ops po;
  if (f.residual) po.append_sum(f.residual_scale, f.residual_zero);
  if (f.relu) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  } else if (f.act_min > -FLT_MAX || f.act_max < FLT_MAX) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, std::max(f.act_min, -FLT_MAX), std::min(f.act_max, FLT_MAX));
  }
  if (f.output_zero != 0) po.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
  if (!as_attribute && f.output_zero != 0)
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(f.output_zero));
  attr.set_post_ops(po);
  return attr;
}

// True when no window of the conv reaches into padding (ONNX's pads, auto_pad, and the end
// padding the output size implies, as the conv kernel itself reads them).
bool reads_no_padding(const Context& ctx) {
  const Shape& w = ctx.node.input(1)->type.shape;
  Window window;
  if (!read_window(ctx.node, ctx.in_shape(0), ctx.out_shape(), Dims(w.begin() + 2, w.end()), &window).empty())
    return false;
  const auto none = [](const Dims& pads) { return std::all_of(pads.begin(), pads.end(), [](auto p) { return p <= 0; }); };
  return none(window.pad_l) && none(window.pad_r);
}

// The s32 bias with the source zero point folded in, b[c] - z * sum of channel c's weights, when
// that is exact; empty otherwise. Σ(q_x - z)·q_w + b = Σ q_x·q_w + (b - z·Σ q_w) holds for every
// output pixel only where padding adds no taps. oneDNN converts the raw accumulator and the bias
// to float apart, so both must stay within float's exact integers (2^24) for every input.
std::vector<int32_t> bias_with_source_zero(const Node& node, const Int8Linear& f) {
  constexpr int64_t kExactInFloat = int64_t{1} << 24;
  const Tensor& w = *node.input(1)->constant;
  const int64_t channels = w.shape()[0];
  const int64_t row = w.numel() / channels;
  const int64_t largest_code = std::max(std::abs(f.input->qmin()), std::abs(f.input->qmax()));
  const int8_t* codes = w.data<int8_t>();
  const int32_t* bias = node.input(2) ? node.input(2)->constant->data<int32_t>() : nullptr;
  std::vector<int32_t> folded(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    int64_t sum = 0, magnitude = 0;
    for (int64_t k = 0; k < row; ++k) {
      sum += codes[c * row + k];
      magnitude += std::abs(codes[c * row + k]);
    }
    const int64_t b = (bias ? bias[c] : 0) - int64_t{f.input_zero} * sum;
    if (std::abs(b) > kExactInFloat || magnitude * largest_code > kExactInFloat) return {};
    folded[static_cast<size_t>(c)] = static_cast<int32_t>(b);
  }
  return folded;
}

// oneDNN 2.6's AMX convolutions (brgconv on avx512_core_amx_int8) decline zero-point attributes,
// and what it falls back to there, AMX's older direct kernels, is 1.3-8.7x slower on
// mobilenet_v2's 1x1 convs (which carry the residual stream's zero points) than brgconv is on the
// same convs without them. So a conv whose zero points can be folded exactly goes without them: the source's
// into the bias (unpadded convs), the destination's into a post-op. Elsewhere the attributes stay.
Created create_int8_conv(const Context& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  std::vector<int32_t> folded_bias;
  if (f.input_zero != 0 && reads_no_padding(ctx)) folded_bias = bias_with_source_zero(node, f);
  const bool fold = f.input_zero == 0 || !folded_bias.empty();
  constexpr int kConvChannelMask = 1 << 1;
  ConvTypes types{codes_type(*node.input(0)), DataType::s8, DataType::s32, codes_type(*node.outputs[0]),
                  int8_attr(f, kConvChannelMask, fold ? ZeroPoints::kFolded : ZeroPoints::kAttribute),
                  std::move(folded_bias)};
  return create_conv_with(ctx, types);
}

// A MatMul of two activations (attention): [..., M, K] x [..., K, N], batch dims broadcast, the
// second operand's codes as s8 weights bound at run time.
Created create_int8_batched_matmul(const Context& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  if (node.input(1)->encoding->storage_dtype() != DType::kS8 || f.weight_zero != 0)
    return decline(ctx, "the second operand is not symmetric s8 codes (oneDNN 2.6 takes no weight zero point)");
  const Shape& out = ctx.out_shape();
  const size_t rank = out.size();
  const dnnl::memory::desc a_md(padded_dims(ctx.in_shape(0), rank), codes_type(*node.input(0)), plain_tag(rank));
  const dnnl::memory::desc b_md(padded_dims(ctx.in_shape(1), rank), DataType::s8, plain_tag(rank));
  const dnnl::memory::desc dst_md(Dims(out.begin(), out.end()), codes_type(*node.outputs[0]), plain_tag(rank));
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, dst_md), int8_attr(f, 0), cpu_engine());
  auto kernel = std::make_unique<PrimitiveKernel>(dnnl::matmul(pd), pd.impl_info_str(), ctx.threads,
                                                  node.inputs.size(), node.outputs.size());
  kernel->bind_input(DNNL_ARG_SRC, 0, a_md, Layout::kPlain);
  kernel->bind_input(DNNL_ARG_WEIGHTS, 1, b_md, Layout::kPlain);
  kernel->bind_output(DNNL_ARG_DST, 0, dst_md, Layout::kPlain);
  return std::unique_ptr<Kernel>(std::move(kernel));
}

// [M, K] x [K, N] (B given as [N, K] by Gemm's transB); MatMul's [..., M, K] as [rows, K], since
// the weights are one matrix for every row.
Created create_int8_matmul(const Context& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  if (f.runtime_weights) return create_int8_batched_matmul(ctx, f);
  const Shape& a = ctx.in_shape(0);
  const Shape& b = ctx.in_shape(1);
  const bool trans_b = node.kind == OpKind::kGemm && node.attr_int("transB", 0) != 0;
  const int64_t k = a.back(), m = k > 0 ? shape_numel(a) / k : 0, n = trans_b ? b[0] : b[1];
  if (m == 0 || k == 0) return decline(ctx, "an empty operand");
  const dnnl::memory::desc a_md({m, k}, codes_type(*node.input(0)), Tag::ab);
  const dnnl::memory::desc b_user({k, n}, DataType::s8, trans_b ? Tag::ba : Tag::ab);
  const dnnl::memory::desc b_any({k, n}, DataType::s8, Tag::any);
  const dnnl::memory::desc dst_md({m, n}, codes_type(*node.outputs[0]), Tag::ab);
  const Value* bias = node.input(2);
  if (bias && bias->constant->numel() != n) return decline(ctx, "a bias of other than one value per output column");
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

// The entries of the int8 kernel list: each finds the node's integer form (runtime/int8.h) and
// builds a kernel for it or declines.
template <typename Create>
Created linear_with(const Context& ctx, Create create) {
  std::string why;
  auto form = int8_linear_form(ctx.node, &why);
  if (!form) return decline(ctx, why);
  return create(ctx, *form);
}

Created depthwise_codes(const Context& ctx) { return linear_with(ctx, x86::create_int8_depthwise); }
Created conv_codes(const Context& ctx) { return linear_with(ctx, create_int8_conv); }
Created matmul_codes(const Context& ctx) { return linear_with(ctx, create_int8_matmul); }

Created global_average_codes(const Context& ctx) {
  std::string why;
  auto form = int8_average_form(ctx.node, &why);
  if (!form) return decline(ctx, why);
  return x86::create_int8_global_average(ctx, *form);
}

// Pooling codes keeps their grid: the output must share the input's encoding.
Created pool_codes(const Context& ctx) {
  const Node& node = ctx.node;
  if (!same_grid(node.input(0), node.outputs.empty() ? nullptr : node.outputs[0]))
    return decline(ctx, "input and output encodings differ");
  Context codes{{node, ctx.config, ctx.threads, ctx.why}, codes_type(*node.input(0))};
  return create_pool_of(codes, true);
}

Created concat_codes(const Context& ctx) {
  const Node& node = ctx.node;
  if (!moves_codes(node)) return decline(ctx, "inputs and output do not share one encoding");
  Context codes{{node, ctx.config, ctx.threads, ctx.why}, codes_type(*node.outputs[0])};
  return create_concat_of(codes, true);
}

Created elementwise_codes(const Context& ctx) {
  if (auto binary = int8_binary_form(ctx.node, nullptr)) return x86::create_int8_binary(ctx, *binary);
  std::string why;
  auto table = int8_table_form(ctx.node, &why);
  if (!table) return decline(ctx, why);
  return x86::create_int8_table(ctx, *table);
}

// An entry takes the ops of one integer form (ops.def's Int8Form), or only one op of it.
struct Int8Entry {
  Int8Form form;
  std::optional<OpKind> only;
  KernelSet family;  // kOnednnInt8 or kX86Int8 (ops.def's Kernels)
  Created (*create)(const Context&);

  bool takes(OpKind kind) const { return op_int8_form(kind) == form && (!only || *only == kind); }
};

// The int8 kernel list, tried in order for the node's op; the executor falls back to the
// reference's integer kernel, then to float. qforge's depthwise kernel comes before oneDNN's
// convolution, which runs the convs it declines.
constexpr Int8Entry kInt8Kernels[] = {
    {Int8Form::kLinear, OpKind::kConv, kX86Int8, depthwise_codes},
    {Int8Form::kLinear, OpKind::kConv, kOnednnInt8, conv_codes},
    {Int8Form::kLinear, OpKind::kGemm, kOnednnInt8, matmul_codes},
    {Int8Form::kLinear, OpKind::kMatMul, kOnednnInt8, matmul_codes},
    {Int8Form::kAverage, OpKind::kGlobalAveragePool, kX86Int8, global_average_codes},
    {Int8Form::kPoolCodes, std::nullopt, kOnednnInt8, pool_codes},
    {Int8Form::kMoveCodes, OpKind::kConcat, kOnednnInt8, concat_codes},
    {Int8Form::kTable, std::nullopt, kX86Int8, elementwise_codes},
    {Int8Form::kTableOrBinary, std::nullopt, kX86Int8, elementwise_codes},
};

std::string_view family_name(KernelSet family) { return family == kX86Int8 ? "qforge's x86" : "oneDNN's"; }

}  // namespace

Created create_int8(const Context& ctx) {
  const Node& node = ctx.node;
  std::string why = "no integer kernel for this op";
  for (const Int8Entry& entry : kInt8Kernels) {
    if (!entry.takes(node.kind)) continue;
    why.clear();
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, entry.create(Context{{node, ctx.config, ctx.threads, &why}}));
    if (kernel) return kernel;
    spdlog::debug("{}: {} int8 kernel declines ({})", node.name, family_name(entry.family), why);
  }
  return decline(ctx, why);
}

std::vector<KernelListing> int8_kernels() {
  std::vector<KernelListing> listing;
  for (int k = 0; k < kNumOpKinds; ++k)
    for (const Int8Entry& entry : kInt8Kernels)
      if (entry.takes(static_cast<OpKind>(k))) listing.push_back({static_cast<OpKind>(k), entry.family});
  return listing;
}

}  // namespace qf::onednn
