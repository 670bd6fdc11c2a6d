// SPDX-License-Identifier: Apache-2.0
// The reference backend's integer kernels: Conv / Gemm / MatMul as the exact formula of
// runtime/int8.h with naive loops (the oracle the oneDNN int8 kernels are tested against), and
// ops that only move codes, run by their byte-generic reference kernels on the codes.
#include "runtime/int8.h"
#include "runtime/kernel.h"
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {
namespace {

using namespace spatial;

// Code i of an 8-bit codes tensor (uint8 or int8) as an int32.
inline int32_t code(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kU8 ? static_cast<int32_t>(t.data<uint8_t>()[i])
                                 : static_cast<int32_t>(t.data<int8_t>()[i]);
}

inline void store(Tensor& t, int64_t i, int32_t q) {
  if (t.dtype() == DType::kU8) {
    t.data<uint8_t>()[i] = static_cast<uint8_t>(q);
  } else {
    t.data<int8_t>()[i] = static_cast<int8_t>(q);
  }
}

class LinearKernel final : public Kernel {
 public:
  LinearKernel(const Node& node, Int8Linear form) : node_(node), f_(std::move(form)) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const Tensor& x = *inputs[0];
    const Tensor& w = *inputs[1];
    const Tensor* bias = opt_input(inputs, 2);
    Tensor& y = *outputs[0];
    if (node_.kind == OpKind::kConv) return conv(x, w, bias, opt_input(inputs, 3), y);
    if (f_.runtime_weights) return batched_matmul(x, w, y);
    return matmul(x, w, bias, y);
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  Status conv(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor* residual, Tensor& y) const {
    QF_ASSIGN_OR_RETURN(const WindowGeometry g,
                        window_geometry(node_, spatial_of(x.shape()), spatial_of(w.shape()), false));
    QF_ASSIGN_OR_RETURN(const Window3d win, to_window3d(node_, spatial_of(x.shape()), g));
    const int64_t batch = x.dim(0), channels = x.dim(1), out_channels = w.dim(0);
    const int64_t group = node_.attr_int("group", 1);
    const int64_t cg = channels / group, mg = out_channels / group;
    const int64_t in_vol = win.in_volume(), out_vol = win.out_volume(), k_vol = win.k_volume();
    const int8_t* wd = w.data<int8_t>();
    std::vector<int32_t> acc(static_cast<size_t>(out_vol));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t m = 0; m < out_channels; ++m) {
        const int64_t first_c = (m / mg) * cg;
        std::fill(acc.begin(), acc.end(), bias ? bias->data<int32_t>()[m] : 0);
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t x_offset = (n * channels + first_c + c) * in_vol;
          const int8_t* wk = wd + (m * cg + c) * k_vol;
          if (x.dtype() == DType::kU8) {
            accumulate_window(x.data<uint8_t>() + x_offset, f_.input_zero, wk, win, acc.data());
          } else {
            accumulate_window(x.data<int8_t>() + x_offset, f_.input_zero, wk, win, acc.data());
          }
        }
        const int64_t base = (n * out_channels + m) * out_vol;
        for (int64_t i = 0; i < out_vol; ++i) {
          float r;
          if (residual) r = static_cast<float>(code(*residual, base + i));
          store(y, base + i, f_.requantize(acc[static_cast<size_t>(i)], m, residual ? &r : nullptr));
        }
      }
    }
    return Status::ok();
  }

  // [M, K] x [K, N] (Gemm's transB: B is [N, K]); MatMul's [..., M, K] as [rows, K].
  Status matmul(const Tensor& a, const Tensor& b, const Tensor* bias, Tensor& y) const {
    const bool tb = node_.kind == OpKind::kGemm && node_.attr_int("transB", 0) != 0;
    const int64_t k = a.dim(a.rank() - 1), m = k > 0 ? a.numel() / k : 0, n = tb ? b.dim(0) : b.dim(1);
    const int8_t* bd = b.data<int8_t>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int32_t acc = bias ? bias->data<int32_t>()[bias->numel() == 1 ? 0 : j] : 0;
        for (int64_t p = 0; p < k; ++p)
          acc += (code(a, i * k + p) - f_.input_zero) * static_cast<int32_t>(bd[tb ? j * k + p : p * n + j]);
        store(y, i * n + j, f_.requantize(acc, j, nullptr));
      }
    return Status::ok();
  }

  // [..., M, K] x [..., K, N] of two code tensors, the batch dims broadcast as numpy does.
  Status batched_matmul(const Tensor& a, const Tensor& b, Tensor& y) const {
    const int64_t m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1), n = b.dim(b.rank() - 1);
    const Shape batch(y.shape().begin(), y.shape().end() - 2);
    // Strides counted in whole matrices of each operand.
    const Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
    for_each_index<2>(batch, {broadcast_strides(a_batch, batch), broadcast_strides(b_batch, batch)},
                      [&](int64_t out, const std::array<int64_t, 2>& in) {
                        const int64_t a0 = in[0] * m * k, b0 = in[1] * k * n, y0 = out * m * n;
                        for (int64_t i = 0; i < m; ++i)
                          for (int64_t j = 0; j < n; ++j) {
                            int32_t acc = 0;
                            for (int64_t p = 0; p < k; ++p)
                              acc += (code(a, a0 + i * k + p) - f_.input_zero) *
                                     (code(b, b0 + p * n + j) - f_.weight_zero);
                            store(y, y0 + i * n + j, f_.requantize(acc, 0, nullptr));
                          }
                      });
    return Status::ok();
  }

  const Node& node_;
  Int8Linear f_;
};

// GlobalAveragePool on codes: each channel's window summed as integers, then requantized.
class AverageKernel final : public Kernel {
 public:
  explicit AverageKernel(Int8Linear form) : f_(std::move(form)) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const Tensor& x = *inputs[0];
    Tensor& y = *outputs[0];
    const int64_t planes = x.dim(0) * x.dim(1), window = x.numel() / planes;
    for (int64_t p = 0; p < planes; ++p) {
      int32_t acc = 0;
      for (int64_t i = 0; i < window; ++i) acc += code(x, p * window + i) - f_.input_zero;
      store(y, p, f_.requantize(acc, 0, nullptr));
    }
    return Status::ok();
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  Int8Linear f_;
};

// ReduceMean on codes: every input code's distance from the zero point added to its output's sum.
class MeanKernel final : public Kernel {
 public:
  explicit MeanKernel(Int8Mean form) : m_(std::move(form)) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const Tensor& x = *inputs[0];
    Tensor& y = *outputs[0];
    std::vector<int32_t> acc(static_cast<size_t>(y.numel()), 0);
    for_each_index<1>(x.shape(), {m_.to_output}, [&](int64_t i, const std::array<int64_t, 1>& o) {
      acc[static_cast<size_t>(o[0])] += code(x, i) - m_.f.input_zero;
    });
    for (int64_t o = 0; o < y.numel(); ++o) store(y, o, m_.f.requantize(acc[static_cast<size_t>(o)], 0, nullptr));
    return Status::ok();
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  Int8Mean m_;
};

// A one-input elementwise op on codes: each code looked up in the op's table.
class TableKernel final : public Kernel {
 public:
  explicit TableKernel(const CodeTable& table) : table_(table) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const Tensor& x = *inputs[table_.input];
    Tensor& y = *outputs[0];
    const auto* in = static_cast<const uint8_t*>(static_cast<const void*>(x.bytes()));
    auto* out = static_cast<uint8_t*>(static_cast<void*>(y.bytes()));
    for (int64_t i = 0; i < y.numel(); ++i) out[i] = table_.codes[in[i]];
    return Status::ok();
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  CodeTable table_;
};

// Add / Sub / Mul of two code tensors, numpy broadcasting.
class BinaryKernel final : public Kernel {
 public:
  explicit BinaryKernel(Int8Binary form) : f_(std::move(form)) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const Tensor& a = *inputs[0];
    const Tensor& b = *inputs[1];
    Tensor& y = *outputs[0];
    const Shape& shape = y.shape();
    if (!broadcasts_to(a.shape(), shape) || !broadcasts_to(b.shape(), shape))
      return internal_error("inputs {} and {} do not broadcast to {}", shape_to_string(a.shape()),
                            shape_to_string(b.shape()), shape_to_string(shape));
    for_each_index<2>(shape, {broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape)},
                      [&](int64_t o, const std::array<int64_t, 2>& in) {
                        store(y, o, f_.apply(code(a, in[0]), code(b, in[1])));
                      });
    return Status::ok();
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  Int8Binary f_;
};

// A data-movement op run by its reference kernel on the codes: the same bytes move.
class MoveCodesKernel final : public Kernel {
 public:
  explicit MoveCodesKernel(const Node& node) : node_(node) {}
  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    return reference_kernel(node_.kind)(node_, inputs, outputs);
  }
  std::string impl_name() const override { return "reference:codes"; }

 private:
  const Node& node_;
};

using Made = Result<std::unique_ptr<Kernel>>;

Made linear(const Node& node, std::string* why) {
  if (auto form = int8_linear_form(node, why)) return std::unique_ptr<Kernel>(std::make_unique<LinearKernel>(node, std::move(*form)));
  return std::unique_ptr<Kernel>();
}

Made average(const Node& node, std::string* why) {
  if (node.kind == OpKind::kReduceMean) {
    if (auto form = int8_mean_form(node, why)) return std::unique_ptr<Kernel>(std::make_unique<MeanKernel>(std::move(*form)));
    return std::unique_ptr<Kernel>();
  }
  if (auto form = int8_average_form(node, why)) return std::unique_ptr<Kernel>(std::make_unique<AverageKernel>(std::move(*form)));
  return std::unique_ptr<Kernel>();
}

Made move_codes(const Node& node, std::string* why) {
  if (moves_codes(node)) return std::unique_ptr<Kernel>(std::make_unique<MoveCodesKernel>(node));
  *why = "inputs and outputs do not share one 8-bit per-tensor encoding";
  return std::unique_ptr<Kernel>();
}

Made table(const Node& node, std::string* why) {
  if (auto form = int8_table_form(node, why)) return std::unique_ptr<Kernel>(std::make_unique<TableKernel>(*form));
  return std::unique_ptr<Kernel>();
}

// Softmax / LayerNormalization on codes: the shared row code of runtime/int8_rowwise.cpp.
class RowwiseKernel final : public Kernel {
 public:
  explicit RowwiseKernel(Int8Rowwise form) : f_(std::move(form)) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    run_int8_rowwise(f_, *inputs[0], *outputs[0], exp_rows_);
    return Status::ok();
  }
  std::string impl_name() const override { return "reference:int8"; }

 private:
  Int8Rowwise f_;
  std::vector<std::vector<double>> exp_rows_;
};

Made rowwise(const Node& node, std::string* why) {
  if (auto form = int8_rowwise_form(node, why)) return std::unique_ptr<Kernel>(std::make_unique<RowwiseKernel>(std::move(*form)));
  return std::unique_ptr<Kernel>();
}

Made binary_or_table(const Node& node, std::string* why) {
  std::string as_binary;
  if (auto binary = int8_binary_form(node, &as_binary))
    return std::unique_ptr<Kernel>(std::make_unique<BinaryKernel>(std::move(*binary)));
  Made made = table(node, why);
  // Both forms declined: the user needs both reasons to see what would put it on codes.
  if (made.is_ok() && !*made && why) *why = fmt::format("{}; as two code tensors: {}", *why, as_binary);
  return made;
}

// The reference's integer kernel list, by the op table's Int8Form: the reference implements
// every form but pooling of codes; the other backends' kernels are tested against these.
struct FormEntry {
  Int8Form form;
  Made (*create)(const Node&, std::string*);
};

constexpr FormEntry kInt8Kernels[] = {
    {Int8Form::kLinear, linear},      {Int8Form::kAverage, average}, {Int8Form::kMoveCodes, move_codes},
    {Int8Form::kTable, table},        {Int8Form::kTableOrBinary, binary_or_table}, {Int8Form::kRowwise, rowwise},
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_reference_int8_kernel(const Node& node, std::string* why) {
  std::string reason = "no integer kernel for this op";
  for (const FormEntry& entry : kInt8Kernels) {
    if (entry.form != op_int8_form(node.kind)) continue;
    reason.clear();
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, entry.create(node, &reason));
    if (kernel) return kernel;
  }
  if (why) *why = reason;
  return std::unique_ptr<Kernel>();
}

std::vector<KernelListing> reference_int8_kernels() {
  std::vector<KernelListing> listing;
  for (int k = 0; k < kNumOpKinds; ++k)
    for (const FormEntry& entry : kInt8Kernels)
      if (entry.form == op_int8_form(static_cast<OpKind>(k))) listing.push_back({static_cast<OpKind>(k), kReferenceInt8});
  return listing;
}

}  // namespace qf
