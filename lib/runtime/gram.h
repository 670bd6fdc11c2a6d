// SPDX-License-Identifier: Apache-2.0
// Dense linear algebra that the layers above need from the runtime's BLAS (oneDNN's sgemm), so
// that they include no BLAS of their own.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace qf {

// gram[k, k] = x^T x for a row-major x of `rows` rows by k columns, in float32.
Status gram_matrix(const float* x, int64_t rows, int64_t k, float* gram);

}  // namespace qf
