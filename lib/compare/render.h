// SPDX-License-Identifier: Apache-2.0
// The reports of a diff: text for stdout, and JSON (schemas/diff_report.schema.json), CSV and a
// self-contained HTML page for files. Rendering is pure; write_report_files writes atomically,
// creating the folders it needs.
#pragma once

#include <string>

#include "compare/report.h"
#include "core/status.h"

namespace qf::compare {

inline constexpr std::string_view kDiffReportFormat = "qforge.diff_report";
// 2: "runs" (the runs' manifests, whether they had the same inputs), "results.missing_outputs",
// and gate failures with a "reason".
inline constexpr int kDiffReportVersion = 2;

std::string render_text(const DiffReport& report);
std::string render_json(const DiffReport& report);
std::string render_csv(const DiffReport& report);
std::string render_html(const DiffReport& report);

struct ReportFiles {
  std::string json;  // empty: not written
  std::string csv;
  std::string html;
};
Status write_report_files(const DiffReport& report, const ReportFiles& files);

}  // namespace qf::compare
