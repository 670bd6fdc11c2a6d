// SPDX-License-Identifier: Apache-2.0
// Sliding-window geometry (Conv, ConvTranspose, pools) and Resize output sizing, shared by shape
// inference and the reference kernels so that each formula exists once.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };
// The node's auto_pad attribute ("" and absent are NOTSET); bad_input naming the node otherwise.
// Shape inference and every kernel that places a window read it here.
Result<AutoPad> parse_auto_pad(const Node& node);

// The resolved geometry along the spatial axes (all vectors have one entry per spatial axis).
// Pads may be negative for ConvTranspose (an output larger than the full transposed result).
// Unknown input dims give -1 in `out` (and zero SAME pads, which only the kernels need).
struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations, pads_begin, pads_end, out;
};

// Conv and the pools: reads kernel_shape (falling back to `kernel` from the weights, which may be
// empty for pools), strides, dilations, pads, auto_pad and, when `allow_ceil`, ceil_mode.
Result<WindowGeometry> window_geometry(const Node& node, const std::vector<int64_t>& in_spatial,
                                       const std::vector<int64_t>& kernel, bool allow_ceil);

// ConvTranspose: additionally output_padding and output_shape, which decide the pads.
Result<WindowGeometry> conv_transpose_geometry(const Node& node, const std::vector<int64_t>& in_spatial,
                                               const std::vector<int64_t>& kernel);

// The spatial dims of an [N, C, spatial...] shape.
inline std::vector<int64_t> spatial_of(const Shape& s) { return {s.begin() + 2, s.end()}; }

// A 1-D/2-D/3-D window padded to 3-D with unit axes in front (kernel 1, stride 1, no pads).
struct Window3d {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
  int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};

  int64_t in_volume() const { return in[0] * in[1] * in[2]; }
  int64_t out_volume() const { return out[0] * out[1] * out[2]; }
  int64_t k_volume() const { return k[0] * k[1] * k[2]; }
};

inline Result<Window3d> to_window3d(const Node& node, const std::vector<int64_t>& in_spatial,
                                    const WindowGeometry& g) {
  const size_t n = in_spatial.size();
  if (n < 1 || n > 3)
    return unsupported("{}: {} spatial dims are not supported (1 to 3)", node.describe(), n);
  Window3d w;
  for (size_t i = 0; i < n; ++i) {
    const size_t j = 3 - n + i;
    w.in[j] = in_spatial[i];
    w.out[j] = g.out[i];
    w.k[j] = g.kernel[i];
    w.s[j] = g.strides[i];
    w.d[j] = g.dilations[i];
    w.pb[j] = g.pads_begin[i];
    w.pe[j] = g.pads_end[i];
  }
  return w;
}

// Floor division for possibly negative numerators (pads may be negative, C++ truncates).
inline int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// Resize: per-axis scales (as the coordinate transform uses them) and output sizes, from the
// `scales` or `sizes` input (exactly one given, covering `axes` or every axis) plus the attributes
// axes and keep_aspect_ratio_policy. `roi` matters only for tf_crop_and_resize.
struct ResizePlan {
  std::vector<double> scales;
  std::vector<int64_t> out;
  std::vector<double> roi_start, roi_end;  // in [0, 1] coordinates, one per axis
};
Result<ResizePlan> resize_plan(const Node& node, const std::vector<int64_t>& in_shape,
                               const std::optional<std::vector<float>>& roi,
                               const std::optional<std::vector<float>>& scales,
                               const std::optional<std::vector<int64_t>>& sizes);

// Pad: per-axis (begin, end) pads from the `pads` input and the optional `axes` input.
Result<std::vector<std::pair<int64_t, int64_t>>> pad_amounts(const Node& node, int64_t rank,
                                                             const std::vector<int64_t>& pads,
                                                             const std::optional<std::vector<int64_t>>& axes);

// ReduceMean: which axes are reduced (sorted, normalized; mask form). nullopt: the op is a no-op
// (empty axes with noop_with_empty_axes=1).
Result<std::optional<std::vector<bool>>> reduced_axes(const Node& node, int64_t rank,
                                                      const std::optional<std::vector<int64_t>>& axes);

}  // namespace qf
