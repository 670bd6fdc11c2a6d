// SPDX-License-Identifier: Apache-2.0
// Reference Cast between every dtype qforge stores, with numpy's conversion rules (core/cast.h).
#include "core/cast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Cast(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  const std::optional<DType> to = dtype_from_onnx(static_cast<int>(node.attr_int("to", 0)));
  if (!to || *to != y.dtype() || y.shape() != x.shape())
    return internal_error("{}: output {} {} does not match the cast of {}", node.describe(),
                          dtype_name(y.dtype()), shape_to_string(y.shape()), shape_to_string(x.shape()));
  return cast_tensor(x, y);
}

}  // namespace qf
