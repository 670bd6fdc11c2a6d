// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include "compare/render.h"
#include "io/atomic_file.h"

namespace qf::compare {

Status write_report_files(const DiffReport& report, const ReportFiles& files) {
  using Renderer = std::string (*)(const DiffReport&);
  const std::pair<const std::string*, Renderer> outputs[] = {
      {&files.json, render_json}, {&files.csv, render_csv}, {&files.html, render_html}};
  for (const auto& [path, render] : outputs) {
    if (path->empty()) continue;
    const std::string folder = std::filesystem::path(*path).parent_path().string();
    if (!folder.empty()) QF_RETURN_IF_ERROR(make_directories(folder));
    QF_RETURN_IF_ERROR(write_file_atomic(*path, render(report)));
  }
  return Status::ok();
}

}  // namespace qf::compare
