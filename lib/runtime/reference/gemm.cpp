// SPDX-License-Identifier: Apache-2.0
// Reference Gemm: Y = alpha * A' * B' + beta * C, with C broadcast to [M, N] and optional.
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_Gemm(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const Tensor* c = opt_input(inputs, 2);
  Tensor& y = *outputs[0];
  QF_RETURN_IF_ERROR(require_f32(node, {&a, &b, c, &y}));
  if (a.rank() != 2 || b.rank() != 2) return bad_input("{}: A and B must be 2-D", node.describe());
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const int64_t m = a.dim(ta ? 1 : 0), k = a.dim(ta ? 0 : 1), n = b.dim(tb ? 0 : 1);
  if (b.dim(tb ? 1 : 0) != k) return bad_input("{}: inner dims differ", node.describe());
  QF_RETURN_IF_ERROR(check_output_shape(node, y, {m, n}));

  // C's strides over [M, N]; a broadcast axis (missing or of size 1) has stride 0.
  int64_t c_rs = 0, c_cs = 0;
  if (c) {
    const Shape& cs = c->shape();
    const int64_t c_rows = cs.size() == 2 ? cs[0] : 1, c_cols = cs.empty() ? 1 : cs.back();
    if (cs.size() > 2 || (c_rows != 1 && c_rows != m) || (c_cols != 1 && c_cols != n))
      return bad_input("{}: C {} cannot be broadcast to [{},{}]", node.describe(), shape_to_string(cs), m, n);
    c_rs = c_rows == 1 ? 0 : c_cols;
    c_cs = c_cols == 1 ? 0 : 1;
  }

  std::vector<double> acc(static_cast<size_t>(m * n), 0.0);
  matmul_accumulate(a.data<float>(), ta ? 1 : k, ta ? m : 1, b.data<float>(), tb ? 1 : n, tb ? k : 1, m, n, k,
                    acc.data());
  const double alpha = node.attr_float("alpha", 1.f), beta = node.attr_float("beta", 1.f);
  float* yd = y.data<float>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double v = alpha * acc[static_cast<size_t>(i * n + j)];
      if (c) v += beta * c->data<float>()[i * c_rs + j * c_cs];
      yd[i * n + j] = static_cast<float>(v);
    }
  return Status::ok();
}

}  // namespace qf
