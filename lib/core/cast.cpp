// SPDX-License-Identifier: Apache-2.0
#include "core/cast.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace qf {
namespace {

// Tags for the dtypes whose storage type is not the value type.
struct Half {};  // float16, stored as its bit pattern
struct Bool {};  // bool, one byte, any nonzero byte is true

template <typename Tag>
struct Repr {
  using Stored = Tag;
  using Value = Tag;
};
template <>
struct Repr<Half> {
  using Stored = uint16_t;
  using Value = float;
};
template <>
struct Repr<Bool> {
  using Stored = uint8_t;
  using Value = bool;
};

// Float to integer truncates toward zero like numpy's astype. Out-of-range floats, which C++ leaves
// undefined, saturate to int64 first and then wrap like any integer narrowing; NaN becomes 0.
template <typename Dst>
Dst float_to_int(double v) {
  return static_cast<Dst>(float_to_int64(v));  // modular since C++20
}

template <typename Dst, typename Src>
Dst convert(Src v) {
  if constexpr (std::is_same_v<Dst, bool>) {
    return v != Src{0};  // NaN is nonzero, hence true, as in numpy
  } else if constexpr (std::is_floating_point_v<Dst>) {
    return static_cast<Dst>(v);
  } else if constexpr (std::is_floating_point_v<Src>) {
    return float_to_int<Dst>(static_cast<double>(v));
  } else {
    return static_cast<Dst>(v);
  }
}

template <typename Tag>
typename Repr<Tag>::Value load(const typename Repr<Tag>::Stored* p, int64_t i) {
  if constexpr (std::is_same_v<Tag, Half>) {
    return half_to_float(p[i]);
  } else if constexpr (std::is_same_v<Tag, Bool>) {
    return p[i] != 0;
  } else {
    return p[i];
  }
}

template <typename Tag, typename V>
void store(typename Repr<Tag>::Stored* p, int64_t i, V v) {
  const auto value = convert<typename Repr<Tag>::Value>(v);
  if constexpr (std::is_same_v<Tag, Half>) {
    p[i] = float_to_half(value);
  } else if constexpr (std::is_same_v<Tag, Bool>) {
    p[i] = value ? 1 : 0;
  } else {
    p[i] = value;
  }
}

template <typename F>
Status visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::kF32: return f(std::type_identity<float>{});
    case DType::kF16: return f(std::type_identity<Half>{});
    case DType::kF64: return f(std::type_identity<double>{});
    case DType::kS64: return f(std::type_identity<int64_t>{});
    case DType::kS32: return f(std::type_identity<int32_t>{});
    case DType::kS8: return f(std::type_identity<int8_t>{});
    case DType::kU8: return f(std::type_identity<uint8_t>{});
    case DType::kBool: return f(std::type_identity<Bool>{});
  }
  return internal_error("unknown dtype {}", static_cast<int>(t));
}

}  // namespace

Status cast_tensor(const Tensor& x, Tensor& y) {
  if (y.shape() != x.shape())
    return internal_error("cast of a {} tensor into a {} one", shape_to_string(x.shape()), shape_to_string(y.shape()));
  return visit_dtype(x.dtype(), [&](auto src_tag) {
    using Src = typename decltype(src_tag)::type;
    return visit_dtype(y.dtype(), [&](auto dst_tag) {
      using Dst = typename decltype(dst_tag)::type;
      const auto* in = reinterpret_cast<const typename Repr<Src>::Stored*>(x.bytes());
      auto* out = reinterpret_cast<typename Repr<Dst>::Stored*>(y.bytes());
      for (int64_t i = 0; i < x.numel(); ++i) store<Dst>(out, i, load<Src>(in, i));
      return Status::ok();
    });
  });
}

}  // namespace qf
