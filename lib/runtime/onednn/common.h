// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the oneDNN kernels: memory descriptors for our two layouts, the generic
// one-primitive kernel, and the per-family factory declarations the backend dispatches to.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/int8.h"
#include "runtime/kernel.h"
#include "runtime/layout.h"
#include "runtime/window.h"

namespace qf::onednn {

using Dims = dnnl::memory::dims;
using Tag = dnnl::memory::format_tag;
using DataType = dnnl::memory::data_type;

// A kernel request (runtime/kernel.h) and the data type a oneDNN factory builds for: f32 for fp32
// kernels; u8 / s8 when an int8 kernel moves codes (pooling, concat).
struct Context : KernelRequest {
  DataType dtype = DataType::f32;
};

// Common preconditions: every present input and output is f32 with a static shape, except the
// inputs listed in `non_float` (axes, sizes...), which only need to be present-or-absent.
std::optional<std::string> check_f32_static(const Node& node, std::initializer_list<size_t> non_float = {});

// Plain (row-major) and channels-last tags for a rank.
Tag plain_tag(size_t rank);
Tag channels_last_tag(size_t rank);  // undef unless 3 <= rank <= 5
Tag tag_for(size_t rank, Layout layout);
dnnl::memory::desc desc_for(const Shape& shape, Layout layout, DataType dtype = DataType::f32);
// The oneDNN data type of a tensor dtype (f32, u8, s8, s32); undef for the others.
DataType onednn_dtype(DType t);
// Row-major desc of `shape` left-padded with 1s to `rank` (numpy broadcasting).
Dims padded_dims(const Shape& shape, size_t rank);



// Appends the node's fused activation (ir/fused_activation.h) as an eltwise post-op: relu for
// [0, inf), clip otherwise. Nothing when the node has none.
void append_fused_activation(const Node& node, dnnl::post_ops& po);
// A primitive_attr holding just the node's fused activation.
dnnl::primitive_attr fused_activation_attr(const Node& node);

// A plain f32 memory over a constant tensor reordered once into `target` (weights in whatever
// blocked layout the primitive chose). `user` describes how the constant is laid out.
Result<dnnl::memory> reorder_constant(const Tensor& t, const dnnl::memory::desc& user,
                                      const dnnl::memory::desc& target);
// A memory that owns a copy of `values` with desc `md` (biases, scales, shifts...).
dnnl::memory owned_memory(const dnnl::memory::desc& md, const void* values);

// Where a primitive's memory lies in its tensor: the whole of it, or a band of rows that starts
// `offset` bytes in and reaches `span` bytes further (row bands, kernel.h).
struct Region {
  size_t offset = 0;
  size_t span = 0;
  size_t tensor_bytes = 0;  // the whole tensor's size; 0 when the memory is the whole tensor
};

// One primitive, executed with memories bound to the run-time tensors by index.
class PrimitiveKernel final : public Kernel {
 public:
  // impl_info is pd.impl_info_str() (a const char* in oneDNN 2.6). threads 0 leaves OpenMP's
  // thread count as it is (bands, which run inside the executor's parallel region).
  PrimitiveKernel(dnnl::primitive primitive, const char* impl_info, int threads, size_t num_inputs,
                  size_t num_outputs);

  // Binds a run-time input/output tensor to a primitive argument; `md` is the exact layout the
  // primitive expects (checked against the tensor's size at run time).
  void bind_input(int arg, size_t index, const dnnl::memory::desc& md, Layout layout, Region region = {});
  void bind_output(int arg, size_t index, const dnnl::memory::desc& md, Layout layout, Region region = {});
  // An argument whose memory is fixed at creation (reordered weights, bias, scratch).
  void bind_constant(int arg, dnnl::memory mem);
  // For inputs the primitive does not read but the executor must still place (e.g. constant
  // axes): only records the layout asked for.
  void set_input_layout(size_t index, Layout layout) { in_layouts_[index] = layout; }
  // The primitive accumulates into its destination (a sum post-op): input `input` is copied into
  // output `output` before each run, in the output's layout, over the output's region (bind the
  // output first).
  void accumulate_into_output(size_t input, size_t output, Layout layout);
  // A reorder to run on input `index` before the primitive (the source is whatever the producer
  // delivered; the primitive reads `into`).
  void add_pre_reorder(size_t index, const dnnl::memory::desc& from, dnnl::memory into, Layout layout,
                       Region region = {});

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override;
  Layout input_layout(size_t i) const override { return i < in_layouts_.size() ? in_layouts_[i] : Layout::kPlain; }
  Layout output_layout(size_t i) const override {
    return i < out_layouts_.size() ? out_layouts_[i] : Layout::kPlain;
  }
  std::string impl_name() const override { return impl_; }

 private:
  struct Binding {
    size_t index;
    bool output;
    dnnl::memory mem;
    Region region;
  };
  struct PreReorder {
    size_t index;
    dnnl::reorder prim;
    dnnl::memory from;
    dnnl::memory into;
    Region region;
  };
  struct Accumulate {
    size_t input, output;
    Region region;
  };

  dnnl::primitive primitive_;
  std::string impl_;
  int threads_;
  std::vector<Layout> in_layouts_;
  std::vector<Layout> out_layouts_;
  std::vector<Binding> bindings_;
  std::vector<PreReorder> pre_reorders_;
  std::optional<Accumulate> accumulate_;
  std::unordered_map<int, dnnl::memory> args_;
};

// A kernel cut into row bands (row_bands.h), one PrimitiveKernel per band. Run whole, it runs its
// bands in a parallel region of its own; the executor runs chains of them in one region.
class BandedKernel final : public Kernel, public RowBands {
 public:
  struct Band {
    std::unique_ptr<PrimitiveKernel> kernel;
    Rows output;
    std::vector<Rows> inputs;  // per input; empty Rows for inputs without rows
  };
  explicit BandedKernel(std::vector<Band> bands);

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override;
  Layout input_layout(size_t i) const override { return bands_[0].kernel->input_layout(i); }
  Layout output_layout(size_t i) const override { return bands_[0].kernel->output_layout(i); }
  std::string impl_name() const override;
  RowBands* row_bands() override { return this; }
  size_t bands() const override { return bands_.size(); }
  Rows output_rows(size_t band) const override { return bands_[band].output; }
  Rows input_rows(size_t band, size_t i) const override {
    return i < bands_[band].inputs.size() ? bands_[band].inputs[i] : Rows{};
  }
  Status run_band(size_t band, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    return bands_[band].kernel->run(inputs, outputs);
  }

 private:
  std::vector<Band> bands_;
};

// Per-family factories (one file each). They may throw dnnl::error; the backend turns that into a
// decline with the library's message.
Created create_conv(const Context& ctx);
// The data types and attributes that make a convolution fp32 or int8; the geometry is shared.
struct ConvTypes {
  DataType src, weights, bias, dst;
  dnnl::primitive_attr attr;
  std::vector<int32_t> bias_codes;  // when not empty, the s32 bias in place of the node's own
};
Created create_conv_with(const Context& ctx, const ConvTypes& types);
Created create_conv_transpose(const Context& ctx);
Created create_batchnorm(const Context& ctx);
Created create_eltwise(const Context& ctx);
Created create_binary(const Context& ctx);
Created create_pool(const Context& ctx);
// Pooling of codes that keep one encoding (ctx.dtype u8 / s8); the fp32 rules otherwise.
Created create_pool_of(const Context& ctx, bool codes);
Created create_gemm(const Context& ctx);
Created create_matmul(const Context& ctx);
Created create_softmax(const Context& ctx);
Created create_concat(const Context& ctx);
Created create_concat_of(const Context& ctx, bool codes);
Created create_reduce(const Context& ctx);
Created create_layer_norm(const Context& ctx);
Created create_resize(const Context& ctx);
// Integer kernels for quantized graphs (int8_*.cpp); they decline what they do not cover.
Created create_int8(const Context& ctx);
// Its kernel list, for Backend::kernels().
std::vector<KernelListing> int8_kernels();

}  // namespace qf::onednn
