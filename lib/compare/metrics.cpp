// SPDX-License-Identifier: Apache-2.0
#include "compare/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace qf::compare {

namespace {

constexpr double kDecibelsPerDecade = 10.0;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

void track_range(float v, float& lo, float& hi, bool first) {
  if (first) {
    lo = hi = v;
  } else {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
}

}  // namespace

std::string_view sqnr_reference_name(SqnrReference reference) {
  return reference == SqnrReference::kGolden ? "golden" : "candidate";
}

Result<SqnrReference> parse_sqnr_reference(std::string_view name) {
  for (SqnrReference r : {SqnrReference::kGolden, SqnrReference::kCandidate})
    if (name == sqnr_reference_name(r)) return r;
  return usage_error("--sqnr_reference: unknown value '{}' (golden, candidate)", name);
}

void ErrorAccumulator::add(std::span<const float> golden, std::span<const float> candidate,
                           const MetricOptions& options) {
  assert(golden.size() == candidate.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    const double g = golden[i];
    const double c = candidate[i];
    const double e = c - g;
    golden_sq += g * g;
    candidate_sq += c * c;
    product += g * c;
    error_sq += e * e;
    abs_error += std::fabs(e);
    max_abs_error = std::max(max_abs_error, std::fabs(e));
    if (std::fabs(e) <= options.atol + options.rtol * std::fabs(g)) ++within_tolerance;
    if (golden[i] == 0.f) ++golden_zeros;
    if (candidate[i] == 0.f) ++candidate_zeros;
    const bool first = count == 0;
    track_range(golden[i], golden_min, golden_max, first);
    track_range(candidate[i], candidate_min, candidate_max, first);
    ++count;
  }
}

TensorMetrics compute_metrics(const ErrorAccumulator& acc, SqnrReference reference) {
  TensorMetrics m;
  if (acc.count == 0) {
    m.sqnr_db = kInfinity;  // nothing differs
    return m;
  }
  const double n = static_cast<double>(acc.count);
  if (acc.golden_sq == 0 && acc.candidate_sq == 0) {
    m.cosine = 1;
  } else if (acc.golden_sq == 0 || acc.candidate_sq == 0) {
    m.cosine = 0;
  } else {
    m.cosine = std::clamp(acc.product / std::sqrt(acc.golden_sq * acc.candidate_sq), -1.0, 1.0);
  }
  const double signal = reference == SqnrReference::kGolden ? acc.golden_sq : acc.candidate_sq;
  if (acc.error_sq == 0) {
    m.sqnr_db = kInfinity;
  } else if (signal == 0) {
    m.sqnr_db = -kInfinity;
  } else {
    m.sqnr_db = kDecibelsPerDecade * std::log10(signal / acc.error_sq);  // the 1/n cancels
  }
  m.mse = acc.error_sq / n;
  m.mae = acc.abs_error / n;
  m.max_abs_error = acc.max_abs_error;
  m.pass_rate = static_cast<double>(acc.within_tolerance) / n;
  return m;
}

TensorMetrics compare_vectors(std::span<const float> golden, std::span<const float> candidate,
                              const MetricOptions& options) {
  ErrorAccumulator acc;
  acc.add(golden, candidate, options);
  return compute_metrics(acc, options.sqnr_reference);
}

}  // namespace qf::compare
