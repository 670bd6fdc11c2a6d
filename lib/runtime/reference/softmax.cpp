// SPDX-License-Identifier: Apache-2.0
// Reference Softmax and LogSoftmax, both the opset-13 single-axis form and the legacy_2d form
// (softmax over everything from `axis` on). The maximum is subtracted first so exp cannot overflow.
#include <cmath>

#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

namespace {

// qforge's masked Softmax over the last axis (passes/fuse_masked_softmax.cpp): the masked
// positions are left out of the maximum and the sum and get 0; so does every position of a row
// that is all masked.
Status masked_softmax(const Node& node, const Tensor& x, const Tensor& mask, Tensor& y) {
  if (mask.dtype() != DType::kBool || !broadcasts_to(mask.shape(), x.shape()))
    return bad_input("{}: a mask of shape {} for an input of {}", node.describe(), shape_to_string(mask.shape()),
                     shape_to_string(x.shape()));
  const std::vector<uint8_t> masked = expanded_mask(mask, x.shape());
  const int64_t len = x.shape().back(), rows = len > 0 ? x.numel() / len : 0;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = xd + r * len;
    const uint8_t* m = masked.data() + r * len;
    float max = -INFINITY;
    for (int64_t k = 0; k < len; ++k)
      if (!m[k]) max = std::fmax(max, row[k]);
    double sum = 0;
    for (int64_t k = 0; k < len; ++k)
      if (!m[k]) sum += std::exp(static_cast<double>(row[k]) - max);
    for (int64_t k = 0; k < len; ++k)
      yd[r * len + k] = m[k] ? 0.f : static_cast<float>(std::exp(static_cast<double>(row[k]) - max) / sum);
  }
  return Status::ok();
}

Status softmax_like(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs,
                    bool log) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &y}));
  QF_RETURN_IF_ERROR(check_output_shape(node, y, x.shape()));
  const int64_t rank = x.rank();
  if (rank == 0) return bad_input("{}: input must have rank >= 1", node.describe());
  const int64_t axis_attr = node.attr_int("axis", -1);
  if (axis_attr < -rank || axis_attr >= rank)
    return bad_input("{}: axis {} is out of range for rank {}", node.describe(), axis_attr, rank);
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;

  // The normalized elements of one group are `len` apart by `inner`; groups are `outer` x `inner`.
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= x.dim(a);
  if (node.attr_int("legacy_2d", 0) != 0) {
    for (int64_t a = axis; a < rank; ++a) len *= x.dim(a);
  } else {
    len = x.dim(axis);
    for (int64_t a = axis + 1; a < rank; ++a) inner *= x.dim(a);
  }

  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  if (const Tensor* mask = inputs.size() > 1 ? inputs[1] : nullptr) return masked_softmax(node, x, *mask, y);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      float max = -INFINITY;
      for (int64_t k = 0; k < len; ++k) max = std::fmax(max, xd[base + k * inner]);
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(xd[base + k * inner]) - max);
      const double log_sum = std::log(sum);
      for (int64_t k = 0; k < len; ++k) {
        const double shifted = static_cast<double>(xd[base + k * inner]) - max;
        yd[base + k * inner] = static_cast<float>(log ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  return Status::ok();
}

}  // namespace

Status ref_Softmax(const Node& node, std::span<const Tensor* const> inputs,
                   std::span<Tensor* const> outputs) {
  return softmax_like(node, inputs, outputs, false);
}

Status ref_LogSoftmax(const Node& node, std::span<const Tensor* const> inputs,
                      std::span<Tensor* const> outputs) {
  return softmax_like(node, inputs, outputs, true);
}

}  // namespace qf
