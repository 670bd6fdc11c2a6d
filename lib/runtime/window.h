// SPDX-License-Identifier: Apache-2.0
// The spatial window of a conv or pool as kernels place it (oneDNN's terms: dilation 0 = dense,
// end padding as large as the output size implies), and the row bands of a conv
// (runtime/row_bands.h). Backend-neutral: oneDNN's wrappers and qforge's x86 kernels both read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/kernel.h"
#include "runtime/row_bands.h"

namespace qf {

struct Window {
  std::vector<int64_t> kernel, strides, dilates, pad_l, pad_r;
  bool pad_r_extended = false;  // pad_r grew past ONNX's end padding (ceil_mode)
};
// Reads ONNX strides / dilations / pads / auto_pad for a window of size `kernel` over the spatial
// dims of `in` producing `out`. pad_r is the larger of ONNX's end padding and what the output size
// implies (ceil_mode adds padding at the end). Returns the reason on failure, empty on success.
std::string read_window(const Node& node, const Shape& in, const Shape& out, const std::vector<int64_t>& kernel,
                        Window* w);

// Band b of n: an even share of the output rows, the input rows their windows reach, and the
// padding that remains where those windows pass the image's own top or bottom edge.
struct ConvBand {
  Rows out, in;
  int64_t pad_top = 0, pad_bottom = 0;
};
ConvBand conv_band(const Window& win, int64_t in_rows, int64_t out_rows, size_t b, size_t n);
// The same for output rows `out`.
ConvBand conv_rows(const Window& win, int64_t in_rows, Rows out);

// A conv node's multiply-adds (output elements x weights per output).
int64_t conv_multiply_adds(const KernelRequest& conv);
// The number of row bands a conv runs as, one per thread, or 0 for a conv that runs whole
// (window.cpp says when and what it measured). oneDNN's convs and qforge's depthwise kernel
// decide alike, so that their bands chain.
size_t conv_row_bands(const KernelRequest& conv);

}  // namespace qf
