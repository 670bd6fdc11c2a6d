// SPDX-License-Identifier: Apache-2.0
// Conversions between the two activation layouts (ONNX order and channels-last).
#pragma once

#include "core/tensor.h"

namespace qf {

// Copies `src` into `dst`, which has the same dtype and logical shape and the target layout.
// Rank < 3 tensors are identical in both layouts.
void convert_layout(const Tensor& src, Tensor& dst);

}  // namespace qf
