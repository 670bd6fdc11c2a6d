// SPDX-License-Identifier: Apache-2.0
// Index arithmetic shared by the reference kernels: numpy broadcasting and strided element copies.
// Every elementwise, Slice and Transpose kernel walks its output through for_each_index().
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/tensor.h"

namespace qf {

// Row-major element strides of a plain tensor.
inline Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// The numpy broadcast of two shapes, or false when they do not broadcast.
inline bool broadcast_shape(const Shape& a, const Shape& b, Shape* out) {
  const size_t rank = std::max(a.size(), b.size());
  out->assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = da == 1 ? db : da;
  }
  return true;
}

// Strides that read a plain tensor of `shape` as if it had `out_shape` (which it must broadcast to):
// the dims it lacks or has as 1 get stride 0, so one element serves the whole broadcast dim.
inline Shape broadcast_strides(const Shape& shape, const Shape& out_shape) {
  const Shape own = contiguous_strides(shape);
  Shape strides(out_shape.size(), 0);
  const size_t lead = out_shape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) strides[lead + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

// Calls f(out_offset, in_offsets) for every element of `out_shape` in row-major order, where
// in_offsets[k] = sum over dims d of index[d] * strides[k][d]. Strides may be zero (broadcast) or
// negative (Slice with negative steps); the caller adds any base offset.
template <size_t N, typename F>
void for_each_index(const Shape& out_shape, const std::array<Shape, N>& strides, F&& f) {
  const int64_t total = shape_numel(out_shape);
  if (total == 0) return;
  std::array<int64_t, N> offsets{};
  if (out_shape.empty()) {
    f(int64_t{0}, offsets);
    return;
  }
  const size_t rank = out_shape.size();
  const int64_t inner = out_shape[rank - 1];
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][rank - 1];
  std::vector<int64_t> counter(rank, 0);
  int64_t out = 0;
  while (true) {
    std::array<int64_t, N> cur = offsets;
    for (int64_t i = 0; i < inner; ++i, ++out) {
      f(out, cur);
      for (size_t k = 0; k < N; ++k) cur[k] += inner_stride[k];
    }
    // Odometer step over the outer dims; undo a dim's whole run when it wraps.
    size_t d = rank - 1;
    while (true) {
      if (d == 0) return;
      --d;
      if (++counter[d] < out_shape[d]) {
        for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
        break;
      }
      counter[d] = 0;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * (out_shape[d] - 1);
    }
  }
}

// A bool tensor broadcast onto `shape` (it must broadcast to it), one byte per element: the mask
// of a masked Softmax, read per row.
inline std::vector<uint8_t> expanded_mask(const Tensor& mask, const Shape& shape) {
  std::vector<uint8_t> out(static_cast<size_t>(shape_numel(shape)));
  const bool* m = mask.data<bool>();
  for_each_index<1>(shape, {broadcast_strides(mask.shape(), shape)},
                    [&](int64_t o, const std::array<int64_t, 1>& in) { out[static_cast<size_t>(o)] = m[in[0]] ? 1 : 0; });
  return out;
}

namespace detail {
template <size_t kBytes>
struct Chunk {
  std::byte b[kBytes];
};
}  // namespace detail

// dst[i] = src[base + sum index[d] * src_strides[d]] for every element i of the (plain) output;
// strides are in elements of `elem_size` bytes. Works for every dtype because it only moves bytes.
inline void gather_strided(const std::byte* src, int64_t base, const Shape& src_strides, std::byte* dst,
                           const Shape& out_shape, size_t elem_size) {
  auto run = [&](auto chunk) {
    using C = decltype(chunk);
    const C* s = reinterpret_cast<const C*>(src) + base;
    C* o = reinterpret_cast<C*>(dst);
    for_each_index<1>(out_shape, {src_strides},
                      [&](int64_t i, const std::array<int64_t, 1>& off) { o[i] = s[off[0]]; });
  };
  switch (elem_size) {
    case 1: return run(detail::Chunk<1>{});
    case 2: return run(detail::Chunk<2>{});
    case 4: return run(detail::Chunk<4>{});
    case 8: return run(detail::Chunk<8>{});
    default:
      for_each_index<1>(out_shape, {src_strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
        std::memcpy(dst + static_cast<size_t>(i) * elem_size,
                    src + static_cast<size_t>(base + off[0]) * elem_size, elem_size);
      });
  }
}

}  // namespace qf
