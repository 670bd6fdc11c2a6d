// SPDX-License-Identifier: Apache-2.0
// Reference Gather: for each index, copy one contiguous [inner] block of the data, for any dtype.
#include <cstring>
#include <vector>

#include "ir/infer/infer_util.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Gather(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& data = *inputs[0];
  const Tensor& indices = *inputs[1];
  Tensor& out = *outputs[0];
  if (indices.dtype() != DType::kS64 && indices.dtype() != DType::kS32)
    return unsupported("{}: indices dtype {} is not supported", node.describe(), dtype_name(indices.dtype()));
  const int64_t rank = data.rank();
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));

  Shape expected(data.shape().begin(), data.shape().begin() + axis);
  expected.insert(expected.end(), indices.shape().begin(), indices.shape().end());
  expected.insert(expected.end(), data.shape().begin() + axis + 1, data.shape().end());
  if (out.dtype() != data.dtype() || out.shape() != expected)
    return internal_error("{}: output is {}, expected {}", node.describe(), shape_to_string(out.shape()),
                          shape_to_string(expected));

  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= data.dim(i);
  for (int64_t i = axis + 1; i < rank; ++i) inner *= data.dim(i);
  const int64_t extent = data.dim(axis);
  const size_t block = static_cast<size_t>(inner) * dtype_size(data.dtype());
  std::vector<int64_t> idx = indices.to_int_vector();
  for (int64_t& i : idx) {
    if (i < -extent || i >= extent)
      return bad_input("{}: index {} is out of range for an axis of {}", node.describe(), i, extent);
    if (i < 0) i += extent;
  }
  std::byte* dst = out.bytes();
  for (int64_t o = 0; o < outer && block; ++o) {
    const std::byte* src = data.bytes() + static_cast<size_t>(o * extent) * block;
    for (int64_t i : idx) {
      std::memcpy(dst, src + static_cast<size_t>(i) * block, block);
      dst += block;
    }
  }
  return Status::ok();
}

}  // namespace qf
