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

// Besides a metric below its minimum, the gate fails when it cannot vouch for what it compared: a
// graph output that a compared Result folder lacks on either side, or runs of different inputs.
enum class GateFailureKind { kBelowMinimum, kMissingOutput, kInputsDiffer };
std::string_view gate_failure_kind_name(GateFailureKind kind);

struct GateFailure {
  GateFailureKind kind = GateFailureKind::kBelowMinimum;
  std::string tensor;  // the output's golden name; empty for kInputsDiffer
  GateMetric metric = GateMetric::kCosine;  // kBelowMinimum: the metric, its value and minimum
  std::optional<double> value;              // nullopt: the output does not have this metric
  double minimum = 0;
  std::string detail;  // kMissingOutput, kInputsDiffer: what is missing, what differs
};

std::optional<double> gate_value(const TensorReport& tensor, GateMetric metric);
std::vector<GateFailure> check_gate(const std::vector<GateThreshold>& thresholds, const TensorReport& tensor);
// "output 'prob': cosine 0.95 < 0.99", "output 'prob': missing in the candidate's Result_0..9",
// "the runs had different inputs: ..."; several are joined with "; ".
std::string describe(const GateFailure& failure);
std::string describe(const std::vector<GateFailure>& failures);

}  // namespace qf::compare
