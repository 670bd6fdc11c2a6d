// SPDX-License-Identifier: Apache-2.0
#include "runtime/layout.h"

#include <cstring>

namespace qf {

void convert_layout(const Tensor& src, Tensor& dst) {
  const size_t esize = dtype_size(src.dtype());
  if (src.layout() == dst.layout() || src.rank() < 3) {
    std::memcpy(dst.bytes(), src.bytes(), src.nbytes());
    return;
  }
  // [N, C, S] where S folds all spatial dims; channels-last stores [N, S, C].
  const int64_t n = src.dim(0), c = src.dim(1);
  const int64_t s = src.numel() / std::max<int64_t>(1, n * c);
  const bool to_channels_last = dst.layout() == Layout::kChannelsLast;
  const std::byte* in = src.bytes();
  std::byte* out = dst.bytes();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < s; ++i) {
        const int64_t plain = (b * c + ch) * s + i;
        const int64_t last = (b * s + i) * c + ch;
        const int64_t from = to_channels_last ? plain : last;
        const int64_t to = to_channels_last ? last : plain;
        std::memcpy(out + to * esize, in + from * esize, esize);
      }
    }
  }
}

bool layout_invariant(const Shape& shape) {
  if (shape.size() < 3) return true;
  int64_t spatial = 1;
  for (size_t i = 2; i < shape.size(); ++i) spatial *= shape[i];
  return shape[1] == 1 || spatial == 1;
}

Layout output_layout_for(const Shape& shape, Layout preferred) {
  return layout_invariant(shape) ? Layout::kPlain : preferred;
}

}  // namespace qf
