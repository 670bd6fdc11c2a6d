// SPDX-License-Identifier: Apache-2.0
#include "core/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace qf {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
  int onnx;  // TensorProto::DataType
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kF32, "float32", 4, 1},  {DType::kU8, "uint8", 1, 2},  {DType::kS8, "int8", 1, 3},
    {DType::kS32, "int32", 4, 6},    {DType::kS64, "int64", 8, 7}, {DType::kBool, "bool", 1, 9},
    {DType::kF16, "float16", 2, 10}, {DType::kF64, "float64", 8, 11},
};

const DTypeInfo& info(DType t) {
  for (const auto& i : kDTypes)
    if (i.type == t) return i;
  return kDTypes[0];
}

}  // namespace

size_t dtype_size(DType t) { return info(t).size; }
std::string_view dtype_name(DType t) { return info(t).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kDTypes)
    if (i.name == name) return i.type;
  return std::nullopt;
}

std::optional<DType> dtype_from_onnx(int onnx_type) {
  for (const auto& i : kDTypes)
    if (i.onnx == onnx_type) return i.type;
  return std::nullopt;
}

int dtype_to_onnx(DType t) { return info(t).onnx; }

int64_t float_to_int64(double v) {
  if (std::isnan(v)) return 0;
  constexpr double kLimit = 9223372036854775808.0;  // 2^63, exact in double
  if (v >= kLimit) return std::numeric_limits<int64_t>::max();
  if (v < -kLimit) return std::numeric_limits<int64_t>::lowest();
  return static_cast<int64_t>(v);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ffu;
  float magnitude;
  if (exp == 0) {
    magnitude = std::ldexp(static_cast<float>(mant), -24);  // subnormal
  } else if (exp == 31) {
    magnitude = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t float_to_half(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00u;
  if (a >= 65520.0f) return sign | 0x7c00u;  // rounds to infinity
  if (a < std::ldexp(1.0f, -14)) {           // subnormal half: units of 2^-24, round half to even
    return sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(a, 24)));
  }
  int e;
  const float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  auto mant = static_cast<uint32_t>(std::nearbyint(std::ldexp(m, 11)));  // 11 bits incl. implicit
  if (mant == 2048) {
    mant = 1024;
    ++e;
  }
  const uint32_t half_exp = static_cast<uint32_t>(e - 1 + 15);
  if (half_exp >= 31) return sign | 0x7c00u;
  return sign | static_cast<uint16_t>((half_exp << 10) | (mant & 0x3ffu));
}

}  // namespace qf
