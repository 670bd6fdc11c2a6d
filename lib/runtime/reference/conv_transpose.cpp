// SPDX-License-Identifier: Apache-2.0
// Reference ConvTranspose: every input element scatters kernel-weighted copies into the output
// (the adjoint of Conv), 1-D to 3-D, grouped, accumulated in double.
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_ConvTranspose(const Node& node, std::span<const Tensor* const> inputs,
                         std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* bias = opt_input(inputs, 2);
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &w, bias, &y}));
  if (x.rank() < 3 || w.rank() != x.rank())
    return bad_input("{}: input {} and weights {} do not fit", node.describe(), shape_to_string(x.shape()),
                     shape_to_string(w.shape()));
  QF_ASSIGN_OR_RETURN(const WindowGeometry g,
                      conv_transpose_geometry(node, spatial_of(x.shape()), spatial_of(w.shape())));
  QF_ASSIGN_OR_RETURN(const Window3d win, to_window3d(node, spatial_of(x.shape()), g));

  const int64_t batch = x.dim(0), channels = x.dim(1);
  const int64_t group = node.attr_int("group", 1);
  if (group < 1 || channels != w.dim(0) || channels % group != 0)
    return bad_input("{}: {} input channels, weights {} and group {} do not fit", node.describe(), channels,
                     shape_to_string(w.shape()), group);
  const int64_t mg = w.dim(1), out_channels = mg * group, cg = channels / group;
  if (bias && bias->numel() != out_channels)
    return bad_input("{}: bias has {} values for {} output channels", node.describe(), bias->numel(),
                     out_channels);
  Shape expected = {batch, out_channels};
  expected.insert(expected.end(), g.out.begin(), g.out.end());
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));

  const int64_t in_vol = win.in_volume(), out_vol = win.out_volume(), k_vol = win.k_volume();
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  float* yd = y.data<float>();
  std::vector<double> acc(static_cast<size_t>(out_vol));

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t gi = m / mg, ml = m % mg;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t c = gi * cg; c < (gi + 1) * cg; ++c) {
        const float* xc = xd + (n * channels + c) * in_vol;
        const float* wk = wd + (c * mg + ml) * k_vol;
        for (int64_t kd = 0; kd < win.k[0]; ++kd) {
          for (int64_t kh = 0; kh < win.k[1]; ++kh) {
            for (int64_t kw = 0; kw < win.k[2]; ++kw) {
              const double wv = wk[(kd * win.k[1] + kh) * win.k[2] + kw];
              const int64_t w_off = kw * win.d[2] - win.pb[2];
              int64_t lo, hi;
              valid_range(win.out[2], win.in[2], win.s[2], w_off, lo, hi);
              for (int64_t id = 0; id < win.in[0]; ++id) {
                const int64_t od = id * win.s[0] + kd * win.d[0] - win.pb[0];
                if (od < 0 || od >= win.out[0]) continue;
                for (int64_t ih = 0; ih < win.in[1]; ++ih) {
                  const int64_t oh = ih * win.s[1] + kh * win.d[1] - win.pb[1];
                  if (oh < 0 || oh >= win.out[1]) continue;
                  const float* xrow = xc + (id * win.in[1] + ih) * win.in[2];
                  double* arow = acc.data() + (od * win.out[1] + oh) * win.out[2];
                  for (int64_t iw = lo; iw < hi; ++iw) arow[iw * win.s[2] + w_off] += wv * xrow[iw];
                }
              }
            }
          }
        }
      }
      const double b = bias ? bias->data<float>()[m] : 0.0;
      float* yc = yd + (n * out_channels + m) * out_vol;
      for (int64_t i = 0; i < out_vol; ++i) yc[i] = static_cast<float>(acc[static_cast<size_t>(i)] + b);
    }
  }
  return Status::ok();
}

}  // namespace qf
