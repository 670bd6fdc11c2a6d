// SPDX-License-Identifier: Apache-2.0
// The verdict on one compared tensor, in benchdnn's vocabulary. A graph output under --fail_below
// is judged by the gate alone; every other tensor by the layer threshold:
//   FAILED      a --fail_below threshold fails on the output (whatever else holds: the exit code
//               says so too);
//   MISTRUSTED  both sides are nearly all zeros (at least kMistrustZeroShare of the values are
//               exactly 0) or both are constant: the metrics cannot say much about such tensors
//               (cosine of two constants is 1 whatever they are);
//   FAILED      not gated, and the SQNR is below --layer_sqnr_threshold;
//   PASSED      otherwise.
// So a gated run exits 1 exactly when some graph output is FAILED.
#pragma once

#include <optional>
#include <string_view>

#include "compare/metrics.h"

namespace qf::compare {

enum class Verdict { kPassed, kFailed, kMistrusted };

inline constexpr double kMistrustZeroShare = 0.99;

std::string_view verdict_name(Verdict verdict);

bool is_mistrusted(const ErrorAccumulator& acc);

// gate_failed: the --fail_below result of a gated graph output; nullopt for every other tensor.
Verdict judge(const ErrorAccumulator& acc, const TensorMetrics& metrics, double sqnr_threshold_db,
              std::optional<bool> gate_failed);

}  // namespace qf::compare
