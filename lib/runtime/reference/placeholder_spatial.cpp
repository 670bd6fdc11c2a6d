// SPDX-License-Identifier: Apache-2.0
// TEMPORARY placeholders so the tree links while the real kernels are written; delete when done.
#include "ir/infer.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

Status infer_Conv(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Conv(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_ConvTranspose(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_ConvTranspose(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_BatchNormalization(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_BatchNormalization(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_MaxPool(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_MaxPool(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_AveragePool(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_AveragePool(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_GlobalAveragePool(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_GlobalAveragePool(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_GlobalMaxPool(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_GlobalMaxPool(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Gemm(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Gemm(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_MatMul(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_MatMul(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Resize(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Resize(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Pad(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Pad(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_Softmax(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_Softmax(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_LogSoftmax(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_LogSoftmax(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}
Status infer_ReduceMean(Node& node) { return unsupported("{}: not implemented yet", node.describe()); }
Status ref_ReduceMean(const Node& node, std::span<const Tensor* const>, std::span<Tensor* const>) {
  return unsupported("{}: not implemented yet", node.describe());
}

}  // namespace qf
