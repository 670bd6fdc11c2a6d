// SPDX-License-Identifier: Apache-2.0
#include "runtime/gram.h"

#include <oneapi/dnnl/dnnl.h>

namespace qf {

Status gram_matrix(const float* x, int64_t rows, int64_t k, float* gram) {
  if (dnnl_sgemm('T', 'N', k, k, rows, 1.f, x, k, x, k, 0.f, gram, k) != dnnl_success)
    return internal_error("sgemm failed on a {}x{} Gram matrix", k, k);
  return Status::ok();
}

}  // namespace qf
