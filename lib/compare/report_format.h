// SPDX-License-Identifier: Apache-2.0
// How values look in the reports, decided once for all of them: the per-tensor columns (text, CSV
// and HTML tables pick from one list, report_format.cpp) and the text form of numbers, infinities
// included.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compare/report.h"

namespace qf::compare {

// kShort for people (text, HTML), kExact for machines (CSV: round-trips float32 and shares).
enum class Style { kShort, kExact };

// "inf" / "-inf" for infinities in every report; JSON uses the same strings (numbers cannot be).
inline constexpr std::string_view kPlusInfinity = "inf";
inline constexpr std::string_view kMinusInfinity = "-inf";

std::string format_value(double v, Style style);
std::string format_db(double db, Style style);
std::string format_percent(double share);  // 0.9876 -> "98.76%"
// Result indices as ranges: {0, 1, 2, 5} -> "Result_0..2, Result_5".
std::string format_results(const std::vector<int>& indices);

// Every column's header, in CSV order.
std::vector<std::string_view> all_column_headers();

// The columns of the outputs table and of the layers table in text and HTML.
inline constexpr std::string_view kOutputColumns[] = {
    "tensor",    "verdict",       "sqnr_db",        "cosine",        "mse", "mae", "max_abs_error",
    "pass_rate", "max_error_lsb", "top1_agreement", "topk_agreement"};
inline constexpr std::string_view kLayerColumns[] = {
    "index",         "tensor",    "candidate",    "op",          "verdict",     "sqnr_db", "cosine",
    "mse",           "max_error_lsb", "clipped_share", "range_use", "clipping_mse", "rounding_mse"};

// A table ready to lay out: text columns and numeric ones (right-aligned), a verdict per row
// when rows are tensors.
struct Table {
  std::vector<std::string_view> headers;
  std::vector<bool> numeric;
  std::vector<std::vector<std::string>> rows;
  std::vector<Verdict> verdicts;  // empty, or one per row
};

// These tensors (indices into report.tensors) in the columns with these headers (each must exist).
Table tensor_table(const DiffReport& report, std::span<const std::string_view> headers,
                   const std::vector<size_t>& indices, Style style);
// Accuracy of the graph outputs against --labels, one row per output that has it.
Table accuracy_table(const DiffReport& report);

// The header lines every human-readable report starts with: (label, text) pairs.
std::vector<std::pair<std::string, std::string>> summary_lines(const DiffReport& report);
// "missing in the golden run's Result_3 and the candidate run's Result_0..9".
std::string missing_text(const MissingOutput& missing);
// Every output some compared Result folder lacks: "prob missing in ...; boxes missing in ...".
std::string missing_outputs_text(const DiffReport& report);
// "6 compared: 4 PASSED, 1 FAILED, 1 MISTRUSTED".
std::string verdict_counts(const DiffReport& report);
// "relu_out (Relu, 14.21 dB < 20 dB)", or "none (...)" when no layer fell below the threshold.
std::string first_divergent_text(const DiffReport& report);
// "passed" / "FAILED: output 'prob': sqnr 14.2 < 20; ..." / "" when not gated.
std::string gate_text(const DiffReport& report);

}  // namespace qf::compare
