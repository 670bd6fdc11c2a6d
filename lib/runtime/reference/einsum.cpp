// SPDX-License-Identifier: Apache-2.0
// Reference Einsum: for every output element, the sum over all values of the labels that are not
// in the output of the product of the operands' elements, in double. Naive on purpose: attention's
// batched products reach the runtime as MatMul (passes/rewrite_einsum.cpp).
#include <array>

#include "ir/einsum.h"
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status ref_Einsum(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || outputs.empty() || !outputs[0]) return internal_error("{}: output missing", node.describe());
  std::vector<Shape> shapes;
  for (const Tensor* t : inputs) {
    if (!t) return internal_error("{}: input missing", node.describe());
    if (t->dtype() != inputs[0]->dtype() || (t->dtype() != DType::kF32 && t->dtype() != DType::kF64))
      return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(t->dtype()));
    shapes.push_back(t->shape());
  }
  QF_ASSIGN_OR_RETURN(const EinsumEquation eq, parse_einsum(node, node.attr_string("equation", ""), shapes));
  Tensor& out = *outputs[0];
  const bool wide = out.dtype() == DType::kF64;
  if (out.dtype() != inputs[0]->dtype() || out.shape() != einsum_output_shape(eq, shapes))
    return internal_error("{}: output allocated as {}", node.describe(), shape_to_string(out.shape()));
  const EinsumSizes sizes = einsum_label_sizes(eq, shapes);

  // The loop runs over the output labels, then the summed ones; each operand advances by the sum
  // of its strides for a label (a repeated label reads a diagonal; a broadcast dim of 1 adds 0).
  std::string loop = eq.output;
  for (const std::string& t : eq.inputs)
    for (char c : t)
      if (loop.find(c) == std::string::npos) loop += c;
  Shape loop_shape;
  for (char c : loop) loop_shape.push_back(sizes.size[static_cast<unsigned char>(c)]);
  std::vector<Shape> strides(inputs.size(), Shape(loop.size(), 0));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape own = contiguous_strides(shapes[i]);
    for (size_t d = 0; d < eq.inputs[i].size(); ++d)
      if (shapes[i][d] != 1) strides[i][loop.find(eq.inputs[i][d])] += own[d];
  }
  const int64_t summed = shape_numel(Shape(loop_shape.begin() + static_cast<int64_t>(eq.output.size()), loop_shape.end()));
  std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
  std::vector<int64_t> counter(loop.size(), 0);
  std::vector<int64_t> offset(inputs.size(), 0);
  const int64_t total = shape_numel(loop_shape);
  for (int64_t e = 0; e < total; ++e) {
    double product = 1.0;
    for (size_t i = 0; i < inputs.size(); ++i)
      product *= wide ? inputs[i]->data<double>()[offset[i]] : inputs[i]->data<float>()[offset[i]];
    acc[static_cast<size_t>(summed > 0 ? e / summed : 0)] += product;
    for (size_t d = loop.size(); d-- > 0;) {
      for (size_t i = 0; i < inputs.size(); ++i) offset[i] += strides[i][d];
      if (++counter[d] < loop_shape[d]) break;
      for (size_t i = 0; i < inputs.size(); ++i) offset[i] -= strides[i][d] * counter[d];
      counter[d] = 0;
    }
  }
  for (int64_t i = 0; i < out.numel(); ++i) {
    if (wide) out.data<double>()[i] = acc[static_cast<size_t>(i)];
    else out.data<float>()[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
  }
  return Status::ok();
}

}  // namespace qf
