// SPDX-License-Identifier: Apache-2.0
#include "compare/runs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "compare/report_format.h"

namespace qf::compare {

namespace {

std::string list_text(const RunManifest& m) { return fmt::format("{}, {} lines", m.input_list, m.input_list_lines); }

std::string lists_text(const RunManifest& golden, const RunManifest& candidate) {
  if (golden.input_list == candidate.input_list && golden.input_list_lines == candidate.input_list_lines)
    return fmt::format("both ran {}", list_text(golden));
  return fmt::format("golden ran {}; candidate {}", list_text(golden), list_text(candidate));
}

std::string run_text(const RunManifest& m) {
  return fmt::format("{} Result folders of {} ({}, {} outputs)", m.results,
                     std::filesystem::path(m.model).filename().string(), m.backend,
                     m.native_outputs ? "native" : "float");
}

// The input files of Result_r, or null when the run did not write Result_r.
const std::vector<std::string>* inputs_of(const RunManifest& m, int r) {
  return r < m.results ? &m.result_inputs[static_cast<size_t>(r)] : nullptr;
}

// How Result_r differs between the runs, in a few words.
std::string difference(int r, const RunManifest& golden, const RunManifest& candidate) {
  const auto* g = inputs_of(golden, r);
  const auto* c = inputs_of(candidate, r);
  if (!g || !c)
    return fmt::format("Result_{} is not of the {} run its manifest describes ({} Result folders)", r,
                       g ? "candidate" : "golden", g ? candidate.results : golden.results);
  return fmt::format("Result_{}: golden ran {}, candidate {}", r, fmt::join(*g, " "), fmt::join(*c, " "));
}

}  // namespace

RunsCheck check_runs(const std::optional<RunManifest>& golden, const std::optional<RunManifest>& candidate,
                     const std::vector<int>& compared, const std::string& golden_root,
                     const std::string& candidate_root) {
  RunsCheck out;
  out.golden = golden;
  out.candidate = candidate;
  if (!golden && !candidate) {
    out.inputs = fmt::format("unknown: neither run has a {}", kRunManifestFile);
    return out;
  }
  if (!golden || !candidate) {
    const bool golden_missing = !golden;
    const std::string& root = golden_missing ? golden_root : candidate_root;
    const char* side = golden_missing ? "golden" : "candidate";
    out.inputs = fmt::format("unknown: the {} run '{}' has no {}", side, root, kRunManifestFile);
    out.runs = fmt::format("{}: {}", golden_missing ? "candidate" : "golden", run_text(golden ? *golden : *candidate));
    out.warnings.push_back(fmt::format("the {} run '{}' has no {}: cannot check that both runs had the same inputs",
                                       side, root, kRunManifestFile));
    return out;
  }
  out.runs = fmt::format("golden: {}; candidate: {}", run_text(*golden), run_text(*candidate));
  if (golden->results != candidate->results)
    out.warnings.push_back(fmt::format("the golden run '{}' wrote {} Result folders, the candidate '{}' {} ({})",
                                       golden_root, golden->results, candidate_root, candidate->results,
                                       lists_text(*golden, *candidate)));
  std::string first;
  for (int r : compared) {
    const auto* g = inputs_of(*golden, r);
    const auto* c = inputs_of(*candidate, r);
    if (g && c && *g == *c) continue;
    out.inputs_differ_in.push_back(r);
    if (first.empty()) first = difference(r, *golden, *candidate);
  }
  if (out.inputs_differ_in.empty()) {
    out.same_inputs = SameInputs::kYes;
    out.inputs = fmt::format("same input files in {} ({})", format_results(compared), lists_text(*golden, *candidate));
    return out;
  }
  out.same_inputs = SameInputs::kNo;
  out.inputs = fmt::format("DIFFERENT in {} ({}); {}", format_results(out.inputs_differ_in),
                           lists_text(*golden, *candidate), first);
  out.warnings.push_back("the golden and candidate runs had different inputs: " + out.inputs);
  return out;
}

}  // namespace qf::compare
