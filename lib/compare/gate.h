// SPDX-License-Identifier: Apache-2.0
// The CI gate: --fail_below cosine=0.99,sqnr=20,top1_agreement=0.98. Each threshold is a minimum
// that every graph output must reach (layers are diagnosed, not gated); a metric an output does
// not have (top-k of a one-value output, say) fails rather than passes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace qf::compare {

struct TensorReport;

enum class GateMetric {
  kCosine,
  kSqnr,            // dB
  kPassRate,        // rtol/atol pass rate
  kTop1Agreement,
  kTopKAgreement,
  kTop1Accuracy,    // the candidate's, with --labels
  kTop5Accuracy,
};

std::string_view gate_metric_name(GateMetric metric);
std::span<const GateMetric> all_gate_metrics();
bool needs_labels(GateMetric metric);

struct GateThreshold {
  GateMetric metric;
  double minimum;
};

// Strict: comma-separated name=number items, known names (a usage error lists them), each name
// once, finite numbers, nothing else.
Result<std::vector<GateThreshold>> parse_fail_below(std::string_view text);
std::string format_fail_below(const std::vector<GateThreshold>& thresholds);

struct GateFailure {
  std::string tensor;
  GateMetric metric;
  std::optional<double> value;  // nullopt: the output does not have this metric
  double minimum;
};

std::optional<double> gate_value(const TensorReport& tensor, GateMetric metric);
std::vector<GateFailure> check_gate(const std::vector<GateThreshold>& thresholds, const TensorReport& tensor);
// "output 'prob': cosine 0.95 < 0.99"; several are joined with "; ".
std::string describe(const GateFailure& failure);
std::string describe(const std::vector<GateFailure>& failures);

}  // namespace qf::compare
