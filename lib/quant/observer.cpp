// SPDX-License-Identifier: Apache-2.0
// The non-virtual conveniences of Observer: tensors in, encodings out.
#include "quant/observer.h"

#include <vector>

namespace qf {

Status Observer::observe(const Tensor& t) {
  switch (t.dtype()) {
    case DType::kF32: observe(t.span<float>()); return Status::ok();
    case DType::kF16:
    case DType::kF64: {
      std::vector<float> values = t.to_float_vector();
      observe(std::span<const float>(values));
      return Status::ok();
    }
    default:
      return unsupported("observer '{}' needs floating-point values, got {}", name(), dtype_name(t.dtype()));
  }
}

Result<Encoding> Observer::encoding(const QuantScheme& scheme) const {
  QF_ASSIGN_OR_RETURN(Range r, compute(scheme));
  return compute_encoding(r.min, r.max, scheme);
}

}  // namespace qf
