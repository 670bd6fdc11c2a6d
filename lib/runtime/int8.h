// SPDX-License-Identifier: Apache-2.0
// The integer semantics of a quantized graph, decided once for both backends: which nodes run as
// integer arithmetic, and with which constants. The reference backend implements these formulas
// with naive loops, the oneDNN backend with int8 primitives; they agree bit for bit except where
// a primitive rounds inside (see tests/unit/test_int8.cpp).
//
// Conv / Gemm / MatMul with 8-bit activations, symmetric 8-bit (or 4-bit) weights and an int32
// bias on the grid s_in * s_w run as:
//
//   acc   = sum (q_x - z_x) * (q_w - z_w)  + q_b                 int32; padding contributes 0
//   v     = float(acc) * m[c]               m[c] = float(s_in * s_w[c] / s_out)
//   v    += r_scale * (float(q_r) - float(z_r))                 Conv's residual: r_scale = s_r / s_out
//   v     = clamp(v, act_min / s_out, act_max / s_out)          the fused Relu / Clip
//   q_out = saturate(round_half_even(v) + z_out)
//
// The zero point comes after the rounding, as in ONNX's QuantizeLinear and onnxruntime's QLinear
// kernels: added in float first (oneDNN's own order), v + z_out can land on a .5 that v was not
// on (v = 11.500005 with z_out 133 gives the float 144.5, which rounds to 144 where ONNX gives 145),
// and a transformer's Softmax magnifies such one-code differences downstream.
//
// z_w is 0 for constant weights. A MatMul of two activations (attention's Q·Kᵀ and P·V, batched
// over heads, numpy broadcasting over the batch dims) is the same formula with the second
// operand's codes as the weights, per-tensor, with its zero point z_w, and no bias.
//
// GlobalAveragePool with 8-bit codes in and out is the same formula with every weight one, no
// bias and no activation, over the n = H x W codes of each channel:
//
//   acc   = sum (q_x - z_x)                                     int32
//   q_out = saturate(round_half_even(float(acc) * m) + z_out)   m = float(s_in / (n * s_out))
//
// Everything else in a quantized graph runs in float between a dequantize (x = (q - z) * s) and
// a quantize (q = saturate(round_half_even(x / s) + z), both in float32); ops that only move values and share one
// encoding in and out may run on the codes directly, which gives the same result exactly. So may
// elementwise ops between 8-bit codes (activations, Add / Sub / Mul): each output code is what that
// float path gives for its element, computed without float tensors in between (a 256-entry table
// for one-input ops, the dequantize-op-quantize formula per element for two inputs).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/fused_activation.h"
#include "ir/graph.h"

namespace qf {

// Whether a tensor's codes are what runs (encoded with at most 8 bits), rather than float.
bool runs_as_codes(const Value& v);
// runs_as_codes with one encoding for the whole tensor (no per-channel axis); false for nullptr.
bool per_tensor_codes(const Value* v);

// LayerNormalization's Scale or B written out over one normalized row of `normalized`'s dims: a
// float constant of that size or a scalar (`fill` when absent); empty when it is neither.
std::vector<float> normalized_row_constant(const Value* v, const Shape& normalized, float fill);

struct Int8Linear {
  const Encoding* input = nullptr;
  const Encoding* weight = nullptr;
  const Encoding* output = nullptr;
  const Encoding* residual = nullptr;  // Conv's fourth input, when present
  std::vector<float> multiplier;       // m[c], one per output channel (one if per tensor)
  float residual_scale = 0;
  int32_t input_zero = 0, output_zero = 0, residual_zero = 0;
  int32_t weight_zero = 0;         // non-zero only for a MatMul's second activation
  bool runtime_weights = false;    // the weights are an activation's codes (MatMul of two activations)
  // The fused activation's bounds in output units (-inf / inf when unbounded).
  float act_min, act_max;
  bool relu = false;  // act is exactly max(v, 0)

  float multiplier_of(int64_t channel) const {
    return multiplier.size() == 1 ? multiplier[0] : multiplier[static_cast<size_t>(channel)];
  }
  // The formula's last steps for one accumulator (acc already includes the bias).
  int32_t requantize(int32_t acc, int64_t channel, const float* residual_code) const;
  // Its steps after the multiply (and the residual): the activation, the zero point, the grid
  // [lo, hi] (the output's qmin and qmax, which loops hoist), rounding half to even
  // (core/rounding.h's round_half_even_small: exact inside the grid, and it vectorizes). The
  // clamp coming first keeps a compiler from contracting the caller's multiply and the zero
  // point's add into an FMA.
  int32_t code_of(float v, float lo, float hi) const {
    v = relu ? std::max(v, 0.f) : std::min(std::max(v, act_min), act_max);
    const auto z = static_cast<float>(output_zero);
    v = std::min(std::max(v, lo - z), hi - z);
    return static_cast<int32_t>(round_half_even_small(v)) + output_zero;
  }
};

// The integer form of a Conv / Gemm / MatMul node, or nullopt with `why` (float fallback).
std::optional<Int8Linear> int8_linear_form(const Node& node, std::string* why);

// GlobalAveragePool as such a form (multiplier m, zero points, no activation), or nullopt with
// `why` (float fallback). Summing exact integers, it gives the same codes in any layout and
// summation order, which a float mean does not.
std::optional<Int8Linear> int8_average_form(const Node& node, std::string* why);

// ReduceMean the same way (a transformer's mean pool over tokens): each output's reduced elements
// summed as integers, then requantized with s_in / (count x s_out). `to_output` maps an input
// element's index to its output's: the output's strides, 0 along the reduced axes.
struct Int8Mean {
  Int8Linear f;
  Shape to_output;
};
std::optional<Int8Mean> int8_mean_form(const Node& node, std::string* why);

// A one-input elementwise op between 8-bit codes (an activation, or Add / Sub / Mul / Div / Pow with
// a constant scalar) as a table: output code = codes[input code as a byte]. The table is the float
// path's result for each of the 256 codes, computed once by the op's reference kernel.
struct CodeTable {
  std::array<uint8_t, 256> codes;
  size_t input;  // the node input holding the activation
};
std::optional<CodeTable> int8_table_form(const Node& node, std::string* why);

// Add / Sub / Mul / Div of two 8-bit tensors (activations, or an activation and a constant's
// codes) into 8-bit codes, numpy broadcasting: per element,
// out = quantize(dequantize(q_a) op dequantize(q_b)) in float32, as the float path computes.
struct Int8Binary {
  OpKind op;
  CodeGrid a, b, out;

  template <OpKind kOp>
  int32_t apply_as(int32_t qa, int32_t qb) const {
    const float x = a.dequantize(qa), y = b.dequantize(qb);
    return out.quantize(kOp == OpKind::kAdd   ? x + y
                        : kOp == OpKind::kSub ? x - y
                        : kOp == OpKind::kDiv ? x / y
                                              : x * y);
  }
  int32_t apply(int32_t qa, int32_t qb) const {
    switch (op) {
      case OpKind::kAdd: return apply_as<OpKind::kAdd>(qa, qb);
      case OpKind::kSub: return apply_as<OpKind::kSub>(qa, qb);
      case OpKind::kDiv: return apply_as<OpKind::kDiv>(qa, qb);
      default: return apply_as<OpKind::kMul>(qa, qb);
    }
  }
};
std::optional<Int8Binary> int8_binary_form(const Node& node, std::string* why);

// Softmax, LogSoftmax and LayerNormalization between 8-bit codes, one normalized row at a time,
// with the float path inside and no float tensor between kernels: each input code's value (the
// float path's dequantize, widened to double), the reference kernel's arithmetic on the row in
// the same order, one quantize per element. So its codes are the reference float path's, exactly;
// Softmax's exponentials come from a table per row maximum (at most 256 x 256 values), filled as
// rows need them.
struct Int8Rowwise {
  OpKind op;
  CodeGrid out;
  bool in_signed = false;
  int64_t outer = 0, len = 0, inner = 0;  // rows of `len` elements `inner` apart; outer x inner rows
  std::array<double, 256> value{};        // each input code's float value, indexed by its byte
  double epsilon = 0;                     // LayerNormalization
  std::vector<float> gamma, beta;         // LayerNormalization's Scale and B over one row
  std::vector<uint8_t> masked;            // a masked Softmax: 1 per masked element of the input
};
std::optional<Int8Rowwise> int8_rowwise_form(const Node& node, std::string* why);

// Runs the form from `in` to `out` (codes). `exp_rows` holds Softmax's exponentials by row
// maximum between runs (the caller keeps it; it starts empty).
void run_int8_rowwise(const Int8Rowwise& f, const Tensor& in, Tensor& out, std::vector<std::vector<double>>& exp_rows);

// Ops whose outputs are a selection or rearrangement of their input's values: with one encoding
// on their data inputs and outputs they run on the codes as they are.
bool moves_codes(const Node& node);

// float32 <-> codes, elementwise with the value's per-tensor encoding, in any layout:
// q = saturate(round_half_even(x / s) + z) and x = (q - z) * s in float32 (ONNX's
// QuantizeLinear / DequantizeLinear). The steps between float and integer kernels use these.
void quantize_into(const Tensor& x, const Encoding& e, Tensor& codes);
void dequantize_into(const Tensor& codes, const Encoding& e, Tensor& x);
// True when quantize_into writes the channels-last codes of a plain float tensor of `shape` in
// one pass: images of up to 4 channels, 8-bit codes. Other layout changes go through a copy.
bool quantizes_straight_to_channels_last(const Shape& shape, DType codes);

}  // namespace qf
