// SPDX-License-Identifier: Apache-2.0
// Executor: runs a shape-static Graph with one backend. Kernels, primitives and every tensor are
// created once in create(); run() only executes.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/kernel.h"

namespace qf {

struct ExecutorOptions {
  std::string backend = "onednn";  // "onednn" or "reference"
  int threads = 0;                 // 0: the library's default
};

struct StepProfile {
  std::string name;  // node name, or "reorder:<tensor>" for layout conversions
  std::string op;
  std::string impl;
  double total_ms = 0;
};

class Executor {
 public:
  static Result<std::unique_ptr<Executor>> create(const Graph& graph, const ExecutorOptions& options);
  ~Executor();

  // `inputs` follow graph.inputs() order and must match their dtype and shape.
  Status run(std::span<const Tensor> inputs, bool profile = false);
  // A value's content after run(), in ONNX layout: graph outputs, constants and any intermediate.
  Result<Tensor> fetch(const Value* value) const;
  // The tensor run() computed for `value`, in whatever layout its producer wrote (no copy): for
  // readers to whom element order does not matter, such as calibration observers. nullptr for
  // values this graph does not compute.
  const Tensor* computed(const Value* value) const;

  const std::vector<StepProfile>& profile() const { return profile_; }
  // Nodes the chosen backend declined and the reference backend runs instead, with the reason.
  const std::vector<std::pair<std::string, std::string>>& fallbacks() const { return fallbacks_; }
  const Graph& graph() const { return graph_; }

 private:
  struct Step {
    const Node* node = nullptr;  // nullptr: a layout conversion from convert_src to convert_dst
    std::unique_ptr<Kernel> kernel;
    std::vector<const Tensor*> inputs;
    std::vector<Tensor*> outputs;
    const Tensor* convert_src = nullptr;
    Tensor* convert_dst = nullptr;
  };
  explicit Executor(const Graph& graph) : graph_(graph) {}
  Status build(const ExecutorOptions& options);
  Tensor* storage_in_layout(const Value* v, Layout layout);

  const Graph& graph_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Backend> reference_;
  std::vector<Step> steps_;
  std::map<const Value*, Tensor> produced_;                        // in the producer's layout
  std::map<std::pair<const Value*, Layout>, Tensor> converted_;  // copies other consumers need
  std::map<const Value*, Tensor> constants_;
  std::vector<StepProfile> profile_;
  std::vector<std::pair<std::string, std::string>> fallbacks_;
};

}  // namespace qf
