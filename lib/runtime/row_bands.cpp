// SPDX-License-Identifier: Apache-2.0
#include "runtime/row_bands.h"

#include <omp.h>

#include <vector>

namespace qf {

int effective_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

Status run_bands_in_parallel(RowBands& kernel, std::span<const Tensor* const> inputs,
                             std::span<Tensor* const> outputs) {
  const size_t n = kernel.bands();
  std::vector<Status> results(n);
#pragma omp parallel num_threads(static_cast<int>(n))
  {
    // OpenMP may grant fewer threads than asked: each thread then takes several bands.
    const size_t team = static_cast<size_t>(omp_get_num_threads());
    for (size_t b = static_cast<size_t>(omp_get_thread_num()); b < n; b += team)
      results[b] = kernel.run_band(b, inputs, outputs);
  }
  for (Status& s : results)
    if (!s.is_ok()) return s;
  return Status::ok();
}

}  // namespace qf
