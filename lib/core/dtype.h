// SPDX-License-Identifier: Apache-2.0
// Element types qforge stores. ONNX types we cannot hold are refused at import.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qf {

enum class DType : uint8_t { kF32, kF16, kF64, kS64, kS32, kS8, kU8, kBool };

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);

// ONNX TensorProto::DataType numbers, so that lib/onnx is not the only place that can name them.
std::optional<DType> dtype_from_onnx(int onnx_type);
int dtype_to_onnx(DType t);

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kF32; }
template <> constexpr DType dtype_of<double>() { return DType::kF64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kS64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kS32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kS8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kU8; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
// A float value as int64, truncated toward zero like numpy's astype; NaN becomes 0 and values past
// int64's range saturate (a plain static_cast is undefined for both).
int64_t float_to_int64(double v);

}  // namespace qf
