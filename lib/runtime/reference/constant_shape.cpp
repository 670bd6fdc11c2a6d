// SPDX-License-Identifier: Apache-2.0
// Reference Constant (copies its "value" attribute) and Shape (the input's dims as int64).
#include <algorithm>
#include <cstring>

#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Constant(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const> outputs) {
  if (outputs.empty() || !outputs[0]) return internal_error("{}: output missing", node.describe());
  const Tensor* value = node.attr_tensor("value");
  if (!value) return bad_input("{}: attribute 'value' is missing", node.describe());
  Tensor& out = *outputs[0];
  if (out.dtype() != value->dtype() || out.shape() != value->shape())
    return internal_error("{}: output is {} {}, the value {} {}", node.describe(), dtype_name(out.dtype()),
                          shape_to_string(out.shape()), dtype_name(value->dtype()),
                          shape_to_string(value->shape()));
  if (value->nbytes()) std::memcpy(out.bytes(), value->bytes(), value->nbytes());
  return Status::ok();
}

Status ref_Shape(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Shape& dims = inputs[0]->shape();
  const auto rank = static_cast<int64_t>(dims.size());
  // Shape-15: negative start/end count from the end, then both clamp to [0, rank].
  auto clamp_index = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp_index(node.attr_int("start", 0));
  const int64_t end = std::max(start, clamp_index(node.attr_int("end", rank)));
  Tensor& out = *outputs[0];
  if (out.dtype() != DType::kS64 || out.shape() != Shape{end - start})
    return internal_error("{}: output is {} {}, expected int64 [{}]", node.describe(),
                          dtype_name(out.dtype()), shape_to_string(out.shape()), end - start);
  std::copy(dims.begin() + start, dims.begin() + end, out.data<int64_t>());
  return Status::ok();
}

Status ref_ConstantOfShape(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const> outputs) {
  Tensor& out = *outputs[0];
  const Tensor* value = node.attr_tensor("value");
  if (!value) return Status::ok();  // the default is a float 0, and outputs arrive zeroed
  const size_t size = dtype_size(out.dtype());
  if (value->dtype() != out.dtype()) return internal_error("{}: value and output dtypes differ", node.describe());
  for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(out.bytes() + i * size, value->bytes(), size);
  return Status::ok();
}

}  // namespace qf
