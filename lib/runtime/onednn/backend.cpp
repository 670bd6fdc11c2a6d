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
using onednn::Created;

// The kernels that apply a fused activation as a post-op; the others decline such nodes.
bool applies_fused_activation(OpKind kind) {
  switch (kind) {
    case OpKind::kConv:
    case OpKind::kConvTranspose:
    case OpKind::kGemm:
    case OpKind::kMatMul:
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv: return true;
    default: return false;
  }
}

Created dispatch(const Context& ctx) {
  if (fused_activation(ctx.node) && !applies_fused_activation(ctx.node.kind))
    return onednn::decline(ctx, "fused activation on an op whose oneDNN kernel has no post-ops here");
  switch (ctx.node.kind) {
    case OpKind::kConv: return onednn::create_conv(ctx);
    case OpKind::kConvTranspose: return onednn::create_conv_transpose(ctx);
    case OpKind::kBatchNormalization: return onednn::create_batchnorm(ctx);
    case OpKind::kRelu:
    case OpKind::kLeakyRelu:
    case OpKind::kClip:
    case OpKind::kSigmoid:
    case OpKind::kHardSigmoid:
    case OpKind::kHardSwish:
    case OpKind::kTanh:
    case OpKind::kExp:
    case OpKind::kSqrt:
    case OpKind::kPow: return onednn::create_eltwise(ctx);
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv:
    case OpKind::kPRelu: return onednn::create_binary(ctx);
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool: return onednn::create_pool(ctx);
    case OpKind::kGemm: return onednn::create_gemm(ctx);
    case OpKind::kMatMul: return onednn::create_matmul(ctx);
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax: return onednn::create_softmax(ctx);
    case OpKind::kConcat: return onednn::create_concat(ctx);
    case OpKind::kReduceMean: return onednn::create_reduce_mean(ctx);
    case OpKind::kResize: return onednn::create_resize(ctx);
    default: return onednn::decline(ctx, "no oneDNN kernel for this op");
  }
}

class OnednnBackend final : public Backend {
 public:
  Result<std::unique_ptr<Kernel>> create_int8_kernel(const Node& node, const KernelConfig& config,
                                                     std::string* why) override {
    std::string local_why;
    Context ctx{node, config, threads_, why ? why : &local_why};
    try {
      onednn::apply_threads(threads_);
      return onednn::create_int8(ctx);
    } catch (const dnnl::error& e) {
      return onednn::decline(ctx, fmt::format("oneDNN rejected the int8 form (status {}): {}",
                                              static_cast<int>(e.status), e.what()));
    }
  }

  explicit OnednnBackend(int threads) : threads_(threads) { onednn::apply_threads(threads); }

  std::string_view name() const override { return "onednn"; }

  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node, const KernelConfig& config,
                                                std::string* why) override {
    std::string local_why;
    Context ctx{node, config, threads_, why ? why : &local_why};
    try {
      onednn::apply_threads(threads_);
      return dispatch(ctx);
    } catch (const dnnl::error& e) {
      // A primitive oneDNN will not build for this problem (unimplemented, or arguments it
      // rejects): the reference kernel is still right, so decline rather than fail the model.
      return onednn::decline(ctx, fmt::format("oneDNN rejected it (status {}): {}", static_cast<int>(e.status),
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
