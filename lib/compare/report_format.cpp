// SPDX-License-Identifier: Apache-2.0
#include "compare/report_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

namespace qf::compare {

namespace {

constexpr double kPercent = 100.0;

struct Row {
  size_t index;  // position in layer order
  const TensorReport& tensor;
};

struct Column {
  std::string_view header;
  bool numeric;
  std::string (*cell)(const Row& row, Style style);  // empty when the tensor has no such value
};

std::string infinity_or(double v, const std::string& finite) {
  if (std::isinf(v)) return std::string(v > 0 ? kPlusInfinity : kMinusInfinity);
  return finite;
}

std::string format_share(double share, Style style) {
  return style == Style::kShort ? format_percent(share) : format_value(share, Style::kExact);
}

template <typename T, typename F>
std::string optional_cell(const std::optional<T>& v, F&& cell) {
  return v ? cell(*v) : std::string();
}

std::string encoding_cell(const Row& r, Style style, double EncodingErrorSplit::*member, bool share) {
  return optional_cell(r.tensor.encoding, [&](const EncodingReport& e) {
    return share ? format_share(e.error.*member, style) : format_value(e.error.*member, style);
  });
}

constexpr std::array kColumns = {
    Column{"index", true, [](const Row& r, Style) { return std::to_string(r.index); }},
    Column{"tensor", false, [](const Row& r, Style) { return r.tensor.pair.golden_name; }},
    // For people only where it differs (a renamed, fused tensor); machines always get it.
    Column{"candidate", false,
           [](const Row& r, Style s) {
             const TensorPair& p = r.tensor.pair;
             return s == Style::kShort && p.candidate_name == p.golden_name ? std::string() : p.candidate_name;
           }},
    Column{"op", false, [](const Row& r, Style) { return r.tensor.pair.op; }},
    Column{"output", false, [](const Row& r, Style) { return std::string(r.tensor.pair.is_output ? "yes" : ""); }},
    Column{"verdict", false, [](const Row& r, Style) { return std::string(verdict_name(r.tensor.verdict)); }},
    Column{"inferences", true, [](const Row& r, Style) { return std::to_string(r.tensor.inferences); }},
    Column{"values", true, [](const Row& r, Style) { return std::to_string(r.tensor.values); }},
    Column{"sqnr_db", true, [](const Row& r, Style s) { return format_db(r.tensor.metrics.sqnr_db, s); }},
    Column{"cosine", true,
           [](const Row& r, Style s) {
             return s == Style::kShort ? fmt::format("{:.6f}", r.tensor.metrics.cosine)
                                       : format_value(r.tensor.metrics.cosine, s);
           }},
    Column{"mse", true, [](const Row& r, Style s) { return format_value(r.tensor.metrics.mse, s); }},
    Column{"mae", true, [](const Row& r, Style s) { return format_value(r.tensor.metrics.mae, s); }},
    Column{"max_abs_error", true, [](const Row& r, Style s) { return format_value(r.tensor.metrics.max_abs_error, s); }},
    Column{"pass_rate", true, [](const Row& r, Style s) { return format_share(r.tensor.metrics.pass_rate, s); }},
    Column{"max_error_lsb", true,
           [](const Row& r, Style s) { return encoding_cell(r, s, &EncodingErrorSplit::max_error_lsb, false); }},
    Column{"top1_agreement", true,
           [](const Row& r, Style s) {
             return optional_cell(r.tensor.top_k, [&](const TopKAgreement& k) { return format_share(k.top1, s); });
           }},
    Column{"topk_agreement", true,
           [](const Row& r, Style s) {
             return optional_cell(r.tensor.top_k, [&](const TopKAgreement& k) { return format_share(k.topk, s); });
           }},
    Column{"clipped_share", true,
           [](const Row& r, Style s) { return encoding_cell(r, s, &EncodingErrorSplit::clipped_share, true); }},
    Column{"range_use", true,
           [](const Row& r, Style s) { return encoding_cell(r, s, &EncodingErrorSplit::range_use, true); }},
    Column{"clipping_mse", true,
           [](const Row& r, Style s) { return encoding_cell(r, s, &EncodingErrorSplit::clipping_mse, false); }},
    Column{"rounding_mse", true,
           [](const Row& r, Style s) { return encoding_cell(r, s, &EncodingErrorSplit::rounding_mse, false); }},
};

}  // namespace

std::string format_value(double v, Style style) {
  return infinity_or(v, style == Style::kShort ? fmt::format("{:.4g}", v) : fmt::format("{:.9g}", v));
}

std::string format_db(double db, Style style) {
  return infinity_or(db, style == Style::kShort ? fmt::format("{:.2f}", db) : fmt::format("{:.9g}", db));
}

std::string format_percent(double share) { return fmt::format("{:.2f}%", share * kPercent); }

std::string format_results(const std::vector<int>& indices) {
  std::vector<std::string> ranges;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    ranges.push_back(j == i ? fmt::format("Result_{}", indices[i]) : fmt::format("Result_{}..{}", indices[i], indices[j]));
    i = j + 1;
  }
  return ranges.empty() ? "none" : fmt::format("{}", fmt::join(ranges, ", "));
}

std::vector<std::string_view> all_column_headers() {
  std::vector<std::string_view> headers;
  for (const Column& c : kColumns) headers.push_back(c.header);
  return headers;
}

Table tensor_table(const DiffReport& report, std::span<const std::string_view> headers,
                   const std::vector<size_t>& indices, Style style) {
  Table table;
  std::vector<const Column*> cols;
  for (std::string_view h : headers) {
    auto it = std::find_if(kColumns.begin(), kColumns.end(), [&](const Column& c) { return c.header == h; });
    assert(it != kColumns.end());
    cols.push_back(&*it);
    table.headers.push_back(it->header);
    table.numeric.push_back(it->numeric);
  }
  for (size_t i : indices) {
    const Row row{i, report.tensors[i]};
    std::vector<std::string>& cells = table.rows.emplace_back();
    for (const Column* c : cols) cells.push_back(c->cell(row, style));
    table.verdicts.push_back(row.tensor.verdict);
  }
  return table;
}

Table accuracy_table(const DiffReport& report) {
  Table table;
  table.headers = {"tensor", "samples", "golden_top1", "candidate_top1", "top1_drop", "golden_top5", "candidate_top5",
                   "top5_drop"};
  table.numeric.assign(table.headers.size(), true);
  table.numeric[0] = false;
  auto points = [](double drop) { return fmt::format("{:.2f} pp", drop * kPercent); };
  for (size_t i : report.outputs()) {
    const TensorReport& t = report.tensors[i];
    if (!t.accuracy) continue;
    const Accuracy& a = *t.accuracy;
    table.rows.push_back({t.pair.golden_name, std::to_string(a.samples), format_percent(a.golden_top1),
                          format_percent(a.candidate_top1), points(a.golden_top1 - a.candidate_top1),
                          format_percent(a.golden_top5), format_percent(a.candidate_top5),
                          points(a.golden_top5 - a.candidate_top5)});
  }
  return table;
}

std::vector<std::pair<std::string, std::string>> summary_lines(const DiffReport& r) {
  const DiffOptions& o = r.options;
  std::vector<std::pair<std::string, std::string>> lines = {
      {"golden", o.golden},
      {"candidate", o.candidate},
  };
  if (!o.model.empty()) lines.emplace_back("model", o.model);
  if (!o.labels.empty()) lines.emplace_back("labels", o.labels);
  std::string compared = fmt::format("{} ({} inferences)", format_results(r.results), r.results.size());
  if (!r.missing_in_candidate.empty()) compared += "; only in golden: " + format_results(r.missing_in_candidate);
  if (!r.missing_in_golden.empty()) compared += "; only in candidate: " + format_results(r.missing_in_golden);
  lines.emplace_back("compared", compared);
  if (!r.runs.runs.empty()) lines.emplace_back("runs", r.runs.runs);
  lines.emplace_back("inputs", r.runs.inputs);
  if (!r.missing_outputs.empty()) lines.emplace_back("missing outputs", missing_outputs_text(r));
  lines.emplace_back("settings", fmt::format("SQNR over the {} signal power; rtol {}, atol {}; top-{}; layer "
                                             "threshold {} dB",
                                             sqnr_reference_name(o.metrics.sqnr_reference), o.metrics.rtol,
                                             o.metrics.atol, o.top_k, o.layer_sqnr_threshold_db));
  lines.emplace_back("layers", verdict_counts(r));
  lines.emplace_back("first divergent", first_divergent_text(r));
  if (r.gated()) lines.emplace_back("gate", format_fail_below(o.fail_below) + ": " + gate_text(r));
  return lines;
}

std::string missing_text(const MissingOutput& missing) {
  std::vector<std::string> where;
  if (!missing.missing_in_golden.empty())
    where.push_back("the golden run's " + format_results(missing.missing_in_golden));
  if (!missing.missing_in_candidate.empty())
    where.push_back("the candidate run's " + format_results(missing.missing_in_candidate));
  return fmt::format("missing in {}", fmt::join(where, " and "));
}

std::string missing_outputs_text(const DiffReport& r) {
  std::vector<std::string> items;
  for (const MissingOutput& m : r.missing_outputs)
    items.push_back(fmt::format("{} {}", m.golden_name, missing_text(m)));
  return fmt::format("{}", fmt::join(items, "; "));
}

std::string verdict_counts(const DiffReport& r) {
  return fmt::format("{} compared: {} PASSED, {} FAILED, {} MISTRUSTED", r.tensors.size(), r.count(Verdict::kPassed),
                     r.count(Verdict::kFailed), r.count(Verdict::kMistrusted));
}

std::string first_divergent_text(const DiffReport& r) {
  const double threshold = r.options.layer_sqnr_threshold_db;
  if (!r.first_divergent) return fmt::format("none (every trusted layer reaches {} dB)", threshold);
  const TensorReport& t = r.tensors[*r.first_divergent];
  const std::string op = t.pair.op.empty() ? "" : t.pair.op + ", ";
  return fmt::format("{} ({}{} dB < {} dB)", t.pair.golden_name, op, format_db(t.metrics.sqnr_db, Style::kShort),
                     threshold);
}

std::string gate_text(const DiffReport& r) {
  if (!r.gated()) return "";
  if (r.gate_failures.empty()) return fmt::format("passed on {} output(s)", r.outputs().size());
  return "FAILED: " + describe(r.gate_failures);
}

}  // namespace qf::compare
