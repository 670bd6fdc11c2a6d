// SPDX-License-Identifier: Apache-2.0
// Reference Conv: direct convolution, 1-D to 3-D, grouped, accumulated in double.
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_Conv(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* bias = opt_input(inputs, 2);
  const Tensor* residual = opt_input(inputs, 3);
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &w, bias, residual, &y}));
  if (x.rank() < 3 || w.rank() != x.rank())
    return bad_input("{}: input {} and weights {} do not fit", node.describe(), shape_to_string(x.shape()),
                     shape_to_string(w.shape()));
  QF_ASSIGN_OR_RETURN(const WindowGeometry g,
                      window_geometry(node, spatial_of(x.shape()), spatial_of(w.shape()), false));
  QF_ASSIGN_OR_RETURN(const Window3d win, to_window3d(node, spatial_of(x.shape()), g));

  const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
  const int64_t group = node.attr_int("group", 1);
  if (group < 1 || channels != w.dim(1) * group || out_channels % group != 0)
    return bad_input("{}: {} input channels, weights {} and group {} do not fit", node.describe(), channels,
                     shape_to_string(w.shape()), group);
  if (bias && bias->numel() != out_channels)
    return bad_input("{}: bias has {} values for {} output channels", node.describe(), bias->numel(),
                     out_channels);
  Shape expected = {batch, out_channels};
  expected.insert(expected.end(), g.out.begin(), g.out.end());
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));
  if (residual && residual->shape() != y.shape())
    return bad_input("{}: the residual {} differs from the output", node.describe(), shape_to_string(residual->shape()));

  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t in_vol = win.in_volume(), out_vol = win.out_volume(), k_vol = win.k_volume();
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  float* yd = y.data<float>();
  std::vector<double> acc(static_cast<size_t>(out_vol));

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t first_c = (m / mg) * cg;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t c = 0; c < cg; ++c)
        accumulate_window(xd + (n * channels + first_c + c) * in_vol, 0.0, wd + (m * cg + c) * k_vol, win, acc.data());
      const double b = bias ? bias->data<float>()[m] : 0.0;
      const int64_t base = (n * out_channels + m) * out_vol;
      float* yc = yd + base;
      for (int64_t i = 0; i < out_vol; ++i) yc[i] = static_cast<float>(acc[static_cast<size_t>(i)] + b);
      if (residual) {
        const float* r = residual->data<float>() + base;
        for (int64_t i = 0; i < out_vol; ++i) yc[i] += r[i];
      }
    }
  }
  return Status::ok();
}

}  // namespace qf
