// SPDX-License-Identifier: Apache-2.0
// Reference Constant (copies its "value" attribute), Shape (the input's dims as int64),
// ConstantOfShape and Range.
#include <algorithm>
#include <cstring>

#include "ir/infer/infer_util.h"
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

namespace qf {

Status ref_Range(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  for (size_t i = 0; i < 3; ++i)
    if (inputs[i]->numel() != 1) return bad_input("{}: start, limit and delta must be scalars", node.describe());
  Tensor& out = *outputs[0];
  auto run = [&](auto zero) -> Status {
    using T = decltype(zero);
    const T start = inputs[0]->data<T>()[0], limit = inputs[1]->data<T>()[0], delta = inputs[2]->data<T>()[0];
    QF_ASSIGN_OR_RETURN(const int64_t count, range_length(node, static_cast<double>(start),
                                                          static_cast<double>(limit), static_cast<double>(delta)));
    if (out.shape() != Shape{count})
      return internal_error("{}: output is {}, the range has {} elements", node.describe(),
                            shape_to_string(out.shape()), count);
    // ONNX defines element i as start + i * delta (not a running sum, which drifts in float).
    for (int64_t i = 0; i < count; ++i)
      out.data<T>()[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return Status::ok();
  };
  if (inputs[0]->dtype() != out.dtype() || inputs[1]->dtype() != out.dtype() || inputs[2]->dtype() != out.dtype())
    return bad_input("{}: start, limit, delta and the output differ in dtype", node.describe());
  switch (out.dtype()) {
    case DType::kF32: return run(float{0});
    case DType::kF64: return run(double{0});
    case DType::kS64: return run(int64_t{0});
    case DType::kS32: return run(int32_t{0});
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(out.dtype()));
  }
}

}  // namespace qf
