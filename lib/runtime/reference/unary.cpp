// SPDX-License-Identifier: Apache-2.0
// Reference kernels for the one-input activations (a table of scalar functions) and Clip.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

struct UnaryParams {
  float alpha;
  float beta;
  bool tanh_form;  // Gelu's approximate="tanh"
};
using ScalarFn = float (*)(float, const UnaryParams&);

// Comparisons are written so that NaN passes through, as numpy does.
float relu(float x, const UnaryParams&) { return x < 0.f ? 0.f : x; }
float leaky_relu(float x, const UnaryParams& p) { return x < 0.f ? p.alpha * x : x; }
float sigmoid(float x, const UnaryParams&) {
  // Split at 0 so that exp() never overflows into inf/inf.
  if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.f + e);
}
float hard_sigmoid(float x, const UnaryParams& p) { return std::clamp(p.alpha * x + p.beta, 0.f, 1.f); }
// HardSwish is HardSigmoid with alpha = 1/6, beta = 0.5, times x.
float hard_swish(float x, const UnaryParams&) { return x * std::clamp(x * (1.f / 6.f) + 0.5f, 0.f, 1.f); }
float tanh_fn(float x, const UnaryParams&) { return std::tanh(x); }
float erf_fn(float x, const UnaryParams&) { return std::erf(x); }
float exp_fn(float x, const UnaryParams&) { return std::exp(x); }
float sqrt_fn(float x, const UnaryParams&) { return std::sqrt(x); }
float neg(float x, const UnaryParams&) { return -x; }
float reciprocal(float x, const UnaryParams&) { return 1.f / x; }
// In double, so that the oracle is closer to the exact function than any float kernel it judges.
float gelu(float x, const UnaryParams& p) {
  const double v = x;
  if (p.tanh_form) {
    constexpr double kSqrt2OverPi = 0.79788456080286535588;
    return static_cast<float>(0.5 * v * (1.0 + std::tanh(kSqrt2OverPi * (v + 0.044715 * v * v * v))));
  }
  return static_cast<float>(0.5 * v * (1.0 + std::erf(v * 0.70710678118654752440)));
}

struct UnaryOp {
  OpKind kind;
  ScalarFn fn;
  float default_alpha;  // ONNX defaults of the "alpha"/"beta" attributes, where the op has them
  float default_beta;
};

constexpr UnaryOp kUnaryOps[] = {
    {OpKind::kRelu, relu, 0.f, 0.f},
    {OpKind::kLeakyRelu, leaky_relu, 0.01f, 0.f},
    {OpKind::kSigmoid, sigmoid, 0.f, 0.f},
    {OpKind::kHardSigmoid, hard_sigmoid, 0.2f, 0.5f},
    {OpKind::kHardSwish, hard_swish, 0.f, 0.f},
    {OpKind::kTanh, tanh_fn, 0.f, 0.f},
    {OpKind::kErf, erf_fn, 0.f, 0.f},
    {OpKind::kExp, exp_fn, 0.f, 0.f},
    {OpKind::kSqrt, sqrt_fn, 0.f, 0.f},
    {OpKind::kNeg, neg, 0.f, 0.f},
    {OpKind::kReciprocal, reciprocal, 0.f, 0.f},
    {OpKind::kGelu, gelu, 0.f, 0.f},
};

Status run_unary(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const UnaryOp* op = nullptr;
  for (const UnaryOp& u : kUnaryOps)
    if (u.kind == node.kind) op = &u;
  if (!op) return internal_error("{}: not a unary op", node.describe());
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (x.dtype() != DType::kF32)
    return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  if (y.dtype() != DType::kF32 || y.numel() != x.numel())
    return internal_error("{}: output is {} {}, input {} {}", node.describe(), dtype_name(y.dtype()),
                          shape_to_string(y.shape()), dtype_name(x.dtype()), shape_to_string(x.shape()));
  const UnaryParams params{node.attr_float("alpha", op->default_alpha),
                           node.attr_float("beta", op->default_beta),
                           node.attr_string("approximate", "none") == "tanh"};
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = op->fn(in[i], params);
  return Status::ok();
}

template <typename T>
Status clip_typed(const Node& node, const Tensor& x, const Tensor* lo_t, const Tensor* hi_t, Tensor& y) {
  for (const Tensor* bound : {lo_t, hi_t}) {
    if (bound && (bound->dtype() != x.dtype() || bound->numel() != 1))
      return bad_input("{}: min and max must be {} scalars", node.describe(), dtype_name(x.dtype()));
  }
  const T lo = lo_t ? lo_t->data<T>()[0] : std::numeric_limits<T>::lowest();
  const T hi = hi_t ? hi_t->data<T>()[0] : std::numeric_limits<T>::max();
  const T* in = x.data<T>();
  T* out = y.data<T>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    // max first, then min: when min > max every output is max, which is what ONNX specifies.
    T v = in[i] < lo ? lo : in[i];
    out[i] = v > hi ? hi : v;
  }
  return Status::ok();
}

// Neg of integers (shape arithmetic in exports), wrapping as two's complement does.
Status neg_integer(const Node& node, const Tensor& x, Tensor& y) {
  if (y.dtype() != x.dtype() || y.numel() != x.numel())
    return internal_error("{}: output does not match the input", node.describe());
  auto run = [&](auto zero) {
    using T = decltype(zero);
    using U = std::make_unsigned_t<T>;
    for (int64_t i = 0; i < x.numel(); ++i) y.data<T>()[i] = static_cast<T>(U{0} - static_cast<U>(x.data<T>()[i]));
  };
  switch (x.dtype()) {
    case DType::kS64: run(int64_t{0}); return Status::ok();
    case DType::kS32: run(int32_t{0}); return Status::ok();
    case DType::kS8: run(int8_t{0}); return Status::ok();
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  }
}

}  // namespace

Status ref_Relu(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_LeakyRelu(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Sigmoid(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_HardSigmoid(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_HardSwish(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Tanh(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Erf(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Exp(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Sqrt(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}

Status ref_Neg(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  if (!in.empty() && in[0] && in[0]->dtype() != DType::kF32) return neg_integer(node, *in[0], *out[0]);
  return run_unary(node, in, out);
}
Status ref_Reciprocal(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}
Status ref_Gelu(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_unary(node, in, out);
}

Status ref_Clip(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (y.dtype() != x.dtype() || y.numel() != x.numel())
    return internal_error("{}: output does not match the input", node.describe());
  const Tensor* lo = inputs.size() > 1 ? inputs[1] : nullptr;
  const Tensor* hi = inputs.size() > 2 ? inputs[2] : nullptr;
  switch (x.dtype()) {
    case DType::kF32: return clip_typed<float>(node, x, lo, hi, y);
    case DType::kS64: return clip_typed<int64_t>(node, x, lo, hi, y);
    case DType::kS32: return clip_typed<int32_t>(node, x, lo, hi, y);
    case DType::kS8: return clip_typed<int8_t>(node, x, lo, hi, y);
    case DType::kU8: return clip_typed<uint8_t>(node, x, lo, hi, y);
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  }
}

}  // namespace qf
