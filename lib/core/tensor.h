// SPDX-License-Identifier: Apache-2.0
// Tensor: an owning, 64-byte aligned buffer with a dtype and a shape in ONNX (logical) order.
// Copies share the buffer (cheap handles); clone() makes a deep copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace qf {

using Shape = std::vector<int64_t>;

// Number of elements; 1 for a scalar (empty shape). Dims must be known (>= 0).
int64_t shape_numel(const Shape& shape);

// No tensor qforge reads from a file or infers has more elements: a guard, checked before
// anything is allocated, against shapes that overflow int64 arithmetic or ask for absurd memory.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;
// The number of elements when every dim is known (>= 0) and the product is at most
// kMaxTensorElements (computed without overflow); nullopt otherwise.
std::optional<int64_t> checked_numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);
// True when `shape` broadcasts (numpy rules) to exactly `out_shape`.
bool broadcasts_to(const Shape& shape, const Shape& out_shape);

// How a tensor's elements are ordered in memory. Kernels see ONNX order (kPlain) unless they
// say they accept channels-last (NHWC for 4-D, NWC for 3-D), which oneDNN prefers.
enum class Layout : uint8_t { kPlain, kChannelsLast };

class Tensor {
 public:
  static constexpr size_t kAlignment = 64;

  Tensor() = default;
  // Allocates zero-initialized storage.
  Tensor(DType dtype, Shape shape, Layout layout = Layout::kPlain);

  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  static Tensor scalar(float v) { return from_vector<float>({}, {v}); }

  bool empty() const { return buffer_ == nullptr && numel_ == 0 && shape_.empty(); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  Layout layout() const { return layout_; }

  std::byte* bytes() { return buffer_.get(); }
  const std::byte* bytes() const { return buffer_.get(); }
  template <typename T> T* data() { return reinterpret_cast<T*>(buffer_.get()); }
  template <typename T> const T* data() const { return reinterpret_cast<const T*>(buffer_.get()); }
  template <typename T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel_)}; }
  template <typename T> std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel_)};
  }

  Tensor clone() const;
  // Same buffer viewed with another shape of equal element count (Reshape, Flatten, Squeeze...).
  Tensor reshaped(Shape shape) const;
  // Element i as double/int64 whatever the dtype (for shape arithmetic and tests, not hot loops).
  double element_as_double(int64_t i) const;
  int64_t element_as_int(int64_t i) const;
  std::vector<int64_t> to_int_vector() const;
  std::vector<float> to_float_vector() const;

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  int64_t numel_ = 0;
  Layout layout_ = Layout::kPlain;
  std::shared_ptr<std::byte[]> buffer_;
};

}  // namespace qf
