// SPDX-License-Identifier: Apache-2.0
// TEMPORARY placeholders so the tree links while the real kernels are written; delete when done.
#include "ir/infer.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status infer_Relu(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Relu(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_LeakyRelu(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_LeakyRelu(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_PRelu(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_PRelu(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Clip(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Clip(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Sigmoid(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Sigmoid(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_HardSigmoid(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_HardSigmoid(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_HardSwish(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_HardSwish(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Tanh(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Tanh(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Erf(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Erf(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Exp(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Exp(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Sqrt(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Sqrt(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Pow(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Pow(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Add(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Add(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Sub(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Sub(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Mul(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Mul(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Div(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Div(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Concat(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Concat(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Split(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Split(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Slice(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Slice(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Flatten(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Flatten(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Reshape(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Reshape(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Transpose(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Transpose(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Squeeze(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Squeeze(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Unsqueeze(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Unsqueeze(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Identity(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Identity(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Dropout(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Dropout(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Constant(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Constant(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Shape(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Shape(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Gather(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Gather(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Cast(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Cast(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}

}  // namespace qf
