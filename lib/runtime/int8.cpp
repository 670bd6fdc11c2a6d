// SPDX-License-Identifier: Apache-2.0
#include "runtime/int8.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/vector_clones.h"
#include "runtime/float_twin.h"
#include "runtime/layout.h"
#include "ir/infer/spatial_util.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

bool same_grid(const Encoding& a, const Encoding& b) {
  return a.bitwidth == b.bitwidth && a.is_signed == b.is_signed && a.scale == b.scale && a.offset == b.offset;
}

std::nullopt_t decline(std::string* why, const char* reason) {
  if (why) *why = reason;
  return std::nullopt;
}

}  // namespace

bool runs_as_codes(const Value& v) { return v.encoding && v.encoding->bitwidth <= 8; }

bool per_tensor_codes(const Value* v) { return v && runs_as_codes(*v) && !v->encoding->per_channel(); }

int32_t Int8Linear::requantize(int32_t acc, int64_t channel, const float* residual_code) const {
  float v = static_cast<float>(acc) * multiplier_of(channel);
  if (residual_code) v += residual_scale * (*residual_code - static_cast<float>(residual_zero));
  return code_of(v, static_cast<float>(output->qmin()), static_cast<float>(output->qmax()));
}

// The node's fused activation as bounds in output units.
void set_fused_activation(const Node& node, Int8Linear& f) {
  const double s_out = f.output->scale[0];
  const auto act = fused_activation(node).value_or(FusedActivation{});
  f.relu = act.is_relu();
  f.act_min = std::isinf(act.min) ? -std::numeric_limits<float>::infinity() : static_cast<float>(act.min / s_out);
  f.act_max = std::isinf(act.max) ? std::numeric_limits<float>::infinity() : static_cast<float>(act.max / s_out);
}

// MatMul of two activations: [..., M, K] x [..., K, N], the second operand's codes as weights.
std::optional<Int8Linear> int8_activation_matmul_form(const Node& node, std::string* why) {
  const Value* a = node.input(0);
  const Value* b = node.input(1);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!per_tensor_codes(a)) return decline(why, "the input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(b)) return decline(why, "the second input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  if (a->type.shape.size() < 2 || b->type.shape.size() < 2) return decline(why, "a 1-D operand");
  if (node.input(2)) return decline(why, "a bias on the product of two activations");
  Int8Linear f;
  f.input = &*a->encoding;
  f.weight = &*b->encoding;
  f.output = &*y->encoding;
  f.runtime_weights = true;
  f.input_zero = static_cast<int32_t>(-f.input->offset[0]);
  f.weight_zero = static_cast<int32_t>(-f.weight->offset[0]);
  f.output_zero = static_cast<int32_t>(-f.output->offset[0]);
  f.multiplier = {static_cast<float>(static_cast<double>(f.input->scale[0]) * f.weight->scale[0] / f.output->scale[0])};
  set_fused_activation(node, f);
  return f;
}

std::optional<Int8Linear> int8_linear_form(const Node& node, std::string* why) {
  if (op_int8_form(node.kind) != Int8Form::kLinear) return decline(why, "not a Conv, Gemm or MatMul");
  const Value* x = node.input(0);
  const Value* w = node.input(1);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!per_tensor_codes(x)) return decline(why, "the input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  if (node.kind == OpKind::kMatMul && w && !w->is_constant()) return int8_activation_matmul_form(node, why);
  if (!w || !w->is_constant() || !runs_as_codes(*w) || w->constant->dtype() != DType::kS8)
    return decline(why, "the weights are not constant 8-bit codes");
  const Encoding& we = *w->encoding;
  if (!we.is_signed || std::any_of(we.offset.begin(), we.offset.end(), [](int64_t o) { return o != 0; }))
    return decline(why, "asymmetric weights (integer kernels take no weight zero point)");
  if (we.per_channel() && we.axis != weight_channel_axis(node))
    return decline(why, "per-channel weights along an axis other than the output channels");
  if (node.kind == OpKind::kGemm) {
    if (node.attr_int("transA", 0) != 0 || node.attr_float("alpha", 1.f) != 1.f ||
        (node.input(2) && node.attr_float("beta", 1.f) != 1.f))
      return decline(why, "Gemm with transA, alpha or beta");
  }
  if (node.kind == OpKind::kGemm && x->type.shape.size() != 2)
    return decline(why, "Gemm on an input of other than 2 dims");
  // MatMul's token-wise form: [..., M, K] x [K, N] is [rows, K] x [K, N] over all leading dims.
  if (node.kind == OpKind::kMatMul && (x->type.shape.size() < 2 || w->type.shape.size() != 2))
    return decline(why, "MatMul with weights of other than 2 dims or a 1-D input");

  Int8Linear f;
  f.input = &*x->encoding;
  f.weight = &we;
  f.output = &*y->encoding;
  f.input_zero = static_cast<int32_t>(-f.input->offset[0]);
  f.output_zero = static_cast<int32_t>(-f.output->offset[0]);
  const double s_in = f.input->scale[0], s_out = f.output->scale[0];
  for (float s_w : we.scale) f.multiplier.push_back(static_cast<float>(s_in * s_w / s_out));

  if (const Value* b = node.input(2)) {
    if (!b->is_constant() || !b->encoding || b->encoding->bitwidth != 32 || b->constant->dtype() != DType::kS32)
      return decline(why, "the bias is not int32 codes");
    // The bias must be on the accumulator's grid: its scale is s_in * s_w[c].
    for (size_t c = 0; c < b->encoding->scale.size(); ++c) {
      const float expected = static_cast<float>(s_in * static_cast<double>(we.scale[we.per_channel() ? c : 0]));
      if (b->encoding->scale[c] != expected || b->encoding->offset[c] != 0)
        return decline(why, "the bias is not on the grid input scale x weight scale");
    }
  }
  if (const Value* r = node.kind == OpKind::kConv ? node.input(3) : nullptr) {
    if (!per_tensor_codes(r) || r->encoding->is_signed != f.output->is_signed)
      return decline(why, "the residual is not 8-bit codes of the output's signedness");
    f.residual = &*r->encoding;
    f.residual_scale = static_cast<float>(static_cast<double>(f.residual->scale[0]) / s_out);
    f.residual_zero = static_cast<int32_t>(-f.residual->offset[0]);
  }
  set_fused_activation(node, f);
  return f;
}

namespace {

// The average form's encodings and multiplier for `count` summed codes; nullopt when the sum could
// leave float's exact integers (requantize() takes it to float).
std::optional<Int8Linear> average_of(const Value* x, const Value* y, int64_t count, std::string* why) {
  constexpr int64_t kLargestCodeDistance = 255;
  if (count < 1 || count * kLargestCodeDistance > (int64_t{1} << 24))
    return decline(why, "a window too large for an exact sum in float");
  Int8Linear f;
  f.input = &*x->encoding;
  f.output = &*y->encoding;
  f.input_zero = static_cast<int32_t>(-f.input->offset[0]);
  f.output_zero = static_cast<int32_t>(-f.output->offset[0]);
  f.multiplier = {static_cast<float>(static_cast<double>(f.input->scale[0]) /
                                     (static_cast<double>(count) * f.output->scale[0]))};
  f.act_min = -std::numeric_limits<float>::infinity();
  f.act_max = std::numeric_limits<float>::infinity();
  return f;
}

}  // namespace

std::optional<Int8Mean> int8_mean_form(const Node& node, std::string* why) {
  if (node.kind != OpKind::kReduceMean) return decline(why, "not a ReduceMean");
  const Value* x = node.input(0);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!per_tensor_codes(x) || x->is_constant()) return decline(why, "the input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  if (!x->type.is_static()) return decline(why, "an unknown shape");
  const Shape& shape = x->type.shape;
  const auto rank = static_cast<int64_t>(shape.size());
  std::optional<std::vector<int64_t>> axes;
  if (const Value* a = node.input(1)) {
    if (!a->is_constant()) return decline(why, "axes that are not constant");
    axes = a->constant->to_int_vector();
  }
  auto reduced = reduced_axes(node, rank, axes);
  if (!reduced.is_ok() || !*reduced) return decline(why, "no axis reduced");
  // The output's strides as if reduced axes were kept as 1 (keepdims only changes the shape).
  Int8Mean m;
  m.to_output.assign(shape.size(), 0);
  int64_t stride = 1, count = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if ((**reduced)[d]) {
      count *= shape[d];
      continue;
    }
    m.to_output[d] = stride;
    stride *= shape[d];
  }
  auto f = average_of(x, y, count, why);
  if (!f) return std::nullopt;
  m.f = std::move(*f);
  return m;
}

std::optional<Int8Linear> int8_average_form(const Node& node, std::string* why) {
  if (node.kind != OpKind::kGlobalAveragePool) return decline(why, "not a GlobalAveragePool");
  const Value* x = node.input(0);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!per_tensor_codes(x)) return decline(why, "the input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  const Shape& shape = x->type.shape;
  if (shape.size() < 3) return decline(why, "an input without spatial dims");
  int64_t window = 1;
  for (size_t i = 2; i < shape.size(); ++i) window *= shape[i];
  return average_of(x, y, window, why);
}

namespace {

// The 256 codes of an 8-bit encoding, indexed by their byte, as the float path's dequantize
// step gives them.
Tensor dequantized_codes(const Encoding& e) {
  const CodeGrid grid(e);
  Tensor x(DType::kF32, {256});
  for (int i = 0; i < 256; ++i)
    x.data<float>()[i] = grid.dequantize(e.is_signed ? static_cast<int8_t>(i) : static_cast<uint8_t>(i));
  return x;
}

}  // namespace

std::optional<CodeTable> int8_table_form(const Node& node, std::string* why) {
  const Int8Form form = op_int8_form(node.kind);
  if (form != Int8Form::kTable && form != Int8Form::kTableOrBinary) return decline(why, "no integer kernel for this op");
  // Arithmetic (Add, Sub, Mul, Div) has its activation in either input, everything else in input 0.
  const bool unary = op_input_role(node.kind, 1) != InputRole::kData;
  if (node.outputs.size() != 1 || !per_tensor_codes(node.outputs[0]))
    return decline(why, "the output has no 8-bit per-tensor encoding");
  // The activation: input 0 of an activation; the one non-constant input of arithmetic.
  size_t data = 0;
  if (!unary && node.input(0) && node.input(0)->is_constant()) data = 1;
  const Value* x = node.input(data);
  if (!x || x->is_constant() || !per_tensor_codes(x)) return decline(why, "the input has no 8-bit per-tensor encoding");
  std::vector<Tensor> params(node.inputs.size());
  std::vector<const Tensor*> inputs(node.inputs.size(), nullptr);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* v = node.inputs[i];
    if (i == data || !v) continue;
    // Clip's bounds are scalars by definition; arithmetic and Pow need theirs to be.
    if (!v->is_constant() || (node.kind != OpKind::kClip && v->constant->numel() != 1))
      return decline(why, "a second input that is not a constant scalar (or not 8-bit codes, for Add / Sub / Mul)");
    auto value = float_payload(*v);
    if (!value.is_ok()) return decline(why, "a constant that does not dequantize");
    params[i] = std::move(*value);
    inputs[i] = &params[i];
  }
  const Tensor codes = dequantized_codes(*x->encoding);
  inputs[data] = &codes;
  Tensor results(DType::kF32, {256});
  const std::array<Tensor*, 1> outputs{&results};
  if (!reference_kernel(node.kind)(node, inputs, outputs).is_ok()) return decline(why, "the reference kernel declined");
  const CodeGrid out(*node.outputs[0]->encoding);
  CodeTable table{{}, data};
  for (size_t i = 0; i < 256; ++i) table.codes[i] = static_cast<uint8_t>(out.quantize(results.data<float>()[i]));
  return table;
}

std::optional<Int8Binary> int8_binary_form(const Node& node, std::string* why) {
  if (op_int8_form(node.kind) != Int8Form::kTableOrBinary) return decline(why, "not an Add, Sub, Mul or Div");
  const Value* a = node.input(0);
  const Value* b = node.input(1);
  const Value* y = node.outputs.size() == 1 ? node.outputs[0] : nullptr;
  // A constant operand holds its codes too (a position embedding); a scalar one is the table's.
  const auto scalar = [](const Value* v) { return v->is_constant() && v->constant->numel() == 1; };
  if (!a || !b || (a->is_constant() && b->is_constant()) || !per_tensor_codes(a) || !per_tensor_codes(b) ||
      scalar(a) || scalar(b))
    return decline(why, "the inputs are not two 8-bit per-tensor tensors, one of them an activation");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  return Int8Binary{node.kind, CodeGrid(*a->encoding), CodeGrid(*b->encoding), CodeGrid(*y->encoding)};
}

bool moves_codes(const Node& node) {
  if (op_int8_form(node.kind) != Int8Form::kMoveCodes) return false;
  const Encoding* grid = nullptr;
  auto fits = [&](const Value* v) {
    if (!per_tensor_codes(v)) return false;
    if (!grid) grid = &*v->encoding;
    return same_grid(*grid, *v->encoding);
  };
  for (size_t i = 0; i < node.inputs.size(); ++i)
    if (node.inputs[i] && op_input_role(node.kind, i) == InputRole::kData && !fits(node.inputs[i])) return false;
  for (const Value* out : node.outputs)
    if (out && !fits(out)) return false;
  return grid != nullptr;
}

namespace {

template <typename Q>
inline __attribute__((always_inline)) void quantize_loop(const float* x, int64_t n, const Encoding& e, Q* out) {
  const CodeGrid grid(e);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Q>(grid.quantize(x[i]));
}

template <typename Q>
inline __attribute__((always_inline)) void dequantize_loop(const Q* q, int64_t n, const Encoding& e, float* out) {
  const CodeGrid grid(e);
  for (int64_t i = 0; i < n; ++i) out[i] = grid.dequantize(static_cast<int32_t>(q[i]));
}

// Pixels [begin, end) of one image, from plain float [C, S] to channels-last codes [S, C]. With
// the channel count known at compile time the pixel loop vectorizes: a 3x224x224 image in 22 us
// (15 us quantized in place); with a run-time count it took 300 us.
template <int kChannels, typename Q>
inline __attribute__((always_inline)) void quantize_to_channels_last_loop(const float* x, int64_t pixels,
                                                                          int64_t begin, int64_t end,
                                                                          const Encoding& e, Q* out) {
  const CodeGrid grid(e);
  for (int64_t p = begin; p < end; ++p)
    for (int c = 0; c < kChannels; ++c) out[p * kChannels + c] = static_cast<Q>(grid.quantize(x[c * pixels + p]));
}

constexpr int64_t kWidestImageQuantizedStraight = 4;

// Images of 1 to kWidestImageQuantizedStraight channels.
template <typename Q>
inline __attribute__((always_inline)) void quantize_to_channels_last_of(const float* x, int64_t channels,
                                                                        int64_t pixels, int64_t begin, int64_t end,
                                                                        const Encoding& e, Q* out) {
  switch (channels) {
    case 1: return quantize_to_channels_last_loop<1>(x, pixels, begin, end, e, out);
    case 2: return quantize_to_channels_last_loop<2>(x, pixels, begin, end, e, out);
    case 3: return quantize_to_channels_last_loop<3>(x, pixels, begin, end, e, out);
    default: return quantize_to_channels_last_loop<4>(x, pixels, begin, end, e, out);
  }
}

// One per code type: multiversioned functions cannot be templates (core/vector_clones.h).
QF_VECTOR_CLONES void quantize_to_channels_last(const float* x, int64_t channels, int64_t pixels, int64_t begin,
                                                int64_t end, const Encoding& e, uint8_t* out) {
  quantize_to_channels_last_of(x, channels, pixels, begin, end, e, out);
}
QF_VECTOR_CLONES void quantize_to_channels_last(const float* x, int64_t channels, int64_t pixels, int64_t begin,
                                                int64_t end, const Encoding& e, int8_t* out) {
  quantize_to_channels_last_of(x, channels, pixels, begin, end, e, out);
}
QF_VECTOR_CLONES void quantize_codes(const float* x, int64_t n, const Encoding& e, uint8_t* out) {
  quantize_loop(x, n, e, out);
}
QF_VECTOR_CLONES void quantize_codes(const float* x, int64_t n, const Encoding& e, int8_t* out) {
  quantize_loop(x, n, e, out);
}
void quantize_codes(const float* x, int64_t n, const Encoding& e, int32_t* out) { quantize_loop(x, n, e, out); }
QF_VECTOR_CLONES void dequantize_codes(const uint8_t* q, int64_t n, const Encoding& e, float* out) {
  dequantize_loop(q, n, e, out);
}
QF_VECTOR_CLONES void dequantize_codes(const int8_t* q, int64_t n, const Encoding& e, float* out) {
  dequantize_loop(q, n, e, out);
}

// Elementwise work over [0, n) in blocks shared out over the OpenMP threads (oneDNN's own),
// when there are enough elements to pay for waking them. Each element's result is the same
// whoever computes it.
template <typename Body>
void in_blocks(int64_t n, Body body) {
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= (int64_t{1} << 15))
  for (int64_t b = 0; b < blocks; ++b) body(b * kBlock, std::min(n, (b + 1) * kBlock) - b * kBlock);
}

}  // namespace

bool quantizes_straight_to_channels_last(const Shape& shape, DType codes) {
  return shape.size() >= 3 && shape[1] <= kWidestImageQuantizedStraight && (codes == DType::kU8 || codes == DType::kS8);
}

// Plain float to channels-last 8-bit codes, image by image, in blocks of pixels.
template <typename Q>
void quantize_to_channels_last(const Tensor& x, const Encoding& e, Q* out) {
  const int64_t images = x.dim(0), channels = x.dim(1);
  const int64_t pixels = x.numel() / std::max<int64_t>(1, images * channels);
  for (int64_t b = 0; b < images; ++b) {
    const float* image = x.data<float>() + b * channels * pixels;
    Q* codes = out + b * channels * pixels;
    in_blocks(channels * pixels, [&](int64_t at, int64_t len) {
      // Blocks of elements, cut at pixel boundaries.
      const int64_t begin = (at + channels - 1) / channels, end = std::min(pixels, (at + len + channels - 1) / channels);
      quantize_to_channels_last(image, channels, pixels, begin, end, e, codes);
    });
  }
}

// Activations are quantized as ONNX QuantizeLinear does, in float32: q = saturate(round(x / s) + z).
void quantize_into(const Tensor& x, const Encoding& e, Tensor& codes) {
  const float* src = x.data<float>();
  const int64_t n = x.numel();
  if (x.layout() != codes.layout() && x.rank() >= 3) {
    // A graph input quantized straight into the channels-last codes its convs read (executor.cpp).
    if (x.layout() == Layout::kPlain && quantizes_straight_to_channels_last(x.shape(), codes.dtype())) {
      if (codes.dtype() == DType::kU8) return quantize_to_channels_last(x, e, codes.data<uint8_t>());
      return quantize_to_channels_last(x, e, codes.data<int8_t>());
    }
    Tensor moved(x.dtype(), x.shape(), codes.layout());
    convert_layout(x, moved);
    return quantize_into(moved, e, codes);
  }
  switch (codes.dtype()) {
    case DType::kU8:
      in_blocks(n, [&](int64_t at, int64_t len) { quantize_codes(src + at, len, e, codes.data<uint8_t>() + at); });
      break;
    case DType::kS8:
      in_blocks(n, [&](int64_t at, int64_t len) { quantize_codes(src + at, len, e, codes.data<int8_t>() + at); });
      break;
    case DType::kS32:
      if (e.bitwidth <= 16) {
        quantize_codes(src, n, e, codes.data<int32_t>());
      } else {
        for (int64_t i = 0; i < n; ++i) codes.data<int32_t>()[i] = static_cast<int32_t>(quantize_value(src[i], e));
      }
      break;
    default:
      for (int64_t i = 0; i < n; ++i) codes.data<int64_t>()[i] = quantize_value(src[i], e);
      break;
  }
}

void dequantize_into(const Tensor& codes, const Encoding& e, Tensor& x) {
  float* dst = x.data<float>();
  const int64_t n = codes.numel();
  switch (codes.dtype()) {
    case DType::kU8:
      in_blocks(n, [&](int64_t at, int64_t len) { dequantize_codes(codes.data<uint8_t>() + at, len, e, dst + at); });
      break;
    case DType::kS8:
      in_blocks(n, [&](int64_t at, int64_t len) { dequantize_codes(codes.data<int8_t>() + at, len, e, dst + at); });
      break;
    case DType::kS32:
      for (int64_t i = 0; i < n; ++i) dst[i] = dequantize_value(codes.data<int32_t>()[i], e);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) dst[i] = dequantize_value(codes.data<int64_t>()[i], e);
      break;
  }
}

}  // namespace qf
