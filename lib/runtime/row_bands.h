// SPDX-License-Identifier: Apache-2.0
// Row bands: an optional interface of a kernel (Kernel::row_bands) that computes its output as
// horizontal bands, band b from a band of its input rows. The executor runs a chain of such
// kernels inside one parallel region, band b on thread b (runtime/band_chain.cpp says why and
// measures it). Only convs implement it (oneDNN's in bands, qforge's depthwise kernel).
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"
#include "core/tensor.h"

namespace qf {

// Half-open range of rows: axis 2 of a 4-D activation of batch 1.
struct Rows {
  int64_t begin = 0, end = 0;
  bool within(const Rows& other) const { return begin >= other.begin && end <= other.end; }
};

class RowBands {
 public:
  virtual ~RowBands() = default;
  virtual size_t bands() const = 0;
  // The output rows band b writes, and the rows of input i it reads (empty for inputs without rows).
  virtual Rows output_rows(size_t band) const = 0;
  virtual Rows input_rows(size_t band, size_t i) const = 0;
  // Computes band b alone, on the calling thread.
  virtual Status run_band(size_t band, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) = 0;
  // Part of a band. The output rows of band b that read no rows of input 0 but `written` (those
  // its own thread wrote), which the executor runs before waiting for the other threads, when
  // input 0 is the only input it waits for; empty for a kernel that computes only whole bands.
  virtual Rows rows_from(size_t /*band*/, Rows /*written*/) const { return {}; }
  // Computes rows `rows` (within output_rows(band)) of band b alone, on the calling thread.
  virtual Status run_band_rows(size_t /*band*/, Rows /*rows*/, std::span<const Tensor* const> /*inputs*/,
                               std::span<Tensor* const> /*outputs*/) {
    return internal_error("this kernel cannot run part of a band");
  }
};

// The threads a kernel created with `threads` runs on (<= 0: OpenMP's default).
int effective_threads(int threads);

// Runs every band in a parallel region of its own, band b on thread b: a banded kernel run whole.
Status run_bands_in_parallel(RowBands& kernel, std::span<const Tensor* const> inputs,
                             std::span<Tensor* const> outputs);

}  // namespace qf
