// SPDX-License-Identifier: Apache-2.0
// The graph passes, one per file, each a free function that returns whether it changed the graph
// (declining is not failing). Each file opens with a sketch of the pattern it rewrites. Every
// pass keeps the graph's results the same up to float rounding (tests/unit/test_passes.cpp runs
// the reference backend before and after each one) and records the tensors it removes
// (Graph::record_removed) so that overrides and the diff tool can follow the original names.
#pragma once

#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

Result<bool> remove_identity(Graph& graph);
Result<bool> fold_constants(Graph& graph);
Result<bool> rewrite_einsum(Graph& graph);
Result<bool> fuse_layer_norm(Graph& graph);
Result<bool> fuse_gelu(Graph& graph);
Result<bool> fuse_masked_softmax(Graph& graph);
Result<bool> fold_batchnorm(Graph& graph);
Result<bool> fuse_hard_activations(Graph& graph);
Result<bool> fold_bias_add(Graph& graph);
Result<bool> squash_activations(Graph& graph);
Result<bool> fuse_residual_add(Graph& graph);

// Not part of the optimization pipeline (a Q/DQ model run in fp32 keeps its fake quantization):
// the converter runs it first, turning Q/DQ pairs into encodings (passes/absorb_qdq.cpp).
Result<bool> absorb_qdq(Graph& graph, bool keep_encodings = true);

struct PassInfo {
  std::string_view name;
  std::string_view summary;
  Result<bool> (*run)(Graph&);
};

// The optimization pipeline, in the order it runs.
std::span<const PassInfo> optimization_passes();
// "remove_identity, fold_constants, ..." for --help and errors.
std::string pass_names();

struct PipelineOptions {
  std::set<std::string, std::less<>> disabled;  // pass names to skip
  // Called after each pass (changed or not; disabled ones at their place) with its name; the
  // converter's --dump_ir_after prints the graph from here.
  std::function<void(std::string_view pass, const Graph&)> after_pass;
};

// Runs the pipeline with the verifier after every pass. A usage error for an unknown name in
// `disabled`.
Status run_optimization_passes(Graph& graph, const PipelineOptions& options = {});

}  // namespace qf
