// SPDX-License-Identifier: Apache-2.0
#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace qf {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool broadcasts_to(const Shape& shape, const Shape& out_shape) {
  if (shape.size() > out_shape.size()) return false;
  const size_t lead = out_shape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 && shape[i] != out_shape[lead + i]) return false;
  return true;
}

std::optional<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMaxTensorElements / d)) return std::nullopt;
    n *= d;
  }
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype, Shape shape, Layout layout)
    : dtype_(dtype), shape_(std::move(shape)), numel_(shape_numel(shape_)), layout_(layout) {
  // Always allocate at least one aligned line so that data() is never null, even for 0 elements.
  size_t bytes = nbytes();
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  buffer_ = std::shared_ptr<std::byte[]>(static_cast<std::byte*>(p), [](std::byte* b) { std::free(b); });
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_, layout_);
  if (nbytes()) std::memcpy(t.bytes(), bytes(), nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.numel_ = shape_numel(t.shape_);
  return t;
}

double Tensor::element_as_double(int64_t i) const {
  switch (dtype_) {
    case DType::kF32: return data<float>()[i];
    case DType::kF16: return half_to_float(data<uint16_t>()[i]);
    case DType::kF64: return data<double>()[i];
    case DType::kS64: return static_cast<double>(data<int64_t>()[i]);
    case DType::kS32: return data<int32_t>()[i];
    case DType::kS8: return data<int8_t>()[i];
    case DType::kU8: return data<uint8_t>()[i];
    case DType::kBool: return data<uint8_t>()[i] ? 1.0 : 0.0;
  }
  return 0;
}

int64_t Tensor::element_as_int(int64_t i) const {
  switch (dtype_) {
    case DType::kS64: return data<int64_t>()[i];
    case DType::kS32: return data<int32_t>()[i];
    case DType::kS8: return data<int8_t>()[i];
    case DType::kU8: return data<uint8_t>()[i];
    case DType::kBool: return data<uint8_t>()[i] ? 1 : 0;
    default: return float_to_int64(element_as_double(i));
  }
}

std::vector<int64_t> Tensor::to_int_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[static_cast<size_t>(i)] = element_as_int(i);
  return v;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[static_cast<size_t>(i)] = static_cast<float>(element_as_double(i));
  return v;
}

}  // namespace qf
