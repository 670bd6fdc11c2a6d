// SPDX-License-Identifier: Apache-2.0
// Reference Slice: a strided gather (negative steps walk backwards), for any dtype.
#include "ir/infer/slice_util.h"
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

std::optional<std::vector<int64_t>> ints_of(std::span<const Tensor* const> inputs, size_t i) {
  if (i >= inputs.size() || !inputs[i]) return std::nullopt;
  return inputs[i]->to_int_vector();
}

}  // namespace

Status ref_Slice(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& out = *outputs[0];
  QF_ASSIGN_OR_RETURN(std::vector<SliceAxis> axes,
                      resolve_slice(node, x.shape(), inputs[1]->to_int_vector(), inputs[2]->to_int_vector(),
                                    ints_of(inputs, 3), ints_of(inputs, 4)));
  const Shape in_strides = contiguous_strides(x.shape());
  Shape strides(axes.size());
  Shape counts(axes.size());
  int64_t base = 0;
  for (size_t d = 0; d < axes.size(); ++d) {
    counts[d] = axes[d].count;
    strides[d] = in_strides[d] * axes[d].step;
    if (axes[d].count > 0) base += axes[d].start * in_strides[d];
  }
  if (out.dtype() != x.dtype() || out.shape() != counts)
    return internal_error("{}: output is {}, the slice {}", node.describe(), shape_to_string(out.shape()),
                          shape_to_string(counts));
  gather_strided(x.bytes(), base, strides, out.bytes(), out.shape(), dtype_size(x.dtype()));
  return Status::ok();
}

}  // namespace qf
