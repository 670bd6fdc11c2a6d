// SPDX-License-Identifier: Apache-2.0
// Executor: runs a shape-static Graph with one backend. Kernels, primitives and every tensor are
// created once in create(); run() only executes.
//
// A graph with encodings (a quantized graph) runs on integer codes: every encoded activation
// lives as the codes of its encoding (runtime/int8.h gives the semantics). A node runs as an
// integer kernel of the backend when it has one, else (Conv / Gemm / MatMul with integer
// semantics) as the reference integer kernel, else in float: its inputs are dequantized, an fp32
// kernel built from the graph's float twin runs, and its encoded outputs are quantized. Conversions
// (layout, quantize, dequantize) are steps of their own, made only where a consumer needs them.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/float_twin.h"
#include "runtime/kernel.h"

namespace qf {

struct ExecutorOptions {
  std::string backend = "onednn";  // "onednn" or "reference"
  int threads = 0;                 // 0: the library's default
  // false: run in float even where the graph has encodings (calibration, which must see the
  // float values of a graph that already carries some encodings).
  bool use_encodings = true;
};

struct StepProfile {
  std::string name;  // node name, or "reorder:<tensor>" / "quantize:<tensor>" / "dequantize:<tensor>"
  std::string op;
  std::string impl;
  double total_ms = 0;
  // In a chain of row bands: this step waits for every band of the steps before it, after
  // computing this many rows of its bands (all bands together) that need no other band's rows.
  bool waits_for_other_bands = false;
  int64_t rows_before_waiting = 0;
};

// How a node of a quantized graph ran and why, for --perf_report and --log_level debug.
struct NodePlacement {
  std::string node;
  std::string how;  // "int8", "int8 (reference)", "float"
  std::string why;  // for "float" and reference placements
};

class Executor {
 public:
  static Result<std::unique_ptr<Executor>> create(const Graph& graph, const ExecutorOptions& options);
  ~Executor();

  // `inputs` follow graph.inputs() order and must match their dtype and shape (float32 for the
  // float inputs of a quantized graph; encoded inputs are quantized here).
  Status run(std::span<const Tensor> inputs, bool profile = false);
  // A value's content after run() as float32 in ONNX layout (codes dequantized): graph outputs,
  // constants and any intermediate.
  Result<Tensor> fetch(const Value* value) const;
  // An encoded value's codes in ONNX layout (--use_native_output_files); bad_input for others.
  Result<Tensor> fetch_codes(const Value* value) const;
  // The tensor run() computed for `value`, in whatever form and layout its producer wrote it (no
  // copy): for readers to whom element order does not matter, such as calibration observers.
  // nullptr for values this graph does not compute.
  const Tensor* computed(const Value* value) const;

  const std::vector<StepProfile>& profile() const { return profile_; }
  // Nodes the chosen backend declined and the reference backend runs instead, with the reason.
  const std::vector<std::pair<std::string, std::string>>& fallbacks() const { return fallbacks_; }
  // Quantized graphs: how every node runs.
  const std::vector<NodePlacement>& placements() const { return placements_; }
  const Graph& graph() const { return graph_; }
  bool quantized() const { return quantized_; }

 private:
  enum class Form : uint8_t { kFloat, kCodes };
  struct Step {
    enum class Kind : uint8_t { kNode, kLayout, kQuantize, kDequantize };
    Kind kind = Kind::kNode;
    std::unique_ptr<Kernel> kernel;
    std::vector<const Tensor*> inputs;
    std::vector<Tensor*> outputs;
    const Tensor* src = nullptr;  // conversions
    Tensor* dst = nullptr;
    const Encoding* encoding = nullptr;
    // Row bands: the first step of a chain of banded kernels records where the chain ends; a
    // step in a chain waits for all bands of the steps before it when it reads rows that another
    // band wrote.
    size_t chain_end = 0;
    bool waits_for_all_bands = false;
    // Per band, for a step that waits on input 0 alone: the rows it computes before waiting
    // (RowBands::rows_from; runtime/band_chain.cpp).
    std::vector<Rows> before_waiting;
  };
  using Key = std::tuple<const Value*, Form, Layout>;

  explicit Executor(const Graph& graph) : graph_(graph) {}
  Status build(const ExecutorOptions& options);
  Status build_node(const Node& node);
  Status build_float_node(const Node& node, const std::string& why);
  // The kernel of `backend_` for node, or the reference one (recording the fallback).
  Result<std::unique_ptr<Kernel>> float_kernel(const Node& node, const KernelConfig& config);
  Status add_node_step(const Node& node, std::unique_ptr<Kernel> kernel, const std::vector<Form>& input_forms,
                       const std::vector<Form>& output_forms, const std::string& impl_suffix = "");
  // v in the given form and layout, adding the conversion steps that make it.
  Tensor* view(const Value* v, Form form, Layout layout);
  Form home_form(const Value* v) const;
  Layout input_codes_layout(const Value& input) const;
  KernelConfig config_for(const Node& node) const;
  void add_conversion(Step::Kind kind, const Value* v, const Tensor* src, Tensor* dst);
  // Marks the chains of consecutive banded kernels and where their bands must wait.
  void plan_band_chains();
  // Runs steps [first, chain_end) band by band in one parallel region.
  Status run_band_chain(size_t first, bool profile);

  const Graph& graph_;
  bool quantized_ = false;
  FloatTwin twin_;  // quantized graphs: the float nodes
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Backend> reference_;
  std::vector<Step> steps_;
  std::map<Key, Tensor> tensors_;
  std::map<const Value*, Key> home_;           // where each computed value is written
  // Float tensors before their quantize step: the given graph inputs, results of float-path nodes.
  std::map<const Value*, Tensor> raw_outputs_;
  std::vector<StepProfile> profile_;
  std::vector<std::pair<std::string, std::string>> fallbacks_;
  std::vector<NodePlacement> placements_;
};

}  // namespace qf
