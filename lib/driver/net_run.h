// SPDX-License-Identifier: Apache-2.0
// What qforge-net-run does, as a library call: load a model, run it over an input list, write
// Result_N folders and an optional performance report.
#pragma once

#include <map>
#include <span>
#include <string>

#include "core/status.h"
#include "runtime/executor.h"
#include "core/tensor.h"
#include "io/input_layout.h"

namespace qf {

struct NetRunOptions {
  std::string model_path;  // .onnx, or a quantized graph (.qgraph.json)
  std::string input_list_path;
  std::string output_dir = "./output";
  std::string backend = "onednn";
  bool debug = false;               // write every intermediate tensor (runs the graph unoptimized)
  bool optimize = true;             // fold BN, fuse activations... (passes/passes.h) before running
  int64_t num_inferences = -1;      // -1: one per input-list line; more cycles through the list
  int64_t keep_num_outputs = -1;    // -1: keep all; K: write outputs of the first K inferences only
  int threads = 0;
  std::string perf_report_path;
  std::map<std::string, Shape> input_dims;
  std::map<std::string, InputLayout> input_layouts;  // --input_layout: raws not in the model's layout
  bool show_progress = false;
  bool native_outputs = false;      // --use_native_output_files: codes of encoded outputs (_native.raw)
};

Status run_net(const NetRunOptions& options);

// One line for the log: where a quantized graph's nodes run, "int8: 90 nodes (14 on the reference
// integer kernel: no integer kernel for this op x13, ...), float: 2 nodes (reasons: ...)"; the
// per-node lines go to debug.
std::string placement_summary(std::span<const NodePlacement> placements);

}  // namespace qf
