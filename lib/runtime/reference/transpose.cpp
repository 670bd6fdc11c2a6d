// SPDX-License-Identifier: Apache-2.0
// Reference Transpose: output dim i walks input dim perm[i], so its stride is the input's stride there.
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Transpose(const Node& node, std::span<const Tensor* const> inputs,
                     std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& out = *outputs[0];
  const size_t rank = x.shape().size();
  std::vector<int64_t> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  perm = node.attr_ints("perm", perm);
  if (perm.size() != rank)
    return bad_input("{}: perm has {} entries for rank {}", node.describe(), perm.size(), rank);
  const Shape in_strides = contiguous_strides(x.shape());
  Shape strides(rank), expected(rank);
  std::vector<bool> used(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t p = perm[i];
    if (p < 0 || p >= static_cast<int64_t>(rank) || used[static_cast<size_t>(p)])
      return bad_input("{}: perm is not a permutation", node.describe());
    used[static_cast<size_t>(p)] = true;
    strides[i] = in_strides[static_cast<size_t>(p)];
    expected[i] = x.dim(p);
  }
  if (out.dtype() != x.dtype() || out.shape() != expected)
    return internal_error("{}: output is {}, expected {}", node.describe(), shape_to_string(out.shape()),
                          shape_to_string(expected));
  gather_strided(x.bytes(), 0, strides, out.bytes(), out.shape(), dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace qf
