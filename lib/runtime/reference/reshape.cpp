// SPDX-License-Identifier: Apache-2.0
// Reference kernels for ops that keep the bytes and change only the shape (Flatten, Reshape, Squeeze,
// Unsqueeze, Identity, inference-mode Dropout): shape inference did the work, the kernel copies.
#include <algorithm>
#include <cstring>

#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

Status copy_through(const Node& node, std::span<const Tensor* const> inputs,
                    std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (y.dtype() != x.dtype() || y.numel() != x.numel())
    return internal_error("{}: output {} {} cannot hold input {} {}", node.describe(), dtype_name(y.dtype()),
                          shape_to_string(y.shape()), dtype_name(x.dtype()), shape_to_string(x.shape()));
  if (x.nbytes() != 0 && y.bytes() != x.bytes()) std::memcpy(y.bytes(), x.bytes(), x.nbytes());
  return Status::ok();
}

}  // namespace

Status ref_Flatten(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return copy_through(node, in, out);
}
Status ref_Reshape(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return copy_through(node, in, out);
}
Status ref_Squeeze(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return copy_through(node, in, out);
}
Status ref_Unsqueeze(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return copy_through(node, in, out);
}
Status ref_Identity(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return copy_through(node, in, out);
}

Status ref_Dropout(const Node& node, std::span<const Tensor* const> inputs,
                   std::span<Tensor* const> outputs) {
  // Training mode drops at random; the reference only runs it when nothing would be dropped.
  const Tensor* ratio = inputs.size() > 1 ? inputs[1] : nullptr;
  const Tensor* training = inputs.size() > 2 ? inputs[2] : nullptr;
  if (training && training->numel() > 0 && training->element_as_int(0) != 0) {
    const double r = ratio && ratio->numel() > 0 ? ratio->element_as_double(0) : 0.5;
    if (r != 0.0)
      return unsupported("{}: training mode with a nonzero ratio is not supported", node.describe());
  }
  QF_RETURN_IF_ERROR(copy_through(node, inputs, outputs));
  if (outputs.size() > 1 && outputs[1]) {
    Tensor& mask = *outputs[1];
    if (mask.dtype() != DType::kBool) return internal_error("{}: the mask must be bool", node.describe());
    std::fill_n(mask.data<uint8_t>(), mask.numel(), uint8_t{1});  // nothing was dropped
  }
  return Status::ok();
}

}  // namespace qf
