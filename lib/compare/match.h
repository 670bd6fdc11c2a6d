// SPDX-License-Identifier: Apache-2.0
// Which files to compare: Result_N folders of the two runs, and tensors matched by name.
//
// Golden names are the original model's (a fp32 run of the ONNX file); candidate names are the
// qgraph's. With --model a golden tensor is looked up under its surviving name (tensor_map; a
// name the map does not mention keeps its name; null means the tensor was folded away). Pairs come
// in layer order: with --model, graph inputs and constants first, then by the index of the node
// that computes them (nodes are listed topologically), then tensors the model does not know; all
// by name within a rank. Without --model: by name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compare/qgraph_info.h"
#include "core/status.h"
#include "io/run_folder.h"

namespace qf::compare {

// One tensor's file: float32 values, or the integer codes of an encoded tensor (<tensor>_native.raw),
// which are read through the tensor's encoding in the model.
struct RawFile {
  std::string path;
  bool native = false;
};

// The .raw files of one run: Result index -> tensor name -> file.
struct RunFiles {
  std::string root;
  bool single_file = false;  // root is one .raw file: one result with one tensor
  std::map<int, std::map<std::string, RawFile>> results;
  std::optional<RunManifest> manifest;  // DIR/qforge_run.json, when the run wrote one
};

// DIR/Result_N/*.raw (tensor names decoded from the file names); a folder with .raw files but no
// Result_N folders is one result, index 0; a .raw file is one result with one tensor. A file named
// <tensor>_native.raw holds the codes of <tensor>, unless the folder's manifest says the run wrote
// float outputs only. A bad_input naming the path when it does not exist or holds none of these, or
// when a Result folder holds both a tensor's float file and its native one.
Result<RunFiles> scan_run(const std::string& path);

struct TensorPair {
  std::string golden_name;
  std::string candidate_name;
  std::optional<size_t> producer;  // the qgraph node computing it (index into QGraphInfo::nodes)
  std::string op;                  // that node's op; empty without one
  bool is_output = false;
};

enum class Unmatched { kFolded, kOnlyInGolden, kOnlyInCandidate };
std::string_view unmatched_name(Unmatched why);

struct UnmatchedTensor {
  std::string name;
  Unmatched why;
};

// A graph output that some compared Result folder lacks, on one side or both: the gate cannot
// vouch for it.
struct MissingOutput {
  std::string golden_name;
  std::string candidate_name;
  std::vector<int> missing_in_golden;  // compared Result indices without the file
  std::vector<int> missing_in_candidate;
};

struct Matching {
  std::vector<int> results;  // Result indices present on both sides, ascending
  std::vector<int> missing_in_golden;
  std::vector<int> missing_in_candidate;
  std::vector<TensorPair> pairs;  // layer order
  std::vector<UnmatchedTensor> unmatched;
  std::vector<MissingOutput> missing_outputs;  // by mark_outputs
};

// model may be null. A bad_input when the runs have no Result_N in common or no tensor in common
// (nothing to compare), a usage error when one side is a single file and the other a folder.
Result<Matching> match_runs(const RunFiles& golden, const RunFiles& candidate, const QGraphInfo* model);

// Marks the graph outputs among the pairs: the tensors named by `requested` (golden or candidate
// names; a usage error for a name not compared), else the model's graph outputs, else the
// tensors that one run or the other wrote in every compared Result folder. Lists in
// missing_outputs each output that a compared Result folder lacks on either side.
Status mark_outputs(Matching& matching, const RunFiles& golden, const RunFiles& candidate, const QGraphInfo* model,
                    const std::vector<std::string>& requested);

}  // namespace qf::compare
