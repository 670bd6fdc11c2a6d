// SPDX-License-Identifier: Apache-2.0
// Conversions between the two activation layouts (ONNX order and channels-last).
#pragma once

#include "core/tensor.h"

namespace qf {

// Copies `src` into `dst`, which has the same dtype and logical shape and the target layout.
// Rank < 3 tensors are identical in both layouts.
void convert_layout(const Tensor& src, Tensor& dst);

// True when the bytes are the same in both layouts (rank < 3, one channel, or one spatial position):
// such tensors never need a conversion, whatever layout their producer recorded.
bool layout_invariant(const Shape& shape);
// The layout a kernel should record for an output: invariant tensors are reported kPlain, which
// is what the reference kernels and the graph outputs want anyway.
Layout output_layout_for(const Shape& shape, Layout preferred);

}  // namespace qf
