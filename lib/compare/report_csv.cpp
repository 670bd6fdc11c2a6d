// SPDX-License-Identifier: Apache-2.0
// The CSV report: one row per compared tensor in layer order, every column, exact values
// (RFC 4180 quoting; empty cells where a tensor has no such value).
#include "compare/render.h"
#include "compare/report_format.h"

namespace qf::compare {

namespace {

constexpr std::string_view kCsvSpecial = ",\"\r\n";

std::string csv_field(std::string_view s) {
  if (s.find_first_of(kCsvSpecial) == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

template <typename Cells>
void append_line(std::string& out, const Cells& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(cells[i]);
  }
  out += "\r\n";
}

}  // namespace

std::string render_csv(const DiffReport& report) {
  const Table table = tensor_table(report, all_column_headers(), report.all(), Style::kExact);
  std::string out;
  append_line(out, table.headers);
  for (const auto& row : table.rows) append_line(out, row);
  return out;
}

}  // namespace qf::compare
