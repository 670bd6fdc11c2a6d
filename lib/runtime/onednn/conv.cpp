// SPDX-License-Identifier: Apache-2.0
// Conv and ConvTranspose on oneDNN: channels-last activations, weights reordered once into the
// blocked layout the primitive picked (format_tag::any).
#include "ir/infer/spatial_util.h"
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {
namespace {

// Row-major strides of `dims` when the memory is stored in the order given by `order`
// (order[0] outermost). Describes ONNX weight layouts that no format tag names.
Dims strides_in_order(const Dims& dims, const std::vector<size_t>& order) {
  Dims strides(dims.size());
  int64_t s = 1;
  for (size_t k = order.size(); k-- > 0;) {
    strides[order[k]] = s;
    s *= dims[order[k]];
  }
  return strides;
}

struct ConvShapes {
  int64_t group = 1;
  Window window;
  Dims weight_dims;          // oneDNN's (g, oc/g, ic/g, k...) or (oc, ic, k...)
  dnnl::memory::desc user_weights;
  bool pre_reorder = false;  // the producer delivers plain: reorder to channels-last ourselves
};

// Source handling shared by both directions: channels-last as delivered, or a one-off reorder
// from plain (the first conv after the image input). oneDNN's plain-source convolutions are
// ref/gemm implementations, orders of magnitude slower than a reorder plus brgconv.
void choose_source(const Context& ctx, ConvShapes* cs) {
  const bool plain = ctx.incoming(0) == Layout::kPlain && !layout_invariant(ctx.in_shape(0));
  cs->pre_reorder = plain;
}

// The whole conv, or one row band of it (row_bands.h): the memories the primitive reads and writes,
// and where they lie in the run-time tensors.
struct ConvPart {
  dnnl::memory::desc src, dst;
  Region src_region, dst_region;
  dnnl::memory::desc delivered_src;  // the producer's plain rows, when the conv reorders them itself
  Region delivered_region;
};

std::unique_ptr<PrimitiveKernel> conv_kernel(const Context& ctx, const dnnl::primitive& prim, const char* impl,
                                             int threads, const ConvPart& part, const ConvShapes& cs,
                                             const dnnl::memory& weights, const std::optional<dnnl::memory>& bias) {
  const Node& node = ctx.node;
  auto k = std::make_unique<PrimitiveKernel>(prim, impl, threads, node.inputs.size(), node.outputs.size());
  if (cs.pre_reorder) {
    dnnl::memory staged(part.src, cpu_engine());
    k->add_pre_reorder(0, part.delivered_src, staged, Layout::kPlain, part.delivered_region);
    k->bind_constant(DNNL_ARG_SRC, staged);
  } else {
    k->bind_input(DNNL_ARG_SRC, 0, part.src, ctx.incoming(0), part.src_region);
  }
  k->bind_constant(DNNL_ARG_WEIGHTS, weights);
  if (bias) k->bind_constant(DNNL_ARG_BIAS, *bias);
  if (node.input(2)) k->set_input_layout(2, Layout::kPlain);
  k->set_input_layout(1, Layout::kPlain);
  const Layout out_layout = output_layout_for(ctx.out_shape(), Layout::kChannelsLast);
  k->bind_output(DNNL_ARG_DST, 0, part.dst, out_layout, part.dst_region);
  // The residual is summed into the destination: it is copied there first.
  if (node.input(3)) k->accumulate_into_output(3, 0, out_layout);
  return k;
}

std::optional<dnnl::memory> bias_memory(const Node& node, const dnnl::memory::desc& bias_md,
                                        const std::vector<int32_t>& bias_codes) {
  if (!bias_codes.empty()) return owned_memory(bias_md, bias_codes.data());
  if (node.input(2)) return owned_memory(bias_md, node.input(2)->constant->bytes());
  return std::nullopt;
}

Created finish(const Context& ctx, const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
               const dnnl::memory::desc& src_md, const dnnl::memory::desc& bias_md,
               const dnnl::memory::desc& dst_md, const ConvShapes& cs, const std::vector<int32_t>& bias_codes = {},
               bool on_one_thread = false) {
  QF_ASSIGN_OR_RETURN(dnnl::memory w,
                      reorder_constant(*ctx.node.input(1)->constant, cs.user_weights, pd.weights_desc()));
  ConvPart whole{src_md, dst_md, {}, {}, desc_for(ctx.in_shape(0), Layout::kPlain, src_md.data_type()), {}};
  const std::string impl = std::string(pd.impl_info_str()) + (on_one_thread ? " on one thread" : "");
  return std::unique_ptr<Kernel>(conv_kernel(ctx, prim, impl.c_str(), ctx.threads, whole, cs, w,
                                             bias_memory(ctx.node, bias_md, bias_codes)));
}

// Post-ops: the residual (Conv's fourth input) summed first, then the fused activation. A sum
// keeps oneDNN on its fastest (brgconv) kernels, which a full-tensor binary add does not.
dnnl::primitive_attr conv_attr(const Node& node) {
  dnnl::post_ops po;
  if (node.input(3)) po.append_sum(1.f);
  append_fused_activation(node, po);
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  return attr;
}

// Checks shared by Conv and ConvTranspose; empty when fine.
std::string common_checks(const Context& ctx) {
  const Node& node = ctx.node;
  if (!node.input(0) || !node.input(1)) return "missing input";
  const size_t rank = ctx.in_shape(0).size();
  if (rank < 3 || rank > 5) return fmt::format("{}-D input (oneDNN takes 1-D to 3-D spatial)", rank);
  if (!node.input(1)->is_constant()) return "weights are not constant";
  if (node.input(1)->type.shape.size() != rank) return "weight rank differs from input rank";
  if (node.input(2) && !node.input(2)->is_constant()) return "bias is not constant";
  if (node.outputs.size() != 1 || ctx.out_shape().size() != rank) return "unexpected output";
  if (node.input(2) && shape_numel(node.input(2)->type.shape) != ctx.out_shape()[1])
    return "bias size differs from the output channels";
  return {};
}

Dims kernel_of(const Context& ctx) {
  const Shape& w = ctx.node.input(1)->type.shape;
  Dims kernel(w.begin() + 2, w.end());
  // kernel_shape, when present, must agree with the weights (the importer fills it from them).
  return kernel;
}

// For int8 convs with a short reduction (depthwise, 1x1, fewer than 16 input channels) oneDNN
// 2.6's first choice is not always the fastest one. Measured alone and inside the graph:
// - avx512_core_vnni (AMD Zen 4): where brgemm kernels come first (brgconv, brgconv_1x1,
//   brdgmm_dw), the direct kernel of the same ISA wins. mobilenet_v2, one thread, in the graph:
//   depthwise 1.39 -> 1.16 ms, 1x1 2.69 -> 2.35 ms, the 3->32 stem 0.24 -> 0.19 ms.
// - avx512_core_amx_int8 (Intel): brgconv_1x1 wins from 32 input channels on (mobilenet_v2's
//   192->32 at 28x28: 6 us against 15 for avx512_core_vnni's jit_int8_1x1). Below that an AMX
//   tile row of 64 codes is mostly padding: 16->96 at 112x112 takes 170 us there, 139 us on
//   jit_int8_1x1. AMX's older direct kernels (jit, jit_1x1), first where brgconv declines zero
//   points, lose to jit_int8_1x1 by 1.3-2.8x.
// On long reductions (3x3 of 64+ channels) brgemm and AMX win, so those keep oneDNN's order.
// Every kernel computes the same integers (the int8 kernel tests hold each to the reference).
// fp32 keeps oneDNN's order: its direct depthwise kernel (jit_dw) is 10-42 % faster on hot
// buffers alone, but no faster in the graph, where the inputs come from memory.
bool short_int8_reduction(const ConvTypes& types, const Shape& weights, int64_t group, int64_t out_channels) {
  if (types.src != DataType::u8 && types.src != DataType::s8) return false;
  const bool depthwise = group > 1 && group == out_channels && weights[1] == 1;
  int64_t window = 1;
  for (size_t i = 2; i < weights.size(); ++i) window *= weights[i];
  // Grouped convs other than depthwise were not measured: they keep oneDNN's order.
  return depthwise || (group == 1 && (window == 1 || weights[1] < 16));
}

// The ISA (":isa") whose direct int8 kernel should replace oneDNN's first choice `first`, or ""
// to keep it.
std::string direct_int8_isa(const std::string& first, int64_t group_input_channels) {
  const size_t colon = first.find(':');
  if (colon == std::string::npos) return "";
  const std::string isa = first.substr(colon);
  const bool brgemm = first.rfind("br", 0) == 0;  // brgconv*, brdgmm_dw
  if (isa.find("amx") != std::string::npos)
    return brgemm && group_input_channels >= 32 ? "" : ":avx512_core_vnni";
  return brgemm ? isa : "";
}

// Moves `pd` to oneDNN's direct JIT int8 kernel (jit_int8, jit_int8_1x1) of direct_int8_isa(),
// when such a kernel follows in oneDNN's list. The candidate is a copy: walking it leaves `pd` as
// it was when nothing fits.
void prefer_direct_int8(dnnl::convolution_forward::primitive_desc* pd, int64_t group_input_channels) {
  const std::string isa = direct_int8_isa(pd->impl_info_str(), group_input_channels);
  if (isa.empty()) return;
  dnnl::convolution_forward::primitive_desc candidate = *pd;
  while (candidate.next_impl()) {
    const std::string name = candidate.impl_info_str();
    if (name.rfind("jit_int8", 0) == 0 && name.size() >= isa.size() &&
        name.compare(name.size() - isa.size(), isa.size(), isa) == 0) {
      *pd = candidate;
      return;
    }
  }
}

// For a conv that is not banded: true when it should run on one thread.
bool one_thread_is_enough(const Context& ctx) {
  constexpr int64_t kLargestOnOneThread = int64_t{1} << 21;
  return effective_threads(ctx.threads) > 1 && conv_multiply_adds(ctx) <= kLargestOnOneThread;
}

// Rows `rows` of a tensor of `shape`: the band's desc and the region it occupies. A plain tensor
// holds the band as one stretch per channel: its desc carries the whole tensor's strides.
struct BandView {
  dnnl::memory::desc md;
  Region region;
};
BandView band_view(const Shape& shape, Rows rows, Layout layout, DataType dtype) {
  const dnnl::memory::desc whole = desc_for(shape, layout, dtype);
  const size_t bytes = whole.get_size();
  Dims dims(shape.begin(), shape.end());
  dims[2] = rows.end - rows.begin;
  const size_t elem = bytes / static_cast<size_t>(shape_numel(shape));
  const size_t row_bytes = elem * static_cast<size_t>(shape[3]) * (layout == Layout::kChannelsLast ? shape[1] : 1);
  const size_t offset = static_cast<size_t>(rows.begin) * row_bytes;
  const size_t band_rows = static_cast<size_t>(rows.end - rows.begin);
  if (layout == Layout::kChannelsLast)
    return {dnnl::memory::desc(dims, dtype, Tag::acdb), {offset, band_rows * row_bytes, bytes}};
  const Dims strides{shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
  const size_t channel_bytes = elem * static_cast<size_t>(shape[2] * shape[3]);
  const size_t span = static_cast<size_t>(shape[1] - 1) * channel_bytes + band_rows * row_bytes;
  return {dnnl::memory::desc(dims, dtype, strides), {offset, span, bytes}};
}

template <typename MakePd>
Created create_banded_conv(const Context& ctx, const ConvShapes& cs, const ConvTypes& types, size_t n,
                           const std::optional<dnnl::memory>& bias, MakePd&& make_pd) {
  const Node& node = ctx.node;
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  // Bands whose primitives chose the same weight layout share one reordered copy.
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> weights;
  std::vector<BandedKernel::Band> bands;
  const SingleThreadedCreation one_thread;
  for (size_t b = 0; b < n; ++b) {
    const ConvBand g = conv_band(cs.window, in[2], out[2], b, n);
    const BandView src = band_view(in, g.in, Layout::kChannelsLast, types.src);
    const BandView dst = band_view(out, g.out, Layout::kChannelsLast, types.dst);
    const BandView delivered = band_view(in, g.in, Layout::kPlain, types.src);
    Dims pad_l = cs.window.pad_l, pad_r = cs.window.pad_r;
    pad_l[0] = g.pad_top;
    pad_r[0] = g.pad_bottom;
    auto pd = make_pd(src.md, dst.md, pad_l, pad_r);
    auto same =
        std::find_if(weights.begin(), weights.end(), [&](const auto& w) { return w.first == pd.weights_desc(); });
    if (same == weights.end()) {
      QF_ASSIGN_OR_RETURN(dnnl::memory w,
                          reorder_constant(*node.input(1)->constant, cs.user_weights, pd.weights_desc()));
      same = weights.insert(weights.end(), {pd.weights_desc(), w});
    }
    const ConvPart part{src.md, dst.md, src.region, dst.region, delivered.md, delivered.region};
    BandedKernel::Band band{conv_kernel(ctx, dnnl::convolution_forward(pd), pd.impl_info_str(), 0, part, cs,
                                        same->second, bias),
                            g.out, std::vector<Rows>(node.inputs.size())};
    band.inputs[0] = g.in;
    if (node.input(3)) band.inputs[3] = g.out;
    bands.push_back(std::move(band));
  }
  return std::unique_ptr<Kernel>(std::make_unique<BandedKernel>(std::move(bands)));
}

}  // namespace

Created create_conv_with(const Context& ctx, const ConvTypes& types) {
  const Node& node = ctx.node;
  if (std::string bad = common_checks(ctx); !bad.empty()) return decline(ctx, bad);
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const Shape& w = node.input(1)->type.shape;
  ConvShapes cs;
  cs.group = node.attr_int("group", 1);
  const Dims kernel = kernel_of(ctx);
  if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != std::vector<int64_t>(kernel.begin(), kernel.end()))
    return decline(ctx, "kernel_shape differs from the weights");
  if (std::string bad = read_window(node, in, out, kernel, &cs.window); !bad.empty()) return decline(ctx, bad);
  const int64_t ic = in[1], oc = w[0], g = cs.group;
  if (g < 1 || ic % g != 0 || oc % g != 0 || w[1] != ic / g || out[1] != oc)
    return decline(ctx, "channel counts do not match the group count");

  Dims wdims(w.begin(), w.end());
  if (g > 1) {
    wdims = {g, oc / g, ic / g};
    wdims.insert(wdims.end(), kernel.begin(), kernel.end());
  }
  // ONNX [oc, ic/g, k...] is row-major [g, oc/g, ic/g, k...] too, so a plain tag describes it.
  cs.user_weights = dnnl::memory::desc(wdims, types.weights, plain_tag(wdims.size()));
  choose_source(ctx, &cs);

  const dnnl::memory::desc wany(wdims, types.weights, Tag::any);
  const dnnl::memory::desc bias_md({oc}, types.bias, Tag::a);
  const bool has_bias = node.input(2) || !types.bias_codes.empty();
  // A primitive for src -> dst with the conv's window but these paddings.
  auto make_pd = [&](const dnnl::memory::desc& src, const dnnl::memory::desc& dst, const Dims& pad_l,
                     const Dims& pad_r) {
    const Window& win = cs.window;
    auto desc = has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src, wany, bias_md,
                                                           dst, win.strides, win.dilates, pad_l, pad_r)
                         : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src, wany, dst,
                                                           win.strides, win.dilates, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, types.attr, cpu_engine());
    if (short_int8_reduction(types, w, g, oc)) prefer_direct_int8(&pd, w[1]);
    return pd;
  };
  if (const size_t bands = conv_row_bands(ctx); bands > 1)
    return create_banded_conv(ctx, cs, types, bands, bias_memory(node, bias_md, types.bias_codes), make_pd);
  const dnnl::memory::desc src_md = desc_for(in, Layout::kChannelsLast, types.src);
  const dnnl::memory::desc dst_md = desc_for(out, Layout::kChannelsLast, types.dst);
  const bool on_one_thread = one_thread_is_enough(ctx);
  std::optional<SingleThreadedCreation> one_thread;
  if (on_one_thread) one_thread.emplace();
  auto pd = make_pd(src_md, dst_md, cs.window.pad_l, cs.window.pad_r);
  // The primitive too: oneDNN sizes some kernels when it creates them, and one created for more
  // threads than its descriptor was planned for failed in brgemm_kernel_create (bad_array_new_length)
  // when a conv of the same shape had been created before for one thread.
  dnnl::convolution_forward conv(pd);
  one_thread.reset();
  return finish(ctx, conv, pd, src_md, bias_md, dst_md, cs, types.bias_codes, on_one_thread);
}

Created create_conv(const Context& ctx) {
  if (auto bad = check_f32_static(ctx.node)) return decline(ctx, *bad);
  return create_conv_with(ctx, {DataType::f32, DataType::f32, DataType::f32, DataType::f32, conv_attr(ctx.node), {}});
}

Created create_conv_transpose(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node)) return decline(ctx, *bad);
  if (std::string bad = common_checks(ctx); !bad.empty()) return decline(ctx, bad);
  if (node.has_attr("output_shape")) return decline(ctx, "output_shape attribute (pads derived from it)");
  if (node.input(3)) return decline(ctx, "a fused residual (only Conv takes one)");
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const Shape& w = node.input(1)->type.shape;
  const size_t sd = in.size() - 2;
  ConvShapes cs;
  cs.group = node.attr_int("group", 1);
  const Dims kernel = kernel_of(ctx);
  const int64_t ic = in[1], g = cs.group;
  if (g < 1 || ic % g != 0 || w[0] != ic) return decline(ctx, "weights do not match the input channels");
  const int64_t oc = w[1] * g;
  if (out[1] != oc) return decline(ctx, "output channels do not match the weights");

  // Strides, dilations and the begin pads (pads, auto_pad or output_shape) as shape inference and
  // the reference kernel resolve them, so that both backends split an odd SAME total alike.
  auto geometry = conv_transpose_geometry(node, spatial_of(in), kernel);
  if (!geometry.is_ok()) return decline(ctx, geometry.status().message());
  Window& win = cs.window;
  win.kernel = kernel;
  win.strides = geometry->strides;
  win.dilates.resize(sd);
  win.pad_l = geometry->pads_begin;
  win.pad_r.resize(sd);
  for (size_t i = 0; i < sd; ++i) {
    win.dilates[i] = geometry->dilations[i] - 1;
    const int64_t eff_k = (kernel[i] - 1) * geometry->dilations[i] + 1;
    // Everything that trims the full output (pads and output_padding together) as oneDNN sees it.
    const int64_t total = (in[i + 2] - 1) * geometry->strides[i] + eff_k - out[i + 2];
    win.pad_r[i] = total - win.pad_l[i];
    if (win.pad_l[i] < 0 || win.pad_r[i] < 0)
      return decline(ctx, "output_padding larger than the end padding");
  }

  // ONNX weights are [ic, oc/g, k...] = [g, ic/g, oc/g, k...]; oneDNN's dims are (g, oc/g, ic/g, k...).
  Dims wdims;
  std::vector<size_t> order;
  if (g > 1) {
    wdims = {g, oc / g, ic / g};
    order = {0, 2, 1};
  } else {
    wdims = {oc, ic};
    order = {1, 0};
  }
  for (size_t i = 0; i < sd; ++i) {
    order.push_back(wdims.size());
    wdims.push_back(kernel[i]);
  }
  cs.user_weights = dnnl::memory::desc(wdims, DataType::f32, strides_in_order(wdims, order));
  choose_source(ctx, &cs);

  const dnnl::memory::desc src_md = desc_for(in, Layout::kChannelsLast);
  const dnnl::memory::desc dst_md = desc_for(out, Layout::kChannelsLast);
  const dnnl::memory::desc wany(wdims, DataType::f32, Tag::any);
  const dnnl::memory::desc bias_md({oc}, DataType::f32, Tag::a);
  auto desc = node.input(2)
                  ? dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::deconvolution_direct, src_md, wany, bias_md,
                                                      dst_md, win.strides, win.dilates, win.pad_l, win.pad_r)
                  : dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::deconvolution_direct, src_md, wany, dst_md,
                                                      win.strides, win.dilates, win.pad_l, win.pad_r);
  dnnl::deconvolution_forward::primitive_desc pd(desc, fused_activation_attr(node), cpu_engine());
  return finish(ctx, dnnl::deconvolution_forward(pd), pd, src_md, bias_md, dst_md, cs);
}

}  // namespace qf::onednn
