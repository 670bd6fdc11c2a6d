// SPDX-License-Identifier: Apache-2.0
// Helpers for the spatial reference kernels: input access, dtype checks and the 3-D view that lets
// one loop nest serve 1-D, 2-D and 3-D windows.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ir/infer/spatial_util.h"

namespace qf::spatial {

inline const Tensor* opt_input(std::span<const Tensor* const> inputs, size_t i) {
  return i < inputs.size() ? inputs[i] : nullptr;
}

// Fails naming the node unless every given tensor is float32 (nullptr entries are skipped).
inline Status require_f32(const Node& node, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors)
    if (t && t->dtype() != DType::kF32)
      return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(t->dtype()));
  return Status::ok();
}

inline Status check_output_shape(const Node& node, const Tensor& out, const Shape& expected) {
  if (out.shape() != expected)
    return internal_error("{}: output allocated as {}, kernel computes {}", node.describe(),
                          shape_to_string(out.shape()), shape_to_string(expected));
  return Status::ok();
}

// Positions p in [0, count) whose mapped index p * stride + offset lies in [0, limit), as [lo, hi).
inline void valid_range(int64_t limit, int64_t count, int64_t stride, int64_t offset, int64_t& lo,
                        int64_t& hi) {
  lo = std::max<int64_t>(0, ceil_div(-offset, stride));
  hi = std::min<int64_t>(count, floor_div(limit - 1 - offset, stride) + 1);
  if (hi < lo) hi = lo;
}

// acc[out positions] += sum over kernel taps of (x - x_zero) * w for one input channel `x` and its
// kernel `w`, over a 1-D..3-D window; taps in the padding add nothing (for codes: the padding
// holds the zero point). Shared by the float (double accumulator) and the integer (int32) Conv.
template <typename In, typename Weight, typename Acc>
void accumulate_window(const In* x, Acc x_zero, const Weight* w, const Window3d& win, Acc* acc) {
  for (int64_t kd = 0; kd < win.k[0]; ++kd) {
    for (int64_t kh = 0; kh < win.k[1]; ++kh) {
      for (int64_t kw = 0; kw < win.k[2]; ++kw) {
        const Acc wv = static_cast<Acc>(w[(kd * win.k[1] + kh) * win.k[2] + kw]);
        const int64_t w_off = kw * win.d[2] - win.pb[2];
        int64_t lo, hi;
        valid_range(win.in[2], win.out[2], win.s[2], w_off, lo, hi);
        for (int64_t od = 0; od < win.out[0]; ++od) {
          const int64_t id = od * win.s[0] + kd * win.d[0] - win.pb[0];
          if (id < 0 || id >= win.in[0]) continue;
          for (int64_t oh = 0; oh < win.out[1]; ++oh) {
            const int64_t ih = oh * win.s[1] + kh * win.d[1] - win.pb[1];
            if (ih < 0 || ih >= win.in[1]) continue;
            const In* xrow = x + (id * win.in[1] + ih) * win.in[2];
            Acc* arow = acc + (od * win.out[1] + oh) * win.out[2];
            for (int64_t ow = lo; ow < hi; ++ow)
              arow[ow] += wv * (static_cast<Acc>(xrow[ow * win.s[2] + w_off]) - x_zero);
          }
        }
      }
    }
  }
}

// acc[M,N] += A[M,K] * B[K,N] in double. Strides address A and B so transposes need no copy; the
// loop order follows whichever of B's axes is contiguous.
inline void matmul_accumulate(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                              int64_t b_cs, int64_t m, int64_t n, int64_t k, double* acc) {
  if (b_cs == 1) {
    for (int64_t i = 0; i < m; ++i) {
      double* row = acc + i * n;
      for (int64_t p = 0; p < k; ++p) {
        const double av = a[i * a_rs + p * a_cs];
        const float* brow = b + p * b_rs;
        for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
      }
    }
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += static_cast<double>(a[i * a_rs + p * a_cs]) * b[p * b_rs + j * b_cs];
      acc[i * n + j] += sum;
    }
}

}  // namespace qf::spatial
