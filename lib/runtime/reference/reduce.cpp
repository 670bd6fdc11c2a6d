// SPDX-License-Identifier: Apache-2.0
// Reference ReduceMean / ReduceSum (sums in double; the mean divides by the number of reduced
// elements) and ReduceMax.
#include <cmath>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

namespace {

enum class Reduction { kMean, kSum, kMax };

Status run_reduce(const Node& node, Reduction reduction, std::span<const Tensor* const> inputs,
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
  const bool max = reduction == Reduction::kMax;
  std::vector<double> sum(static_cast<size_t>(y.numel()), max ? -INFINITY : 0.0);
  std::vector<int64_t> ic(static_cast<size_t>(rank), 0);
  int64_t out_off = 0;
  const float* xd = x.data<float>();
  for (int64_t e = 0; e < x.numel(); ++e) {
    double& acc = sum[static_cast<size_t>(out_off)];
    if (!max) {
      acc += xd[e];
    } else if (!(xd[e] <= acc) && !std::isnan(acc)) {
      acc = xd[e];  // NaN wins, as numpy's max
    }
    for (int64_t a = rank; a-- > 0;) {
      const size_t u = static_cast<size_t>(a);
      out_off += out_stride[u];
      if (++ic[u] < x.dim(a)) break;
      out_off -= out_stride[u] * ic[u];
      ic[u] = 0;
    }
  }
  float* yd = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double v = sum[static_cast<size_t>(i)];
    if (reduction != Reduction::kMean) {
      yd[i] = static_cast<float>(v);
    } else {
      yd[i] = count > 0 ? static_cast<float>(v / static_cast<double>(count)) : NAN;
    }
  }
  return Status::ok();
}

}  // namespace

Status ref_ReduceMean(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_reduce(node, Reduction::kMean, in, out);
}
Status ref_ReduceSum(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_reduce(node, Reduction::kSum, in, out);
}
Status ref_ReduceMax(const Node& node, std::span<const Tensor* const> in, std::span<Tensor* const> out) {
  return run_reduce(node, Reduction::kMax, in, out);
}

}  // namespace qf
