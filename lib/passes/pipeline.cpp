// SPDX-License-Identifier: Apache-2.0
#include "passes/passes.h"

#include <fmt/ranges.h>

#include "core/log.h"
#include "ir/verify.h"
#include "passes/propagate_shapes.h"

namespace qf {

// Dequantizing constant weights here is what lets a QDQ model run fp32 kernels on plain weights.
Result<bool> fold_constants(Graph& graph) { return propagate_shapes(graph, /*fold_quantization=*/true); }

namespace {

// Identity first so that patterns see through it; constants folded before and after the
// rewrites; BN folded before bias Adds and activations are absorbed into the same producer.
constexpr PassInfo kPasses[] = {
    {"remove_identity", "drop Identity, inference Dropout and no-op Cast", &remove_identity},
    {"fold_constants", "evaluate nodes whose inputs are all constant", &fold_constants},
    {"rewrite_einsum", "Einsum of a batched matrix product (attention) -> MatMul, with Transposes", &rewrite_einsum},
    {"fuse_layer_norm", "ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div(/Mul/Add) -> LayerNormalization",
     &fuse_layer_norm},
    {"fuse_gelu", "x*0.5*(1+erf(x/sqrt2)) and the tanh form -> Gelu", &fuse_gelu},
    {"fuse_masked_softmax", "Where(mask, -inf, s) / Add(s, mask) -> Softmax(s) with a constant mask input",
     &fuse_masked_softmax},
    {"fuse_hard_activations", "x*clip(x+3,0,6)/6 -> HardSwish, clip(x+3,0,6)/6 -> HardSigmoid",
     &fuse_hard_activations},
    {"fold_batchnorm", "fold BatchNormalization into Conv/ConvTranspose/Gemm; others become a depthwise 1x1 Conv",
     &fold_batchnorm},
    {"fold_bias_add", "fold an Add of a constant into the Conv/Gemm/MatMul bias (2-D MatMul + Add -> Gemm)",
     &fold_bias_add},
    {"squash_activations", "fuse Relu/Clip into the Conv/Gemm/MatMul/Add that produces their input",
     &squash_activations},
    {"fuse_residual_add", "fold a skip connection's Add (and its activation) into the Conv before it",
     &fuse_residual_add},
};

}  // namespace

std::span<const PassInfo> optimization_passes() { return kPasses; }

std::string pass_names() {
  std::vector<std::string_view> names;
  for (const PassInfo& p : kPasses) names.push_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

Status run_optimization_passes(Graph& graph, const PipelineOptions& options) {
  for (const std::string& name : options.disabled) {
    bool known = false;
    for (const PassInfo& p : kPasses) known = known || p.name == name;
    if (!known) return usage_error("unknown pass '{}' (passes: {})", name, pass_names());
  }
  for (const PassInfo& pass : kPasses) {
    if (options.disabled.count(pass.name)) {
      // The graph "after" a disabled pass is still where a dump of it belongs.
      if (options.after_pass) options.after_pass(pass.name, graph);
      continue;
    }
    QF_ASSIGN_OR_RETURN(bool changed, pass.run(graph));
    const Status verified = verify_graph(graph);
    if (!verified.is_ok())
      return internal_error("the graph is invalid after pass {}: {}", pass.name, verified.message());
    spdlog::debug("pass {}: {}", pass.name, changed ? "changed the graph" : "nothing to do");
    if (options.after_pass) options.after_pass(pass.name, graph);
  }
  return Status::ok();
}

}  // namespace qf
