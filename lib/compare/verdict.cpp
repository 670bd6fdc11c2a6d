// SPDX-License-Identifier: Apache-2.0
#include "compare/verdict.h"

namespace qf::compare {

namespace {

bool nearly_all_zero(int64_t zeros, int64_t count) {
  return static_cast<double>(zeros) >= kMistrustZeroShare * static_cast<double>(count);
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed: return "PASSED";
    case Verdict::kFailed: return "FAILED";
    case Verdict::kMistrusted: return "MISTRUSTED";
  }
  return "?";
}

bool is_mistrusted(const ErrorAccumulator& acc) {
  if (acc.count == 0) return true;
  const bool zeros = nearly_all_zero(acc.golden_zeros, acc.count) && nearly_all_zero(acc.candidate_zeros, acc.count);
  const bool constant = acc.golden_min == acc.golden_max && acc.candidate_min == acc.candidate_max;
  return zeros || constant;
}

Verdict judge(const ErrorAccumulator& acc, const TensorMetrics& metrics, double sqnr_threshold_db,
              std::optional<bool> gate_failed) {
  // The gate decides the exit code, so it outranks mistrust; the layer threshold does not.
  if (gate_failed && *gate_failed) return Verdict::kFailed;
  if (is_mistrusted(acc)) return Verdict::kMistrusted;
  if (!gate_failed && metrics.sqnr_db < sqnr_threshold_db) return Verdict::kFailed;
  return Verdict::kPassed;
}

}  // namespace qf::compare
