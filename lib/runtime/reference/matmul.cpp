// SPDX-License-Identifier: Apache-2.0
// Reference MatMul with numpy semantics: 1-D operands are promoted (and the added axis dropped
// again) and batch axes broadcast.
#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

Status ref_MatMul(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& ta = *inputs[0];
  const Tensor& tb = *inputs[1];
  Tensor& y = *outputs[0];
  const Tensor* bias = inputs.size() > 2 ? inputs[2] : nullptr;  // qforge's bias (fold_bias_add)
  QF_RETURN_IF_ERROR(require_f32(node, {&ta, &tb, &y}));
  Shape a = ta.shape(), b = tb.shape();
  if (a.empty() || b.empty()) return bad_input("{}: operands must have rank >= 1", node.describe());
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  if (b[b.size() - 2] != k)
    return bad_input("{}: inner dims differ ({} vs {})", node.describe(), shape_to_string(ta.shape()),
                     shape_to_string(tb.shape()));

  // Batch axes, right-aligned; each operand's batch stride is 0 where it broadcasts.
  const size_t a_batch_rank = a.size() - 2, b_batch_rank = b.size() - 2;
  const size_t rank = std::max(a_batch_rank, b_batch_rank);
  Shape batch(rank);
  std::vector<int64_t> a_stride(rank, 0), b_stride(rank, 0);
  int64_t a_step = m * k, b_step = k * n;
  for (size_t r = rank; r-- > 0;) {
    const size_t from_end = rank - 1 - r;
    const int64_t da = from_end < a_batch_rank ? a[a_batch_rank - 1 - from_end] : 1;
    const int64_t db = from_end < b_batch_rank ? b[b_batch_rank - 1 - from_end] : 1;
    if (da != db && da != 1 && db != 1)
      return bad_input("{}: batch dims of {} and {} cannot be broadcast", node.describe(),
                       shape_to_string(ta.shape()), shape_to_string(tb.shape()));
    batch[r] = da == 1 ? db : da;
    a_stride[r] = da == 1 ? 0 : a_step;
    b_stride[r] = db == 1 ? 0 : b_step;
    a_step *= da;
    b_step *= db;
  }
  Shape expected = batch;
  if (!a_vec) expected.push_back(m);
  if (!b_vec) expected.push_back(n);
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));
  if (bias && (bias->dtype() != DType::kF32 || (bias->numel() != 1 && bias->numel() != n)))
    return bad_input("{}: a bias of {} values for {} output columns", node.describe(), bias->numel(), n);

  const int64_t batches = shape_numel(batch);
  std::vector<int64_t> idx(rank, 0);
  std::vector<double> acc(static_cast<size_t>(m * n));
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t a_off = 0, b_off = 0;
    for (size_t r = 0; r < rank; ++r) {
      a_off += idx[r] * a_stride[r];
      b_off += idx[r] * b_stride[r];
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    matmul_accumulate(ta.data<float>() + a_off, k, 1, tb.data<float>() + b_off, n, 1, m, n, k, acc.data());
    if (bias)
      for (int64_t i = 0; i < m * n; ++i) acc[static_cast<size_t>(i)] += bias->data<float>()[bias->numel() == 1 ? 0 : i % n];
    float* yb = y.data<float>() + bi * m * n;
    for (int64_t i = 0; i < m * n; ++i) yb[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
    for (size_t r = rank; r-- > 0;) {
      if (++idx[r] < batch[r]) break;
      idx[r] = 0;
    }
  }
  return Status::ok();
}

}  // namespace qf
