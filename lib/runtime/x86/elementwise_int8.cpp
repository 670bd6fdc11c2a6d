// SPDX-License-Identifier: Apache-2.0
// Elementwise ops on codes (runtime/int8.h): one-input ops through their 256-entry table, Add / Sub
// / Mul of two code tensors by the per-element formula. oneDNN 2.6 has neither (its eltwise
// primitive has no scales to move codes between two encodings, its binary primitive no zero
// points), so these are loops of ours. They take the producers' layouts as they come: elementwise
// work does not care.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/vector_clones.h"
#include "runtime/int8.h"
#include "runtime/x86/x86_kernels.h"

namespace qf::x86 {
namespace {

#define QF_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi,bmi2")))

// 64 table entries at once: VPERMI2B looks up 128 entries of two registers; bit 7 picks the half.
QF_VBMI inline __m512i look_up_64(__m512i index, __m512i t0, __m512i t1, __m512i t2, __m512i t3) {
  const __m512i low = _mm512_permutex2var_epi8(t0, index, t1);
  const __m512i high = _mm512_permutex2var_epi8(t2, index, t3);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high);
}

// out[i] = codes[in[i]].
QF_VBMI void look_up_vbmi(const uint8_t* in, int64_t n, const uint8_t* codes, uint8_t* out) {
  const __m512i t0 = _mm512_loadu_si512(codes), t1 = _mm512_loadu_si512(codes + 64);
  const __m512i t2 = _mm512_loadu_si512(codes + 128), t3 = _mm512_loadu_si512(codes + 192);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(out + i, look_up_64(_mm512_loadu_si512(in + i), t0, t1, t2, t3));
  if (i < n) {
    const __mmask64 tail = _bzhi_u64(~0ull, static_cast<unsigned>(n - i));
    _mm512_mask_storeu_epi8(out + i, tail, look_up_64(_mm512_maskz_loadu_epi8(tail, in + i), t0, t1, t2, t3));
  }
}

bool has_vbmi() {
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("bmi2");
  return vbmi;
}

class TableKernel final : public Kernel {
 public:
  TableKernel(const CodeTable& table, Layout layout) : table_(table), layout_(layout) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    const auto* in = static_cast<const uint8_t*>(static_cast<const void*>(inputs[table_.input]->bytes()));
    Tensor& y = *outputs[0];
    auto* out = static_cast<uint8_t*>(static_cast<void*>(y.bytes()));
    if (has_vbmi()) {
      look_up_vbmi(in, y.numel(), table_.codes.data(), out);
    } else {
      for (int64_t i = 0; i < y.numel(); ++i) out[i] = table_.codes[in[i]];
    }
    return Status::ok();
  }
  Layout input_layout(size_t i) const override { return i == table_.input ? layout_ : Layout::kPlain; }
  Layout output_layout(size_t) const override { return layout_; }
  std::string impl_name() const override { return has_vbmi() ? "qforge:int8_table:avx512_vbmi" : "qforge:int8_table"; }

 private:
  CodeTable table_;
  Layout layout_;
};

// How the second operand of a binary op lines up with the first (the full-shaped one).
enum class Pairing : uint8_t {
  kElementwise,  // the same shape: element i with element i
  kScalar,       // one value for all
  kPerChannel,   // [.., C, 1, 1]: one value per channel of the full operand
};

// One operand of a binary op, read in rows: row r starts at data + r * row_step; a `repeated`
// operand has one value per row (a scalar, or a channel's value across its pixels).
template <typename Q>
struct OperandRows {
  const Q* data;
  int64_t row_step;
  bool repeated;
};

template <OpKind kOp, bool kRepeatA, bool kRepeatB, typename Q>
inline __attribute__((always_inline)) void combine_rows(const Int8Binary& f, OperandRows<Q> a, OperandRows<Q> b,
                                                        int64_t rows, int64_t width, Q* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const Q* x = a.data + r * a.row_step;
    const Q* y = b.data + r * b.row_step;
    Q* o = out + r * width;
    for (int64_t i = 0; i < width; ++i)
      o[i] = static_cast<Q>(f.apply_as<kOp>(x[kRepeatA ? 0 : i], y[kRepeatB ? 0 : i]));
  }
}

template <OpKind kOp, typename Q>
inline __attribute__((always_inline)) void combine_op(const Int8Binary& f, OperandRows<Q> a, OperandRows<Q> b,
                                                      int64_t rows, int64_t width, Q* out) {
  // One loop per operator and broadcast, each of which vectorizes.
  if (a.repeated) return combine_rows<kOp, true, false>(f, a, b, rows, width, out);
  if (b.repeated) return combine_rows<kOp, false, true>(f, a, b, rows, width, out);
  combine_rows<kOp, false, false>(f, a, b, rows, width, out);
}

template <typename Q>
inline __attribute__((always_inline)) void combine_any(const Int8Binary& form, OperandRows<Q> a, OperandRows<Q> b,
                                                       int64_t rows, int64_t width, Q* out) {
  const Int8Binary f = form;  // a local: the byte stores to `out` could alias the caller's copy
  switch (f.op) {
    case OpKind::kAdd: return combine_op<OpKind::kAdd>(f, a, b, rows, width, out);
    case OpKind::kSub: return combine_op<OpKind::kSub>(f, a, b, rows, width, out);
    case OpKind::kDiv: return combine_op<OpKind::kDiv>(f, a, b, rows, width, out);
    default: return combine_op<OpKind::kMul>(f, a, b, rows, width, out);
  }
}

// out[r][i] = f(a[r][i], b[r][i]) for rows x width elements. One function per code type:
// multiversioned functions cannot be templates.
QF_VECTOR_CLONES void combine(const Int8Binary& f, OperandRows<uint8_t> a, OperandRows<uint8_t> b, int64_t rows,
                              int64_t width, uint8_t* out) {
  combine_any(f, a, b, rows, width, out);
}
QF_VECTOR_CLONES void combine(const Int8Binary& f, OperandRows<int8_t> a, OperandRows<int8_t> b, int64_t rows,
                              int64_t width, int8_t* out) {
  combine_any(f, a, b, rows, width, out);
}

class BinaryKernel final : public Kernel {
 public:
  // `full`: the input with the output's shape; `layout`: the layout it (and the output) run in.
  BinaryKernel(Int8Binary form, size_t full, Pairing pairing, Layout layout)
      : f_(std::move(form)), full_(full), pairing_(pairing), layout_(layout) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    Tensor& y = *outputs[0];
    if (y.dtype() == DType::kU8) return apply<uint8_t>(*inputs[full_], *inputs[1 - full_], y);
    return apply<int8_t>(*inputs[full_], *inputs[1 - full_], y);
  }
  Layout input_layout(size_t i) const override {
    return i == full_ || pairing_ == Pairing::kElementwise ? layout_ : Layout::kPlain;
  }
  Layout output_layout(size_t) const override { return layout_; }
  std::string impl_name() const override { return "qforge:int8_binary"; }

 private:
  template <typename Q>
  Status apply(const Tensor& full_input, const Tensor& other_input, Tensor& y) {
    if (pairing_ == Pairing::kPerChannel) {
      for (int64_t n = 0; n < y.dim(0); ++n) apply_to_image<Q>(full_input, other_input, y, n);
    } else {
      const OperandRows<Q> full{full_input.data<Q>(), 0, false};
      const OperandRows<Q> other{other_input.data<Q>(), 0, pairing_ == Pairing::kScalar};
      combine_in_order(full, other, 1, y.numel(), y.data<Q>());
    }
    return Status::ok();
  }

  // Per-channel pairing, image n against its channels' values (or the only ones). Plain: a row of
  // pixels per channel against one value. Channels-last: rows of pixels x channels against the
  // channels' values repeated as often, since rows of a few channels would leave the vector loop
  // mostly in its scalar tail.
  template <typename Q>
  void apply_to_image(const Tensor& full_input, const Tensor& other_input, Tensor& y, int64_t n) {
    const int64_t channels = y.dim(1), per_image = y.numel() / y.dim(0), pixels = per_image / channels;
    const Q* full = full_input.data<Q>() + n * per_image;
    const Q* other = other_input.data<Q>() + (other_input.numel() == channels ? 0 : n * channels);
    Q* out = y.data<Q>() + n * per_image;
    if (layout_ != Layout::kChannelsLast) {
      combine_in_order(OperandRows<Q>{full, pixels, false}, OperandRows<Q>{other, 1, true}, channels, pixels, out);
      return;
    }
    constexpr int64_t kRowBytes = 1024;
    const int64_t reps = std::clamp<int64_t>(kRowBytes / channels, 1, pixels), width = reps * channels;
    tiled_.resize(static_cast<size_t>(width));
    for (int64_t r = 0; r < reps; ++r) std::memcpy(tiled_.data() + r * channels, other, static_cast<size_t>(channels));
    const OperandRows<Q> tiled{reinterpret_cast<const Q*>(tiled_.data()), 0, false};
    const int64_t rows = pixels / reps, rest = (pixels % reps) * channels;
    combine_in_order(OperandRows<Q>{full, width, false}, tiled, rows, width, out);
    if (rest) combine_in_order(OperandRows<Q>{full + rows * width, 0, false}, tiled, 1, rest, out + rows * width);
  }

  // The formula takes the operands in the node's order.
  template <typename Q>
  void combine_in_order(OperandRows<Q> full, OperandRows<Q> other, int64_t rows, int64_t width, Q* out) const {
    if (full_ == 0) {
      combine(f_, full, other, rows, width, out);
    } else {
      combine(f_, other, full, rows, width, out);
    }
  }

  Int8Binary f_;
  size_t full_;
  Pairing pairing_;
  Layout layout_;
  std::vector<uint8_t> tiled_;  // the per-channel values, repeated along a row
};

// The pairing of `other` with a full operand of `shape`, if one of the three.
std::optional<Pairing> pairing_of(const Shape& other, const Shape& shape) {
  if (other == shape) return Pairing::kElementwise;
  if (shape_numel(other) == 1) return Pairing::kScalar;
  // [C, 1, 1] or [N or 1, C, 1, 1] against [N, C, spatial...].
  if (shape.size() < 3) return std::nullopt;
  Shape padded(shape.size() - std::min(shape.size(), other.size()), 1);
  padded.insert(padded.end(), other.begin(), other.end());
  if (padded.size() != shape.size() || padded[1] != shape[1] || (padded[0] != 1 && padded[0] != shape[0]))
    return std::nullopt;
  for (size_t d = 2; d < shape.size(); ++d)
    if (padded[d] != 1) return std::nullopt;
  return Pairing::kPerChannel;
}

}  // namespace

Created create_int8_table(const KernelRequest& ctx, const CodeTable& table) {
  const Layout layout = output_layout_for(ctx.out_shape(), ctx.incoming(table.input));
  return std::unique_ptr<Kernel>(std::make_unique<TableKernel>(table, layout));
}

Created create_int8_binary(const KernelRequest& ctx, const Int8Binary& form) {
  const Node& node = ctx.node;
  if (node.input(0)->encoding->is_signed != node.input(1)->encoding->is_signed ||
      node.input(0)->encoding->is_signed != node.outputs[0]->encoding->is_signed)
    return decline(ctx, "codes of mixed signedness");
  const Shape& out = ctx.out_shape();
  const size_t full = ctx.in_shape(0) == out ? 0 : 1;
  if (ctx.in_shape(full) != out) return decline(ctx, "neither input has the output's shape");
  const auto pairing = pairing_of(ctx.in_shape(1 - full), out);
  if (!pairing) return decline(ctx, "a broadcast other than elementwise, scalar or per channel");
  const Layout layout = output_layout_for(out, ctx.incoming(full));
  return std::unique_ptr<Kernel>(std::make_unique<BinaryKernel>(form, full, *pairing, layout));
}

}  // namespace qf::x86
