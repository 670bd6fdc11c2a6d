// SPDX-License-Identifier: Apache-2.0
// Reference LayerNormalization: over the dims from `axis` on, y = (x - mean) / sqrt(var + eps) *
// Scale + B, with the mean and the (biased) variance in double; Mean and InvStdDev when asked for.
#include <cmath>

#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_LayerNormalization(const Node& node, std::span<const Tensor* const> inputs,
                              std::span<Tensor* const> outputs) {
  if (inputs.size() < 2 || !inputs[0] || !inputs[1] || outputs.empty() || !outputs[0])
    return internal_error("{}: input or output missing", node.describe());
  const Tensor& x = *inputs[0];
  const Tensor& scale = *inputs[1];
  const Tensor* bias = opt_input(inputs, 2);
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &scale, &y}));
  if (bias) QF_RETURN_IF_ERROR(require_f32(node, {bias}));
  QF_RETURN_IF_ERROR(check_output_shape(node, y, x.shape()));
  const int64_t rank = x.rank();
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return bad_input("{}: axis {} is out of range", node.describe(), axis);
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  if (!broadcasts_to(scale.shape(), normalized) || (bias && !broadcasts_to(bias->shape(), normalized)))
    return bad_input("{}: Scale or B does not broadcast to {}", node.describe(), shape_to_string(normalized));
  const int64_t width = shape_numel(normalized);
  const int64_t rows = width > 0 ? x.numel() / width : 0;
  // The optional statistics outputs, one value per normalized row.
  Tensor* mean_out = outputs.size() > 1 ? outputs[1] : nullptr;
  Tensor* inv_std_out = outputs.size() > 2 ? outputs[2] : nullptr;
  for (const Tensor* t : {mean_out, inv_std_out})
    if (t && (t->dtype() != DType::kF32 || t->numel() != rows))
      return internal_error("{}: statistics output allocated as {}", node.describe(), shape_to_string(t->shape()));
  // Scale and B expanded to the normalized block once, so the loop below indexes them directly.
  auto expand = [&](const Tensor* t, float fill) {
    std::vector<float> v(static_cast<size_t>(width), fill);
    if (!t) return v;
    for_each_index<1>(normalized, {broadcast_strides(t->shape(), normalized)},
                      [&](int64_t o, const std::array<int64_t, 1>& in) { v[static_cast<size_t>(o)] = t->data<float>()[in[0]]; });
    return v;
  };
  const std::vector<float> gamma = expand(&scale, 1.f), beta = expand(bias, 0.f);
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = in + r * width;
    double mean = 0;
    for (int64_t i = 0; i < width; ++i) mean += row[i];
    mean /= static_cast<double>(width);
    double var = 0;
    for (int64_t i = 0; i < width; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(width);
    const double inv = 1.0 / std::sqrt(var + epsilon);
    if (mean_out) mean_out->data<float>()[r] = static_cast<float>(mean);
    if (inv_std_out) inv_std_out->data<float>()[r] = static_cast<float>(inv);
    for (int64_t i = 0; i < width; ++i) {
      const size_t u = static_cast<size_t>(i);
      out[r * width + i] = static_cast<float>((row[i] - mean) * inv * gamma[u] + beta[u]);
    }
  }
  return Status::ok();
}

}  // namespace qf
