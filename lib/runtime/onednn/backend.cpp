// SPDX-License-Identifier: Apache-2.0
// The fp32 oneDNN backend: dispatches a node to its kernel family and turns library errors at
// creation into declines, so that the reference kernel covers whatever oneDNN cannot do.
#include "ir/fused_activation.h"
#include "runtime/kernel.h"
#include "runtime/onednn/common.h"
#include "runtime/onednn/engine.h"

namespace qf {
namespace {

using onednn::Context;

// The fp32 kernel list: the first entry for the node's op builds its kernel; the executor runs
// the reference kernel for ops without an entry and for nodes an entry declines.
struct Fp32Entry {
  OpKind kind;
  Created (*create)(const Context&);
};

constexpr Fp32Entry kFp32Kernels[] = {
    {OpKind::kConv, onednn::create_conv},
    {OpKind::kConvTranspose, onednn::create_conv_transpose},
    {OpKind::kBatchNormalization, onednn::create_batchnorm},
    {OpKind::kRelu, onednn::create_eltwise},
    {OpKind::kLeakyRelu, onednn::create_eltwise},
    {OpKind::kClip, onednn::create_eltwise},
    {OpKind::kSigmoid, onednn::create_eltwise},
    {OpKind::kHardSigmoid, onednn::create_eltwise},
    {OpKind::kHardSwish, onednn::create_eltwise},
    {OpKind::kTanh, onednn::create_eltwise},
    {OpKind::kExp, onednn::create_eltwise},
    {OpKind::kSqrt, onednn::create_eltwise},
    {OpKind::kPow, onednn::create_eltwise},
    {OpKind::kNeg, onednn::create_eltwise},
    {OpKind::kReciprocal, onednn::create_eltwise},
    {OpKind::kGelu, onednn::create_eltwise},
    {OpKind::kLayerNormalization, onednn::create_layer_norm},
    {OpKind::kAdd, onednn::create_binary},
    {OpKind::kSub, onednn::create_binary},
    {OpKind::kMul, onednn::create_binary},
    {OpKind::kDiv, onednn::create_binary},
    {OpKind::kPRelu, onednn::create_binary},
    {OpKind::kMaxPool, onednn::create_pool},
    {OpKind::kAveragePool, onednn::create_pool},
    {OpKind::kGlobalAveragePool, onednn::create_pool},
    {OpKind::kGlobalMaxPool, onednn::create_pool},
    {OpKind::kGemm, onednn::create_gemm},
    {OpKind::kMatMul, onednn::create_matmul},
    {OpKind::kSoftmax, onednn::create_softmax},
    {OpKind::kLogSoftmax, onednn::create_softmax},
    {OpKind::kConcat, onednn::create_concat},
    {OpKind::kReduceMean, onednn::create_reduce},
    {OpKind::kReduceSum, onednn::create_reduce},
    {OpKind::kReduceMax, onednn::create_reduce},
    {OpKind::kResize, onednn::create_resize},
};

Created dispatch(const Context& ctx) {
  // The op table's kFusesActivation ops are the ones whose oneDNN kernels append the clamp as a
  // post-op; a graph from elsewhere may carry one on another op, which the reference runs.
  if (fused_activation(ctx.node) && !op_has_trait(ctx.node.kind, kFusesActivation))
    return decline(ctx, "fused activation on an op whose oneDNN kernel has no post-ops here");
  for (const Fp32Entry& entry : kFp32Kernels)
    if (entry.kind == ctx.node.kind) return entry.create(ctx);
  return decline(ctx, "no oneDNN kernel for this op");
}

class OnednnBackend final : public Backend {
 public:
  Result<std::unique_ptr<Kernel>> create_int8_kernel(const Node& node, const KernelConfig& config,
                                                     std::string* why) override {
    std::string local_why;
    Context ctx{{node, config, threads_, why ? why : &local_why}};
    try {
      onednn::apply_threads(threads_);
      return onednn::create_int8(ctx);
    } catch (const dnnl::error& e) {
      return decline(ctx, fmt::format("oneDNN rejected the int8 form (status {}): {}",
                                              static_cast<int>(e.status), e.what()));
    }
  }

  explicit OnednnBackend(int threads) : threads_(threads) { onednn::apply_threads(threads); }

  std::string_view name() const override { return "onednn"; }

  std::vector<KernelListing> kernels() const override {
    std::vector<KernelListing> listing;
    for (const Fp32Entry& entry : kFp32Kernels) listing.push_back({entry.kind, kOnednnFp32});
    for (const KernelListing& entry : onednn::int8_kernels()) listing.push_back(entry);
    return listing;
  }

  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node, const KernelConfig& config,
                                                std::string* why) override {
    std::string local_why;
    Context ctx{{node, config, threads_, why ? why : &local_why}};
    try {
      onednn::apply_threads(threads_);
      return dispatch(ctx);
    } catch (const dnnl::error& e) {
      // A primitive oneDNN will not build for this problem (unimplemented, or arguments it
      // rejects): the reference kernel is still right, so decline rather than fail the model.
      return decline(ctx, fmt::format("oneDNN rejected it (status {}): {}", static_cast<int>(e.status),
                                              e.what()));
    } catch (const std::exception& e) {
      return internal_error("{}: creating the oneDNN kernel failed: {}", node.describe(), e.what());
    }
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_onednn_backend(int threads) { return std::make_unique<OnednnBackend>(threads); }

}  // namespace qf
