// SPDX-License-Identifier: Apache-2.0
// Reference Concat and Split: contiguous block copies along one axis, for any dtype.
#include <cstring>

#include "ir/infer/infer_util.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

// A plain tensor seen as [outer, dims[axis], inner]: the block for one `outer` index along `axis`
// is dims[axis] * inner contiguous elements.
struct AxisView {
  int64_t outer = 1;
  int64_t inner = 1;
};

AxisView axis_view(const Shape& shape, size_t axis) {
  AxisView v;
  for (size_t i = 0; i < axis; ++i) v.outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i) v.inner *= shape[i];
  return v;
}

// True when a and b agree on every dim except `axis`.
bool same_except(const Shape& a, const Shape& b, size_t axis) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (i != axis && a[i] != b[i]) return false;
  return true;
}

}  // namespace

Status ref_Concat(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  Tensor& out = *outputs[0];
  const int64_t rank = out.rank();
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  const auto a = static_cast<size_t>(axis);
  int64_t total = 0;
  for (const Tensor* t : inputs) {
    if (!t || t->dtype() != out.dtype() || !same_except(t->shape(), out.shape(), a))
      return internal_error("{}: an input does not fit the output {}", node.describe(),
                            shape_to_string(out.shape()));
    total += t->dim(axis);
  }
  if (total != out.dim(axis)) return internal_error("{}: inputs do not fill the output", node.describe());
  const size_t elem = dtype_size(out.dtype());
  const AxisView view = axis_view(out.shape(), a);
  std::byte* dst = out.bytes();
  for (int64_t o = 0; o < view.outer; ++o) {
    for (const Tensor* t : inputs) {
      const size_t block = static_cast<size_t>(t->dim(axis) * view.inner) * elem;
      if (block == 0) continue;
      std::memcpy(dst, t->bytes() + static_cast<size_t>(o) * block, block);
      dst += block;
    }
  }
  return Status::ok();
}

// The split sizes are the outputs' extents along the axis, which shape inference already decided.
Status ref_Split(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty())
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  const int64_t rank = x.rank();
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  const auto a = static_cast<size_t>(axis);
  int64_t total = 0;
  for (const Tensor* t : outputs) {
    if (!t) continue;
    if (t->dtype() != x.dtype() || !same_except(t->shape(), x.shape(), a))
      return internal_error("{}: an output does not fit the input {}", node.describe(),
                            shape_to_string(x.shape()));
    total += t->dim(axis);
  }
  if (total != x.dim(axis)) return internal_error("{}: outputs do not cover the input", node.describe());
  const size_t elem = dtype_size(x.dtype());
  const AxisView view = axis_view(x.shape(), a);
  const std::byte* src = x.bytes();
  for (int64_t o = 0; o < view.outer; ++o) {
    for (Tensor* t : outputs) {
      if (!t) continue;
      const size_t block = static_cast<size_t>(t->dim(axis) * view.inner) * elem;
      if (block == 0) continue;
      std::memcpy(t->bytes() + static_cast<size_t>(o) * block, src, block);
      src += block;
    }
  }
  return Status::ok();
}

}  // namespace qf
