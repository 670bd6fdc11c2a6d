// SPDX-License-Identifier: Apache-2.0
// What the two runs' manifests (DIR/qforge_run.json, io/run_folder.h) say about each other: did
// the compared Result folders run the same input files? Result_i of one run is only worth comparing
// with Result_i of the other when both ran the same inputs; a folder left over from a run of
// another list would otherwise be compared without a word.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/run_folder.h"

namespace qf::compare {

enum class SameInputs {
  kUnknown,  // a run without a manifest (made by hand, or by a qforge before manifests)
  kYes,      // every compared Result_i ran the same input files on both sides
  kNo,
};

struct RunsCheck {
  std::optional<RunManifest> golden;
  std::optional<RunManifest> candidate;
  SameInputs same_inputs = SameInputs::kUnknown;
  // Compared Result indices whose input files differ, or that a manifest does not describe (a
  // Result_i at or past its `results`: not written by that run).
  std::vector<int> inputs_differ_in;
  std::string inputs;  // one line for the reports: "same input files in Result_0..9 (list.txt, 10 lines)"
  std::string runs;    // one line naming each run's model, backend and Result count; "" without manifests
  std::vector<std::string> warnings;  // for stderr: inputs that differ, Result counts that differ, a manifest missing
};

// `compared`: the Result indices present on both sides; the roots name the two runs in the text.
RunsCheck check_runs(const std::optional<RunManifest>& golden, const std::optional<RunManifest>& candidate,
                     const std::vector<int>& compared, const std::string& golden_root,
                     const std::string& candidate_root);

}  // namespace qf::compare
