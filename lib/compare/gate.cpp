// SPDX-License-Identifier: Apache-2.0
#include "compare/gate.h"

#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cmath>
#include <set>

#include "compare/report.h"

namespace qf::compare {

namespace {

constexpr std::array kGateMetrics = {GateMetric::kCosine,        GateMetric::kSqnr,          GateMetric::kPassRate,
                                     GateMetric::kTop1Agreement, GateMetric::kTopKAgreement, GateMetric::kTop1Accuracy,
                                     GateMetric::kTop5Accuracy};
constexpr char kItemSeparator = ',';
constexpr char kValueSeparator = '=';

std::vector<std::string_view> metric_names() {
  std::vector<std::string_view> names;
  for (GateMetric m : kGateMetrics) names.push_back(gate_metric_name(m));
  return names;
}

std::optional<GateMetric> find_metric(std::string_view name) {
  for (GateMetric m : kGateMetrics)
    if (gate_metric_name(m) == name) return m;
  return std::nullopt;
}

// Spaces around an item are a list as people write it ("cosine=0.99, sqnr=20"); inside one
// ("cosine = 0.99") they stay an error, as the metric names have none.
std::string_view trim_spaces(std::string_view s) {
  constexpr std::string_view kSpaces = " \t";
  const size_t first = s.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpaces) - first + 1);
}

Result<GateThreshold> parse_item(std::string_view untrimmed) {
  const std::string_view item = trim_spaces(untrimmed);
  const size_t eq = item.find(kValueSeparator);
  if (eq == std::string_view::npos)
    return usage_error("--fail_below: '{}' is not metric=value (metrics: {})", item, fmt::join(metric_names(), ", "));
  const std::string_view name = item.substr(0, eq);
  const std::string_view number = item.substr(eq + 1);
  const auto metric = find_metric(name);
  if (!metric)
    return usage_error("--fail_below: unknown metric '{}' (metrics: {})", name, fmt::join(metric_names(), ", "));
  double minimum = 0;
  const auto [stop, ec] = std::from_chars(number.data(), number.data() + number.size(), minimum);
  if (number.empty() || ec != std::errc() || stop != number.data() + number.size() || !std::isfinite(minimum))
    return usage_error("--fail_below: '{}' needs a finite number, not '{}'", name, number);
  return GateThreshold{*metric, minimum};
}

}  // namespace

std::string_view gate_metric_name(GateMetric metric) {
  switch (metric) {
    case GateMetric::kCosine: return "cosine";
    case GateMetric::kSqnr: return "sqnr";
    case GateMetric::kPassRate: return "pass_rate";
    case GateMetric::kTop1Agreement: return "top1_agreement";
    case GateMetric::kTopKAgreement: return "topk_agreement";
    case GateMetric::kTop1Accuracy: return "top1_accuracy";
    case GateMetric::kTop5Accuracy: return "top5_accuracy";
  }
  return "?";
}

std::span<const GateMetric> all_gate_metrics() { return kGateMetrics; }

bool needs_labels(GateMetric metric) { return metric == GateMetric::kTop1Accuracy || metric == GateMetric::kTop5Accuracy; }

Result<std::vector<GateThreshold>> parse_fail_below(std::string_view text) {
  std::vector<GateThreshold> thresholds;
  std::set<GateMetric> seen;
  size_t start = 0;
  while (true) {
    const size_t end = std::min(text.find(kItemSeparator, start), text.size());
    QF_ASSIGN_OR_RETURN(GateThreshold t, parse_item(text.substr(start, end - start)));
    if (!seen.insert(t.metric).second)
      return usage_error("--fail_below: '{}' is given twice", gate_metric_name(t.metric));
    thresholds.push_back(t);
    if (end == text.size()) break;
    start = end + 1;
  }
  return thresholds;
}

std::string format_fail_below(const std::vector<GateThreshold>& thresholds) {
  std::vector<std::string> items;
  for (const GateThreshold& t : thresholds) items.push_back(fmt::format("{}={}", gate_metric_name(t.metric), t.minimum));
  return fmt::format("{}", fmt::join(items, ","));
}

std::optional<double> gate_value(const TensorReport& tensor, GateMetric metric) {
  switch (metric) {
    case GateMetric::kCosine: return tensor.metrics.cosine;
    case GateMetric::kSqnr: return tensor.metrics.sqnr_db;
    case GateMetric::kPassRate: return tensor.metrics.pass_rate;
    case GateMetric::kTop1Agreement:
      if (tensor.top_k) return tensor.top_k->top1;
      break;
    case GateMetric::kTopKAgreement:
      if (tensor.top_k) return tensor.top_k->topk;
      break;
    case GateMetric::kTop1Accuracy:
      if (tensor.accuracy) return tensor.accuracy->candidate_top1;
      break;
    case GateMetric::kTop5Accuracy:
      if (tensor.accuracy) return tensor.accuracy->candidate_top5;
      break;
  }
  return std::nullopt;
}

std::vector<GateFailure> check_gate(const std::vector<GateThreshold>& thresholds, const TensorReport& tensor) {
  std::vector<GateFailure> failures;
  for (const GateThreshold& t : thresholds) {
    const std::optional<double> value = gate_value(tensor, t.metric);
    if (!value || *value < t.minimum) {
      GateFailure f;
      f.tensor = tensor.pair.golden_name;
      f.metric = t.metric;
      f.value = value;
      f.minimum = t.minimum;
      failures.push_back(std::move(f));
    }
  }
  return failures;
}

std::string_view gate_failure_kind_name(GateFailureKind kind) {
  switch (kind) {
    case GateFailureKind::kBelowMinimum: return "below_minimum";
    case GateFailureKind::kMissingOutput: return "missing_output";
    case GateFailureKind::kInputsDiffer: return "inputs_differ";
  }
  return "?";
}

std::string describe(const GateFailure& f) {
  if (f.kind == GateFailureKind::kMissingOutput) return fmt::format("output '{}': {}", f.tensor, f.detail);
  if (f.kind == GateFailureKind::kInputsDiffer) return fmt::format("the runs had different inputs: {}", f.detail);
  if (!f.value) return fmt::format("output '{}': has no {} (needs >= {})", f.tensor, gate_metric_name(f.metric), f.minimum);
  return fmt::format("output '{}': {} {:.6g} < {}", f.tensor, gate_metric_name(f.metric), *f.value, f.minimum);
}

std::string describe(const std::vector<GateFailure>& failures) {
  std::vector<std::string> parts;
  for (const GateFailure& f : failures) parts.push_back(describe(f));
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace qf::compare
