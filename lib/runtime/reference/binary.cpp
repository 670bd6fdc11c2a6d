// SPDX-License-Identifier: Apache-2.0
// Reference kernels for the broadcasting two-input ops: Add, Sub, Mul, Div, Pow and PRelu.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv };

// Integer arithmetic wraps (two's complement) instead of being undefined on overflow.
template <typename T>
T add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename T>
T sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}
template <typename T>
T mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

// Float to integer by truncation toward zero; NaN becomes 0 and out-of-range values saturate, where
// C++ would leave them undefined.
template <typename T>
T truncate_to(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <typename T, typename E>
T pow_scalar(T base, E exponent) {
  if constexpr (std::is_same_v<T, float> && std::is_same_v<E, float>) {
    return std::pow(base, exponent);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
  } else if constexpr (std::is_integral_v<E>) {
    if (exponent < 0) return base == 1 ? 1 : base == -1 ? (exponent % 2 ? -1 : 1) : 0;
    T result = 1, b = base;
    for (auto e = static_cast<uint64_t>(exponent); e; e >>= 1) {
      if (e & 1) result = mul(result, b);
      b = mul(b, b);
    }
    return result;
  } else {
    return truncate_to<T>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
  }
}

// out[i] = f(a[ia], b[ib]) over the broadcast of a and b, which must be out's shape.
template <typename O, typename A, typename B, typename F>
Status broadcast_apply(const Node& node, const Tensor& a, const Tensor& b, Tensor& out, F&& f) {
  Shape expected;
  if (!broadcast_shape(a.shape(), b.shape(), &expected) || expected != out.shape())
    return internal_error("{}: inputs {} and {} do not broadcast to the output {}", node.describe(),
                          shape_to_string(a.shape()), shape_to_string(b.shape()),
                          shape_to_string(out.shape()));
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  O* po = out.data<O>();
  const Shape& shape = out.shape();
  for_each_index<2>(shape, {broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape)},
                    [&](int64_t o, const std::array<int64_t, 2>& in) { po[o] = f(pa[in[0]], pb[in[1]]); });
  return Status::ok();
}

template <typename T>
Status arith_typed(const Node& node, Arith op, const Tensor& a, const Tensor& b, Tensor& out) {
  switch (op) {
    case Arith::kAdd: return broadcast_apply<T, T, T>(node, a, b, out, add<T>);
    case Arith::kSub: return broadcast_apply<T, T, T>(node, a, b, out, sub<T>);
    case Arith::kMul: return broadcast_apply<T, T, T>(node, a, b, out, mul<T>);
    case Arith::kDiv: break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    return broadcast_apply<T, T, T>(node, a, b, out, [](T x, T y) { return x / y; });
  } else {
    // C++ integer division truncates toward zero, which is what ONNX specifies.
    bool by_zero = false;
    const Status status = broadcast_apply<T, T, T>(node, a, b, out, [&by_zero](T x, T y) -> T {
      if (y == 0) {
        by_zero = true;
        return 0;
      }
      if constexpr (std::is_signed_v<T>) {
        if (y == -1) return sub<T>(0, x);  // lowest / -1 overflows
      }
      return static_cast<T>(x / y);
    });
    if (!status.is_ok()) return status;
    if (by_zero) return bad_input("{}: integer division by zero", node.describe());
    return Status::ok();
  }
}

Status run_arith(const Node& node, Arith op, std::span<const Tensor* const> inputs,
                 std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& out = *outputs[0];
  if (a.dtype() != b.dtype() || out.dtype() != a.dtype())
    return bad_input("{}: dtypes {}, {} -> {} do not match", node.describe(), dtype_name(a.dtype()),
                     dtype_name(b.dtype()), dtype_name(out.dtype()));
  switch (a.dtype()) {
    case DType::kF32: return arith_typed<float>(node, op, a, b, out);
    case DType::kS64: return arith_typed<int64_t>(node, op, a, b, out);
    case DType::kS32: return arith_typed<int32_t>(node, op, a, b, out);
    case DType::kS8: return arith_typed<int8_t>(node, op, a, b, out);
    case DType::kU8: return arith_typed<uint8_t>(node, op, a, b, out);
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(a.dtype()));
  }
}

template <typename T>
Status pow_with_base(const Node& node, const Tensor& a, const Tensor& b, Tensor& out) {
  switch (b.dtype()) {
    case DType::kF32: return broadcast_apply<T, T, float>(node, a, b, out, pow_scalar<T, float>);
    case DType::kF64: return broadcast_apply<T, T, double>(node, a, b, out, pow_scalar<T, double>);
    case DType::kS64: return broadcast_apply<T, T, int64_t>(node, a, b, out, pow_scalar<T, int64_t>);
    case DType::kS32: return broadcast_apply<T, T, int32_t>(node, a, b, out, pow_scalar<T, int32_t>);
    default:
      return unsupported("{}: exponent dtype {} is not supported", node.describe(), dtype_name(b.dtype()));
  }
}

}  // namespace

Status ref_Add(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_arith(node, Arith::kAdd, in, out);
}
Status ref_Sub(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_arith(node, Arith::kSub, in, out);
}
Status ref_Mul(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_arith(node, Arith::kMul, in, out);
}
Status ref_Div(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_arith(node, Arith::kDiv, in, out);
}

Status ref_Pow(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& a = *inputs[0];
  Tensor& out = *outputs[0];
  if (out.dtype() != a.dtype())
    return internal_error("{}: output dtype differs from the base", node.describe());
  switch (a.dtype()) {
    case DType::kF32: return pow_with_base<float>(node, a, *inputs[1], out);
    case DType::kS64: return pow_with_base<int64_t>(node, a, *inputs[1], out);
    case DType::kS32: return pow_with_base<int32_t>(node, a, *inputs[1], out);
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(a.dtype()));
  }
}

Status ref_PRelu(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  const Tensor& slope = *inputs[1];
  if (x.dtype() != DType::kF32 || slope.dtype() != DType::kF32)
    return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  if (!broadcasts_to(slope.shape(), x.shape()))
    return bad_input("{}: slope {} does not broadcast to input {}", node.describe(),
                     shape_to_string(slope.shape()), shape_to_string(x.shape()));
  return broadcast_apply<float, float, float>(node, x, slope, *outputs[0],
                                              [](float v, float s) { return v < 0.f ? v * s : v; });
}

}  // namespace qf
