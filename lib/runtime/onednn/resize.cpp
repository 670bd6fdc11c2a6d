// SPDX-License-Identifier: Apache-2.0
// Resize on oneDNN's resampling, only where its coordinate rules are ONNX's exactly.
//
// oneDNN maps an output index o to the source coordinate x = (o + 0.5) * in / out - 0.5 (ONNX's
// half_pixel with scale = out / in). Linear interpolates the two neighbours, clamped at the edges;
// nearest rounds half away from zero. So:
//   linear:  half_pixel (and pytorch_half_pixel, equal when out > 1), scale == out / in.
//   nearest: integer upscale factors F only, where x = k + (r + 0.5) / F - 0.5 never lands on .5;
//            then half_pixel with either round_prefer_* mode, and asymmetric + floor
//            (floor(o / F) = k), give the same index as oneDNN.
// Everything else (align_corners, tf_*, cubic, antialias, non-integer nearest) is declined.
#include <cmath>

#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

Created create_resize(const Context& ctx) {
  const Node& node = ctx.node;
  if (auto bad = check_f32_static(node, {1, 2, 3})) return decline(ctx, *bad);
  if (!node.input(0) || node.outputs.size() != 1) return decline(ctx, "unexpected arity");
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const size_t rank = in.size();
  if (rank < 3 || rank > 5 || out.size() != rank) return decline(ctx, "oneDNN resamples 1-D to 3-D spatial data");
  if (out[0] != in[0] || out[1] != in[1]) return decline(ctx, "batch or channels are resized");
  if (node.attr_int("antialias", 0) != 0) return decline(ctx, "antialias");
  if (node.has_attr("axes")) return decline(ctx, "axes attribute");

  // The scale ONNX uses for coordinates: the given scales, else out / in.
  std::vector<double> scales;
  const Value* scales_v = node.input(2);
  if (scales_v && shape_numel(scales_v->type.shape) > 0) {
    if (!scales_v->is_constant()) return decline(ctx, "scales are not constant");
    for (int64_t i = 0; i < scales_v->constant->numel(); ++i)
      scales.push_back(scales_v->constant->element_as_double(i));
    if (scales.size() != rank) return decline(ctx, "scales do not match the rank");
  }
  for (size_t i = 2; i < rank; ++i) {
    if (in[i] <= 0 || out[i] <= 0) return decline(ctx, "empty spatial dim");
    const double ratio = static_cast<double>(out[i]) / static_cast<double>(in[i]);
    if (!scales.empty() && std::abs(scales[i] - ratio) > 1e-6 * ratio)
      return decline(ctx, "scale differs from out/in (oneDNN derives coordinates from the sizes)");
  }

  const std::string mode = node.attr_string("mode", "nearest");
  const std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
  dnnl::algorithm alg;
  if (mode == "linear") {
    bool pytorch_ok = true;
    for (size_t i = 2; i < rank; ++i) pytorch_ok = pytorch_ok && out[i] > 1;
    if (!(ctm == "half_pixel" || (ctm == "pytorch_half_pixel" && pytorch_ok)))
      return decline(ctx, "linear with coordinate_transformation_mode " + ctm);
    alg = dnnl::algorithm::resampling_linear;
  } else if (mode == "nearest") {
    for (size_t i = 2; i < rank; ++i)
      if (out[i] % in[i] != 0) return decline(ctx, "nearest with a non-integer upscale factor");
    const std::string nearest_mode = node.attr_string("nearest_mode", "round_prefer_floor");
    const bool half_pixel = ctm == "half_pixel" || ctm == "pytorch_half_pixel";
    const bool rounding = nearest_mode == "round_prefer_floor" || nearest_mode == "round_prefer_ceil";
    if (!((half_pixel && rounding) || (ctm == "asymmetric" && nearest_mode == "floor")))
      return decline(ctx, "nearest with " + ctm + "/" + nearest_mode);
    alg = dnnl::algorithm::resampling_nearest;
  } else {
    return decline(ctx, "mode " + mode);
  }

  const Layout layout = ctx.incoming(0);
  const dnnl::memory::desc src_md = desc_for(in, layout);
  const dnnl::memory::desc dst_md = desc_for(out, layout);
  dnnl::resampling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md);
  dnnl::resampling_forward::primitive_desc pd(desc, cpu_engine());
  auto k = std::make_unique<PrimitiveKernel>(dnnl::resampling_forward(pd), pd.impl_info_str(), ctx.threads,
                                             node.inputs.size(), node.outputs.size());
  k->bind_input(DNNL_ARG_SRC, 0, src_md, layout);
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (node.input(i)) k->set_input_layout(i, Layout::kPlain);
  k->bind_output(DNNL_ARG_DST, 0, dst_md, output_layout_for(out, layout));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace qf::onednn
