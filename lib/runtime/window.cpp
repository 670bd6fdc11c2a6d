// SPDX-License-Identifier: Apache-2.0
#include "runtime/window.h"

#include <algorithm>

#include "ir/infer/spatial_util.h"

namespace qf {

std::string read_window(const Node& node, const Shape& in, const Shape& out, const std::vector<int64_t>& kernel,
                        Window* w) {
  const size_t sd = kernel.size();
  if (in.size() != sd + 2 || out.size() != sd + 2) return "spatial rank mismatch";
  std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(sd, 1));
  std::vector<int64_t> dilations = node.attr_ints("dilations", std::vector<int64_t>(sd, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * sd, 0));
  if (strides.size() != sd || dilations.size() != sd || pads.size() != 2 * sd)
    return "strides/dilations/pads do not match the spatial rank";
  const auto parsed = parse_auto_pad(node);
  if (!parsed.is_ok()) return parsed.status().message();
  const AutoPad auto_pad = *parsed;
  w->kernel = kernel;
  w->strides.assign(strides.begin(), strides.end());
  w->dilates.resize(sd);
  w->pad_l.resize(sd);
  w->pad_r.resize(sd);
  w->pad_r_extended = false;
  for (size_t i = 0; i < sd; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) return "non-positive stride or dilation";
    w->dilates[i] = dilations[i] - 1;
    const int64_t eff_k = (kernel[i] - 1) * dilations[i] + 1;
    const int64_t in_i = in[i + 2], out_i = out[i + 2];
    // The end padding the output size implies: the last window must end inside the padded input.
    const int64_t needed = (out_i - 1) * strides[i] + eff_k - in_i;
    if (auto_pad == AutoPad::kNotSet) {
      w->pad_l[i] = pads[i];
      w->pad_r[i] = pads[i + sd];
    } else if (auto_pad == AutoPad::kValid) {
      w->pad_l[i] = w->pad_r[i] = 0;
    } else {
      const int64_t total = std::max<int64_t>(0, needed);
      const int64_t small = total / 2;
      w->pad_l[i] = auto_pad == AutoPad::kSameUpper ? small : total - small;
      w->pad_r[i] = total - w->pad_l[i];
    }
    if (w->pad_l[i] < 0 || w->pad_r[i] < 0) return "negative padding";
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
