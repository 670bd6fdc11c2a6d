// SPDX-License-Identifier: Apache-2.0
// Rounding to integers, half to even (the rule of ONNX QuantizeLinear, numpy and IEEE 754's
// default), independent of the floating-point environment's rounding mode.
#pragma once

namespace qf {

double round_half_even(double v);

// Adding and taking away 1.5 x 2^23 rounds a float32 of magnitude below 2^22 to an integer, ties
// to even, in plain float arithmetic: loops of it vectorize on any x86-64, where std::nearbyint
// is a libm call per element. Exact only inside that range; callers clamp first.
inline constexpr float kRoundingBias = 12582912.f;
inline float round_half_even_small(float v) { return (v + kRoundingBias) - kRoundingBias; }

}  // namespace qf
