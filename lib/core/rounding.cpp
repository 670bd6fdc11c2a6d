// SPDX-License-Identifier: Apache-2.0
#include "core/rounding.h"

#include <cmath>

namespace qf {

double round_half_even(double v) {
  double r = std::floor(v);
  double frac = v - r;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
  return r;
}

}  // namespace qf
