// SPDX-License-Identifier: Apache-2.0
// Reference kernels: naive loops over plain (ONNX-order) tensors, written to be obviously right.
// They are the oracle for every other backend and for constant folding. One function per op,
// declared from ops.def; outputs arrive allocated with the inferred dtype and shape.
#pragma once

#include <span>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/kernel.h"

namespace qf {

using ReferenceKernelFn = Status (*)(const Node& node, std::span<const Tensor* const> inputs,
                                     std::span<Tensor* const> outputs);

#define QF_OP(kind, ...) \
  Status ref_##kind(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs);
#include "ir/ops.def"

ReferenceKernelFn reference_kernel(OpKind kind);
// The integer kernel of a node of a quantized graph (runtime/int8.h), or nullptr with `why`.
Result<std::unique_ptr<Kernel>> make_reference_int8_kernel(const Node& node, std::string* why);
// The ops that make_reference_int8_kernel has a kernel for, for Backend::kernels().
std::vector<KernelListing> reference_int8_kernels();

// The node's reference kernel followed by its fused activation, if any (ir/fused_activation.h).
Status run_reference(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs);

}  // namespace qf
