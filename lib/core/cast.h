// SPDX-License-Identifier: Apache-2.0
// Converting a tensor's values to another dtype with numpy's rules (ONNX's Cast): float to
// integer truncates toward zero, NaN becomes 0, out-of-range floats saturate to int64 and then
// wrap like any integer narrowing. Shared by the reference Cast and the readers of raw input files
// of integer inputs.
#pragma once

#include "core/status.h"
#include "core/tensor.h"

namespace qf {

// `x` converted into `y`, which is allocated with x's shape and the target dtype.
Status cast_tensor(const Tensor& x, Tensor& y);

}  // namespace qf
