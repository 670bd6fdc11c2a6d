// SPDX-License-Identifier: Apache-2.0
// Reference Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of every matrix of
// the last two dims and zeroes the rest; any dtype.
#include <cstring>

#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Trilu(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& out = *outputs[0];
  if (x.rank() < 2 || out.shape() != x.shape() || out.dtype() != x.dtype())
    return internal_error("{}: output does not match the input", node.describe());
  int64_t k = 0;
  if (inputs.size() > 1 && inputs[1]) {
    if (inputs[1]->numel() != 1) return bad_input("{}: k must be a scalar", node.describe());
    k = inputs[1]->to_int_vector()[0];
  }
  const bool upper = node.attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const size_t elem = dtype_size(x.dtype());
  const int64_t matrices = rows * cols > 0 ? x.numel() / (rows * cols) : 0;
  std::memset(out.bytes(), 0, out.nbytes());
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        // Compared in this form so that a huge k cannot overflow j - i.
        const bool keep = upper ? j >= i + k : j <= i + k;
        if (!keep) continue;
        const size_t at = static_cast<size_t>((m * rows + i) * cols + j) * elem;
        std::memcpy(out.bytes() + at, x.bytes() + at, elem);
      }
  return Status::ok();
}

}  // namespace qf
