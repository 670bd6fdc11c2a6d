// SPDX-License-Identifier: Apache-2.0
// The text report on stdout: the summary, then tables aligned in columns, worst first.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "compare/render.h"
#include "compare/report_format.h"

namespace qf::compare {

namespace {

constexpr std::string_view kIndent = "  ";
constexpr std::string_view kColumnGap = "  ";
constexpr std::string_view kNoValue = "-";

// Text columns left-aligned, numbers right-aligned, so that digits line up.
std::string aligned(const Table& table) {
  std::vector<size_t> width(table.headers.size());
  for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(table.headers[c].size(), kNoValue.size());
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  auto line = [&](auto cell_at) {
    std::string text(kIndent);
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string_view cell = cell_at(c);
      if (c > 0) text += kColumnGap;
      text += table.numeric[c] ? fmt::format("{:>{}}", cell, width[c]) : fmt::format("{:<{}}", cell, width[c]);
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  };
  line([&](size_t c) { return table.headers[c]; });
  for (const auto& row : table.rows)
    line([&](size_t c) { return row[c].empty() ? kNoValue : std::string_view(row[c]); });
  return out;
}

std::string summary(const DiffReport& report) {
  const auto lines = summary_lines(report);
  size_t width = 0;
  for (const auto& [label, text] : lines) width = std::max(width, label.size());
  std::string out = "qforge-diff\n";
  for (const auto& [label, text] : lines) out += fmt::format("{}{:<{}}  {}\n", kIndent, label, width, text);
  return out;
}

std::string accuracy(const DiffReport& report) {
  const Table table = accuracy_table(report);
  if (table.rows.empty()) return "";
  return "\naccuracy against the labels\n" + aligned(table);
}

std::string not_compared(const DiffReport& report) {
  if (report.unmatched.empty()) return "";
  std::vector<std::string> items;
  for (const UnmatchedTensor& u : report.unmatched) items.push_back(fmt::format("{} ({})", u.name, unmatched_name(u.why)));
  return fmt::format("\nnot compared: {}\n", fmt::join(items, ", "));
}

}  // namespace

std::string render_text(const DiffReport& report) {
  std::string out = summary(report);
  out += "\noutputs, worst first\n";
  out += aligned(tensor_table(report, kOutputColumns, worst_first(report.tensors, report.outputs()), Style::kShort));
  out += accuracy(report);
  if (!report.worst.empty()) {
    out += fmt::format("\nworst {} of {} layers (all of them, in layer order: --json, --csv, --html)\n",
                       report.worst.size(), report.tensors.size());
    out += aligned(tensor_table(report, kLayerColumns, report.worst, Style::kShort));
  }
  out += not_compared(report);
  return out;
}

}  // namespace qf::compare
