// SPDX-License-Identifier: Apache-2.0
// Reference QuantizeLinear and DequantizeLinear (ONNX semantics: y = saturate(round_half_even(x /
// scale) + zero_point), x = (q - zero_point) * scale), per tensor or per axis. Quantizing is
// ir/encoding.h's CodeGrid, the formula every other float -> code path runs.
#include <cmath>
#include <limits>

#include "ir/encoding.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

// Which scale/zero-point entry element i uses: 0 per tensor, else its index along the axis.
struct ParamIndex {
  int64_t inner = 1, count = 1;
  int64_t operator()(int64_t i) const { return count == 1 ? 0 : (i / inner) % count; }
};

Result<ParamIndex> param_index(const Node& node, const Tensor& x, const Tensor& scale) {
  ParamIndex p;
  p.count = scale.numel();
  if (p.count == 1) return p;
  int64_t axis = node.attr_int("axis", 1);
  if (axis < 0) axis += x.rank();
  if (axis < 0 || axis >= x.rank()) return bad_input("{}: axis out of range", node.describe());
  for (int64_t d = axis + 1; d < x.rank(); ++d) p.inner *= x.dim(d);
  return p;
}

template <typename Q>
void quantize_into(const Tensor& x, const Tensor& scale, const Tensor* zp, const ParamIndex& index, Tensor& out) {
  const float* src = x.data<float>();
  Q* dst = out.data<Q>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = index(i);
    const CodeGrid grid(static_cast<float>(scale.element_as_double(c)),
                        zp ? static_cast<int32_t>(zp->element_as_double(c)) : 0, std::numeric_limits<Q>::min(),
                        std::numeric_limits<Q>::max());
    dst[i] = static_cast<Q>(grid.quantize(src[i]));
  }
}

}  // namespace

Status ref_QuantizeLinear(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& scale = *inputs[1];
  const Tensor* zp = inputs.size() > 2 ? inputs[2] : nullptr;
  QF_ASSIGN_OR_RETURN(ParamIndex index, param_index(node, x, scale));
  Tensor& out = *outputs[0];
  if (out.dtype() == DType::kS8) {
    quantize_into<int8_t>(x, scale, zp, index, out);
  } else {
    quantize_into<uint8_t>(x, scale, zp, index, out);
  }
  return Status::ok();
}

Status ref_DequantizeLinear(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& q = *inputs[0];
  const Tensor& scale = *inputs[1];
  const Tensor* zp = inputs.size() > 2 ? inputs[2] : nullptr;
  QF_ASSIGN_OR_RETURN(ParamIndex index, param_index(node, q, scale));
  float* dst = outputs[0]->data<float>();
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int64_t c = index(i);
    const double z = zp ? zp->element_as_double(c) : 0.0;
    dst[i] = static_cast<float>((q.element_as_double(i) - z) * scale.element_as_double(c));
  }
  return Status::ok();
}

}  // namespace qf
