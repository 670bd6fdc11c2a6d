// SPDX-License-Identifier: Apache-2.0
// The reference backend: every op, plain layout, naive loops.
#include "ir/fused_activation.h"
#include "runtime/kernel.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {

ReferenceKernelFn reference_kernel(OpKind kind) {
  switch (kind) {
#define QF_OP(kind, ...) \
  case OpKind::k##kind:                    \
    return &ref_##kind;
#include "ir/ops.def"
  }
  return nullptr;
}

Status run_reference(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  QF_RETURN_IF_ERROR(reference_kernel(node.kind)(node, inputs, outputs));
  if (!outputs.empty() && outputs[0]) apply_fused_activation(node, *outputs[0]);
  return Status::ok();
}

namespace {

class ReferenceKernel final : public Kernel {
 public:
  explicit ReferenceKernel(const Node& node) : node_(node) {}
  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    return run_reference(node_, inputs, outputs);
  }
  std::string impl_name() const override { return "reference"; }

 private:
  const Node& node_;
};

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  // Its fp32 kernels are every op's (reference_kernel), which ops.def does not list.
  std::vector<KernelListing> kernels() const override { return reference_int8_kernels(); }
  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node, const KernelConfig&, std::string*) override {
    return std::unique_ptr<Kernel>(std::make_unique<ReferenceKernel>(node));
  }
  Result<std::unique_ptr<Kernel>> create_int8_kernel(const Node& node, const KernelConfig&, std::string* why) override {
    return make_reference_int8_kernel(node, why);
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace qf
