// SPDX-License-Identifier: Apache-2.0
// Kernel and Backend: how the executor runs one node. A backend either creates a kernel for a node
// (building any primitive once, here) or declines with a reason; declining is not failing.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/row_bands.h"

namespace qf {

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Inputs are nullptr for absent optional inputs. Outputs are allocated by the executor with the
  // inferred dtype and shape, in the layouts output_layout() asked for.
  virtual Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) = 0;
  // The layout the kernel needs input i in; the executor converts when the producer differs.
  virtual Layout input_layout(size_t /*i*/) const { return Layout::kPlain; }
  virtual Layout output_layout(size_t /*i*/) const { return Layout::kPlain; }
  // Which implementation runs (perf reports, --log_level debug): "reference", "onednn:brgconv:avx512_core".
  virtual std::string impl_name() const = 0;

  // The kernel's row bands (runtime/row_bands.h), or nullptr for a kernel that runs only whole.
  virtual RowBands* row_bands() { return nullptr; }
};

struct KernelConfig {
  // Layouts the producers of each input will deliver (kPlain for constants and graph inputs).
  std::vector<Layout> input_layouts;
};

// What a kernel factory of any backend sees: the node, the producers' layouts, the thread count,
// and where to say why it declines.
struct KernelRequest {
  const Node& node;
  const KernelConfig& config;
  int threads;
  std::string* why;

  // The layout the producer of input i delivers (kPlain for constants, absent inputs, rank < 3).
  Layout incoming(size_t i) const;
  const Shape& in_shape(size_t i) const { return node.input(i)->type.shape; }
  const Shape& out_shape(size_t i = 0) const { return node.outputs[i]->type.shape; }
};

// A factory's answer: a kernel, or nullptr after decline() said why (declining is not failing:
// the executor runs the next kernel, the reference, or float).
using Created = Result<std::unique_ptr<Kernel>>;
Created decline(const KernelRequest& request, std::string reason);

// One entry of a backend's kernel list: an op and the kernel family (ops.def's Kernels) that has
// a kernel for it. Listed from the lists the backend dispatches by, so that a test can hold them
// to the op table.
struct KernelListing {
  OpKind kind;
  KernelSet family;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // What the backend's kernel lists hold, besides the fp32 reference kernel every op has.
  virtual std::vector<KernelListing> kernels() const = 0;
  // A kernel for `node`, or nullptr with `why` filled when this backend does not handle it.
  // Errors are for real failures (a primitive that should exist could not be built).
  virtual Result<std::unique_ptr<Kernel>> create_kernel(const Node& node, const KernelConfig& config,
                                                        std::string* why) = 0;
  // An integer kernel for a node of a quantized graph (runtime/int8.h): it reads the codes of
  // encoded inputs (float for the others) and writes the codes of encoded outputs. nullptr with
  // `why` when the backend has none for this node.
  virtual Result<std::unique_ptr<Kernel>> create_int8_kernel(const Node& node, const KernelConfig& config,
                                                             std::string* why) = 0;
};

std::unique_ptr<Backend> make_reference_backend();
std::unique_ptr<Backend> make_onednn_backend(int threads);

}  // namespace qf
