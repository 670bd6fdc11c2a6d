// SPDX-License-Identifier: Apache-2.0
// Reference pools: MaxPool, AveragePool (1-D to 3-D windows) and their global forms.
#include <cstdint>
#include <limits>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

namespace {

Result<Window3d> pool_window(const Node& node, const Tensor& x, const Tensor& y) {
  if (x.rank() < 3) return bad_input("{}: input must have rank >= 3", node.describe());
  QF_ASSIGN_OR_RETURN(const WindowGeometry g, window_geometry(node, spatial_of(x.shape()), {}, true));
  Shape expected = {x.dim(0), x.dim(1)};
  expected.insert(expected.end(), g.out.begin(), g.out.end());
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));
  return to_window3d(node, spatial_of(x.shape()), g);
}

// Visits the in-bounds input offsets (within one channel plane) of the window at output (od, oh, ow).
template <typename Fn>
void for_each_in_window(const Window3d& w, int64_t od, int64_t oh, int64_t ow, Fn&& fn) {
  for (int64_t kd = 0; kd < w.k[0]; ++kd) {
    const int64_t id = od * w.s[0] - w.pb[0] + kd * w.d[0];
    if (id < 0 || id >= w.in[0]) continue;
    for (int64_t kh = 0; kh < w.k[1]; ++kh) {
      const int64_t ih = oh * w.s[1] - w.pb[1] + kh * w.d[1];
      if (ih < 0 || ih >= w.in[1]) continue;
      for (int64_t kw = 0; kw < w.k[2]; ++kw) {
        const int64_t iw = ow * w.s[2] - w.pb[2] + kw * w.d[2];
        if (iw < 0 || iw >= w.in[2]) continue;
        fn((id * w.in[1] + ih) * w.in[2] + iw);
      }
    }
  }
}

// Window taps along one axis that fall inside the explicitly padded input [-pb, in + pe): what
// count_include_pad divides by (a ceil_mode window can reach past the end padding).
int64_t taps_within_padding(const Window3d& w, int axis, int64_t o) {
  int64_t count = 0;
  for (int64_t k = 0; k < w.k[axis]; ++k) {
    const int64_t i = o * w.s[axis] - w.pb[axis] + k * w.d[axis];
    if (i >= -w.pb[axis] && i < w.in[axis] + w.pe[axis]) ++count;
  }
  return count;
}

template <typename T>
void max_pool(const Window3d& w, int64_t planes, const T* x, T* y) {
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * w.in_volume();
    T* yp = y + p * w.out_volume();
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          T best = std::numeric_limits<T>::lowest();
          for_each_in_window(w, od, oh, ow, [&](int64_t off) {
            if (xp[off] > best) best = xp[off];
          });
          *yp++ = best;
        }
  }
}

template <typename T>
void global_max(int64_t planes, int64_t size, const T* x, T* y) {
  for (int64_t p = 0; p < planes; ++p) {
    T best = std::numeric_limits<T>::lowest();
    for (int64_t i = 0; i < size; ++i) best = x[p * size + i] > best ? x[p * size + i] : best;
    y[p] = best;
  }
}

Status check_global_output(const Node& node, const Tensor& x, const Tensor& y) {
  if (x.rank() < 2) return bad_input("{}: input must have rank >= 2", node.describe());
  Shape expected = x.shape();
  std::fill(expected.begin() + 2, expected.end(), 1);
  return check_output_shape(node, y, expected);
}

}  // namespace

Status ref_MaxPool(const Node& node, std::span<const Tensor* const> inputs,
                   std::span<Tensor* const> outputs) {
  if (outputs.size() > 1 && outputs[1])
    return unsupported("{}: the Indices output is not supported", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (x.dtype() != y.dtype()) return internal_error("{}: output dtype differs from input", node.describe());
  QF_ASSIGN_OR_RETURN(const Window3d w, pool_window(node, x, y));
  const int64_t planes = x.dim(0) * x.dim(1);
  switch (x.dtype()) {
    case DType::kF32:
      max_pool(w, planes, x.data<float>(), y.data<float>());
      break;
    case DType::kU8:
      max_pool(w, planes, x.data<uint8_t>(), y.data<uint8_t>());
      break;
    case DType::kS8:
      max_pool(w, planes, x.data<int8_t>(), y.data<int8_t>());
      break;
    default:
      return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  }
  return Status::ok();
}

Status ref_AveragePool(const Node& node, std::span<const Tensor* const> inputs,
                       std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &y}));
  QF_ASSIGN_OR_RETURN(const Window3d w, pool_window(node, x, y));
  const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
  const int64_t planes = x.dim(0) * x.dim(1);
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x.data<float>() + p * w.in_volume();
    float* yp = y.data<float>() + p * w.out_volume();
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          double sum = 0;
          int64_t count = 0;
          for_each_in_window(w, od, oh, ow, [&](int64_t off) {
            sum += xp[off];
            ++count;
          });
          if (include_pad)
            count =
                taps_within_padding(w, 0, od) * taps_within_padding(w, 1, oh) * taps_within_padding(w, 2, ow);
          *yp++ = count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.f;
        }
  }
  return Status::ok();
}

Status ref_GlobalAveragePool(const Node& node, std::span<const Tensor* const> inputs,
                             std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &y}));
  QF_RETURN_IF_ERROR(check_global_output(node, x, y));
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < size; ++i) sum += x.data<float>()[p * size + i];
    y.data<float>()[p] = static_cast<float>(sum / static_cast<double>(size));
  }
  return Status::ok();
}

Status ref_GlobalMaxPool(const Node& node, std::span<const Tensor* const> inputs,
                         std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (x.dtype() != y.dtype()) return internal_error("{}: output dtype differs from input", node.describe());
  QF_RETURN_IF_ERROR(check_global_output(node, x, y));
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  switch (x.dtype()) {
    case DType::kF32:
      global_max(planes, size, x.data<float>(), y.data<float>());
      break;
    case DType::kU8:
      global_max(planes, size, x.data<uint8_t>(), y.data<uint8_t>());
      break;
    case DType::kS8:
      global_max(planes, size, x.data<int8_t>(), y.data<int8_t>());
      break;
    default:
      return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  }
  return Status::ok();
}

}  // namespace qf
