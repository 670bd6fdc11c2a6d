// SPDX-License-Identifier: Apache-2.0
#include "runtime/window.h"

#include <algorithm>

#include "ir/infer/spatial_util.h"

namespace qf {

std::string read_window(const Node& node, const Shape& in, const Shape& out, const std::vector<int64_t>& kernel,
                        Window* w) {
  const size_t sd = kernel.size();
  if (in.size() != sd + 2 || out.size() != sd + 2) return "spatial rank mismatch";
  // Strides, dilations and the pads ONNX's pads / auto_pad give, as shape inference resolved them.
  auto geometry = window_geometry(node, spatial_of(in), kernel, /*allow_ceil=*/true);
  if (!geometry.is_ok()) return geometry.status().message();
  const WindowGeometry& g = *geometry;
  w->kernel = kernel;
  w->strides = g.strides;
  w->dilates.resize(sd);
  w->pad_l = g.pads_begin;
  w->pad_r = g.pads_end;
  w->pad_r_extended = false;
  for (size_t i = 0; i < sd; ++i) {
    w->dilates[i] = g.dilations[i] - 1;
    if (w->pad_l[i] < 0 || w->pad_r[i] < 0) return "negative padding";
    // The end padding the output size implies: the last window must end inside the padded input.
    const int64_t needed = (out[i + 2] - 1) * g.strides[i] + (kernel[i] - 1) * g.dilations[i] + 1 - in[i + 2];
    if (needed - w->pad_l[i] > w->pad_r[i]) {
      w->pad_r[i] = needed - w->pad_l[i];
      w->pad_r_extended = true;
    }
  }
  return {};
}

ConvBand conv_band(const Window& win, int64_t in_rows, int64_t out_rows, size_t b, size_t n) {
  return conv_rows(win, in_rows, {out_rows * static_cast<int64_t>(b) / static_cast<int64_t>(n),
                                  out_rows * static_cast<int64_t>(b + 1) / static_cast<int64_t>(n)});
}

ConvBand conv_rows(const Window& win, int64_t in_rows, Rows out) {
  ConvBand band;
  band.out = out;
  const int64_t reach = (win.kernel[0] - 1) * (win.dilates[0] + 1) + 1;
  const int64_t first = band.out.begin * win.strides[0] - win.pad_l[0];
  const int64_t end = (band.out.end - 1) * win.strides[0] - win.pad_l[0] + reach;
  band.in = {std::max<int64_t>(first, 0), std::min(end, in_rows)};
  band.pad_top = band.in.begin - first;
  band.pad_bottom = end - band.in.end;
  return band;
}

int64_t conv_multiply_adds(const KernelRequest& ctx) {
  const Shape& w = ctx.node.input(1)->type.shape;
  int64_t per_output = 1;
  for (size_t i = 1; i < w.size(); ++i) per_output *= w[i];
  return shape_numel(ctx.out_shape()) * per_output;
}

// How a conv of one image shares out over several threads. oneDNN's own split forks and joins
// the threads once per layer, and each thread reads rows that another core wrote; on a small conv
// that costs about what the other threads give. So:
// - a conv of up to 2^25 multiply-adds where every thread gets two output rows or more runs as
//   row bands (row_bands.h). On big convs oneDNN's split wins: resnet18's 3x3 convs (115 M
//   multiply-adds each) ran 10 % slower in fp32 as bands, no faster in int8. mobilenet_v2's two
//   largest (19-20 M: the 16 -> 96 expansion at 112x112, the 320 -> 1280 conv at 7x7) took
//   68 -> 63 us and 38 -> 29 us in int8 as bands rather than oneDNN's split, its whole int8
//   run 0.5-3 % less, fp32 the same.
// - a conv of up to 2^21 multiply-adds with fewer rows (ppocr_cls's late convs, 1-3 rows of 96
//   pixels, up to 1.2 M) runs on one thread, planned so that oneDNN does not fork at all (onednn/conv.cpp).
// - the others keep oneDNN's split.
// Measured on two threads (Zen 5): mobilenet_v2, all of whose convs are bands, 10-12 % faster in
// int8 and 4-5 % in fp32; ppocr_cls, whose late convs then run on one thread, 20-24 % faster in
// int8 and 15 % in fp32 than with bands alone.
size_t conv_row_bands(const KernelRequest& ctx) {
  constexpr int64_t kLargestBanded = int64_t{1} << 25;
  const int threads = effective_threads(ctx.threads);
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  if (threads < 2 || in.size() != 4 || in[0] != 1 || out[2] < 2 * threads) return 0;
  return conv_multiply_adds(ctx) <= kLargestBanded ? static_cast<size_t>(threads) : 0;
}

}  // namespace qf
