// SPDX-License-Identifier: Apache-2.0
// Reference ReduceMean: sums in double, divides by the number of reduced elements.
#include <cmath>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_ReduceMean(const Node& node, std::span<const Tensor* const> inputs,
                      std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  const Tensor* axes_t = opt_input(inputs, 1);
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&x, &y}));
  const int64_t rank = x.rank();
  std::optional<std::vector<int64_t>> axes;
  if (axes_t) axes = axes_t->to_int_vector();
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<bool>> mask, reduced_axes(node, rank, axes));
  if (!mask) {
    QF_RETURN_IF_ERROR(check_output_shape(node, y, x.shape()));
    std::copy(x.data<float>(), x.data<float>() + x.numel(), y.data<float>());
    return Status::ok();
  }
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Shape expected;
  for (int64_t a = 0; a < rank; ++a) {
    if (!(*mask)[static_cast<size_t>(a)])
      expected.push_back(x.dim(a));
    else if (keepdims)
      expected.push_back(1);
  }
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));

  // Each input element adds into the output element found by dropping its reduced coordinates.
  std::vector<int64_t> out_stride(static_cast<size_t>(rank), 0);
  int64_t step = 1, count = 1;
  for (int64_t a = rank; a-- > 0;) {
    if ((*mask)[static_cast<size_t>(a)]) {
      count *= x.dim(a);
    } else {
      out_stride[static_cast<size_t>(a)] = step;
      step *= x.dim(a);
    }
  }
  std::vector<double> sum(static_cast<size_t>(y.numel()), 0.0);
  std::vector<int64_t> ic(static_cast<size_t>(rank), 0);
  int64_t out_off = 0;
  const float* xd = x.data<float>();
  for (int64_t e = 0; e < x.numel(); ++e) {
    sum[static_cast<size_t>(out_off)] += xd[e];
    for (int64_t a = rank; a-- > 0;) {
      const size_t u = static_cast<size_t>(a);
      out_off += out_stride[u];
      if (++ic[u] < x.dim(a)) break;
      out_off -= out_stride[u] * ic[u];
      ic[u] = 0;
    }
  }
  float* yd = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i)
    yd[i] = count > 0 ? static_cast<float>(sum[static_cast<size_t>(i)] / static_cast<double>(count)) : NAN;
  return Status::ok();
}

}  // namespace qf
