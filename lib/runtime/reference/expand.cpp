// SPDX-License-Identifier: Apache-2.0
// Reference Expand: the input broadcast to the output's shape; moves bytes, so any dtype (and the
// codes of a quantized graph).
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Expand(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& out = *outputs[0];
  if (out.dtype() != x.dtype() || !broadcasts_to(x.shape(), out.shape()))
    return internal_error("{}: input {} does not broadcast to the output {}", node.describe(),
                          shape_to_string(x.shape()), shape_to_string(out.shape()));
  gather_strided(x.bytes(), 0, broadcast_strides(x.shape(), out.shape()), out.bytes(), out.shape(),
                 dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace qf
