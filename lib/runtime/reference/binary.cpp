// SPDX-License-Identifier: Apache-2.0
// Reference kernels for the broadcasting ops: Add, Sub, Mul, Div, Pow, PRelu, the comparisons
// (Equal, Less, Greater), And, Not and Where.
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

enum class Compare { kEqual, kLess, kGreater };

template <typename T>
Status compare_typed(const Node& node, Compare op, const Tensor& a, const Tensor& b, Tensor& out) {
  switch (op) {
    case Compare::kEqual: return broadcast_apply<bool, T, T>(node, a, b, out, [](T x, T y) { return x == y; });
    case Compare::kLess: return broadcast_apply<bool, T, T>(node, a, b, out, [](T x, T y) { return x < y; });
    case Compare::kGreater: return broadcast_apply<bool, T, T>(node, a, b, out, [](T x, T y) { return x > y; });
  }
  return internal_error("{}: unknown comparison", node.describe());
}

Status run_compare(const Node& node, Compare op, std::span<const Tensor* const> inputs,
                   std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor& out = *outputs[0];
  if (a.dtype() != b.dtype() || out.dtype() != DType::kBool)
    return bad_input("{}: dtypes {}, {} -> {} do not match", node.describe(), dtype_name(a.dtype()),
                     dtype_name(b.dtype()), dtype_name(out.dtype()));
  switch (a.dtype()) {
    case DType::kF32: return compare_typed<float>(node, op, a, b, out);
    case DType::kF64: return compare_typed<double>(node, op, a, b, out);
    case DType::kS64: return compare_typed<int64_t>(node, op, a, b, out);
    case DType::kS32: return compare_typed<int32_t>(node, op, a, b, out);
    case DType::kS8: return compare_typed<int8_t>(node, op, a, b, out);
    case DType::kU8: return compare_typed<uint8_t>(node, op, a, b, out);
    case DType::kBool:
      if (op == Compare::kEqual) return compare_typed<bool>(node, op, a, b, out);
      break;
    default: break;
  }
  return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(a.dtype()));
}

// Where: out = cond ? x : y over the broadcast of all three; moves bytes, so any dtype.
template <typename T>
void where_typed(const Tensor& cond, const Tensor& x, const Tensor& y, Tensor& out) {
  const Shape& shape = out.shape();
  const bool* c = cond.data<bool>();
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  T* po = out.data<T>();
  for_each_index<3>(shape,
                    {broadcast_strides(cond.shape(), shape), broadcast_strides(x.shape(), shape),
                     broadcast_strides(y.shape(), shape)},
                    [&](int64_t o, const std::array<int64_t, 3>& in) { po[o] = c[in[0]] ? px[in[1]] : py[in[2]]; });
}

}  // namespace

Status ref_Equal(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_compare(node, Compare::kEqual, in, out);
}
Status ref_Less(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_compare(node, Compare::kLess, in, out);
}
Status ref_Greater(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_compare(node, Compare::kGreater, in, out);
}

Status ref_And(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  if (inputs[0]->dtype() != DType::kBool || inputs[1]->dtype() != DType::kBool)
    return bad_input("{}: inputs must be bool", node.describe());
  return broadcast_apply<bool, bool, bool>(node, *inputs[0], *inputs[1], *outputs[0],
                                           [](bool x, bool y) { return x && y; });
}

Status ref_Not(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.empty() || !inputs[0] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  if (x.dtype() != DType::kBool || y.dtype() != DType::kBool || y.numel() != x.numel())
    return bad_input("{}: the input and output must be bool of one shape", node.describe());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<bool>()[i] = !x.data<bool>()[i];
  return Status::ok();
}

Status ref_Where(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& cond = *inputs[0];
  const Tensor& x = *inputs[1];
  const Tensor& y = *inputs[2];
  Tensor& out = *outputs[0];
  if (cond.dtype() != DType::kBool) return bad_input("{}: the condition must be bool", node.describe());
  if (x.dtype() != y.dtype() || out.dtype() != x.dtype())
    return bad_input("{}: X, Y and the output differ in dtype", node.describe());
  Shape xy, expected;
  if (!broadcast_shape(x.shape(), y.shape(), &xy) || !broadcast_shape(cond.shape(), xy, &expected) ||
      expected != out.shape())
    return internal_error("{}: inputs do not broadcast to the output {}", node.describe(),
                          shape_to_string(out.shape()));
  switch (dtype_size(x.dtype())) {
    case 1: where_typed<uint8_t>(cond, x, y, out); break;
    case 2: where_typed<uint16_t>(cond, x, y, out); break;
    case 4: where_typed<uint32_t>(cond, x, y, out); break;
    case 8: where_typed<uint64_t>(cond, x, y, out); break;
    default: return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(x.dtype()));
  }
  return Status::ok();
}

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
