// SPDX-License-Identifier: Apache-2.0
// Error metrics of a candidate tensor against a golden one, compared as flat float32 vectors.
//
// The metrics are computed from sums (an ErrorAccumulator), so that a tensor seen in many Result_N
// folders is judged over all of its values at once: adding every folder to one accumulator gives
// exactly the metrics of the concatenated vectors (a pooled average, each value weighing the same). Definitions, with e = candidate - golden and n
// the number of values:
//   cosine     sum(g*c) / sqrt(sum(g^2) * sum(c^2)); 1 when both vectors are all zero, 0 when only
//              one of them is (no common direction); clamped to [-1, 1].
//   sqnr_db    10 * log10(mean(ref^2) / mean(e^2)), ref = golden (default) or candidate (QNN's
//              choice); +inf when e is all zero (QNN prints "SAME"), -inf when ref is all zero
//              but e is not.
//   mse        mean(e^2);  mae  mean(|e|);  max_abs_error  max(|e|)
//   pass_rate  share of values with |e| <= atol + rtol * |g| (numpy.allclose's test, per value).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"

namespace qf::compare {

enum class SqnrReference { kGolden, kCandidate };
std::string_view sqnr_reference_name(SqnrReference reference);
// "golden" or "candidate"; a usage error otherwise.
Result<SqnrReference> parse_sqnr_reference(std::string_view name);

// QNN's rtolatol verifier defaults (rtolmargin, atolmargin).
inline constexpr double kDefaultRtol = 1e-2;
inline constexpr double kDefaultAtol = 1e-2;

struct MetricOptions {
  double rtol = kDefaultRtol;
  double atol = kDefaultAtol;
  SqnrReference sqnr_reference = SqnrReference::kGolden;
};

// Sufficient statistics of a (golden, candidate) pair; sums are kept in double.
struct ErrorAccumulator {
  int64_t count = 0;
  double golden_sq = 0;     // sum(g^2)
  double candidate_sq = 0;  // sum(c^2)
  double product = 0;       // sum(g*c)
  double error_sq = 0;      // sum(e^2)
  double abs_error = 0;     // sum(|e|)
  double max_abs_error = 0;
  int64_t within_tolerance = 0;
  int64_t golden_zeros = 0;
  int64_t candidate_zeros = 0;
  float golden_min = 0, golden_max = 0;  // valid when count > 0
  float candidate_min = 0, candidate_max = 0;

  void add(std::span<const float> golden, std::span<const float> candidate, const MetricOptions& options);
};

struct TensorMetrics {
  double cosine = 1;
  double sqnr_db = 0;  // may be +-infinity, see above
  double mse = 0;
  double mae = 0;
  double max_abs_error = 0;
  double pass_rate = 1;
};

TensorMetrics compute_metrics(const ErrorAccumulator& acc, SqnrReference reference);
// The metrics of two vectors of equal length (one accumulator, one call).
TensorMetrics compare_vectors(std::span<const float> golden, std::span<const float> candidate,
                              const MetricOptions& options = {});

}  // namespace qf::compare
