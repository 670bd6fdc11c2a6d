// SPDX-License-Identifier: Apache-2.0
// Reference BatchNormalization (inference): y = (x - mean) / sqrt(var + epsilon) * scale + B per channel.
#include <cmath>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_BatchNormalization(const Node& node, std::span<const Tensor* const> inputs,
                              std::span<Tensor* const> outputs) {
  if (node.attr_int("training_mode", 0) != 0)
    return unsupported("{}: training_mode=1 is not supported (inference only)", node.describe());
  const Tensor& x = *inputs[0];
  const Tensor* params[4] = {opt_input(inputs, 1), opt_input(inputs, 2), opt_input(inputs, 3),
                             opt_input(inputs, 4)};
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, params[0], params[1], params[2], params[3], &y}));
  if (x.rank() < 2) return bad_input("{}: input must have rank >= 2", node.describe());
  const int64_t batch = x.dim(0), channels = x.dim(1),
                inner = x.numel() / std::max<int64_t>(1, batch * channels);
  for (const Tensor* p : params)
    if (!p || p->numel() != channels)
      return bad_input("{}: scale, B, mean and var need {} values each", node.describe(), channels);
  QF_RETURN_IF_ERROR(check_output_shape(node, y, x.shape()));

  const double eps = node.attr_float("epsilon", 1e-5f);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    // Folded into y = x * a + b; computed in double so the fold adds no visible rounding.
    const double a =
        params[0]->data<float>()[c] / std::sqrt(static_cast<double>(params[3]->data<float>()[c]) + eps);
    const double b = params[1]->data<float>()[c] - params[2]->data<float>()[c] * a;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) yd[base + i] = static_cast<float>(xd[base + i] * a + b);
    }
  }
  return Status::ok();
}

}  // namespace qf
