// SPDX-License-Identifier: Apache-2.0
// qforge-net-run: runs an ONNX model (fp32) over a QNN-style input list. Flags follow qnn-net-run.
#include "common/cli.h"
#include "core/log.h"
#include "driver/net_run.h"
#include "io/dims.h"
#include "io/input_layout.h"

int main(int argc, char** argv) {
  qf::init_logging();
  qf::NetRunOptions options;
  qf::cli::CommonFlags common;
  std::vector<std::string> input_dims;

  CLI::App app{"qforge-net-run: run a model over an input list, writing output_dir/Result_N/<tensor>.raw"};
  constexpr const char* kInputOutput = "Input and output";
  constexpr const char* kRun = "Run";
  constexpr const char* kDebug = "Debug";
  app.add_option("--model", options.model_path,
                 "Model to run: an ONNX model (fp32) or a qgraph from qforge-onnx-converter (int8), told apart by "
                 "their contents")
      ->required()
      ->group(kInputOutput);
  app.add_option("--input_list", options.input_list_path,
                 "Input list: one inference per line, 'name:=path.raw' entries or positional paths; each raw file is "
                 "float32 in the model input's layout (NCHW for images) unless --input_layout says otherwise")
      ->required()
      ->group(kInputOutput);
  app.add_option("--output_dir", options.output_dir,
                 "Output folder: Result_N/ and the run's manifest qforge_run.json (an earlier run's Result_N "
                 "folders there are removed first)")
      ->capture_default_str()
      ->group(kInputOutput);
  qf::cli::add_input_dim_option(app, &input_dims)->group(kInputOutput);
  std::vector<std::string> input_layouts;
  qf::cli::add_input_layout_option(app, &input_layouts)->group(kInputOutput);
  qf::cli::add_bool_flag(app, "--use_native_output_files", &options.native_outputs,
                         "Write encoded outputs as their integer codes (uint8/int8, <tensor>_native.raw)")
      ->group(kInputOutput);
  app.add_option("--backend", options.backend, "Backend")
      ->check(CLI::IsMember({"onednn", "reference"}))
      ->capture_default_str()
      ->group(kRun);
  app.add_option("--num_inferences", options.num_inferences,
                 "Number of inferences (cycles through the input list; default: one per line)")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  app.add_option("--keep_num_outputs", options.keep_num_outputs, "Write outputs of the first K inferences only")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  app.add_option("--threads", options.threads, "Threads for the oneDNN backend (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->group(kRun);
  bool no_optimizations = false;
  qf::cli::add_bool_flag(app, "--disable_graph_optimizations", &no_optimizations,
                         "Run the ONNX graph as written (no BatchNorm folding or activation fusion)")
      ->group(kRun);
  qf::cli::add_bool_flag(app, "--debug", &options.debug,
                         "Write every intermediate tensor (runs the graph as written, unfused)")
      ->group(kDebug);
  app.add_option("--perf_report", options.perf_report_path, "Write per-node and total times (JSON)")->group(kDebug);
  qf::cli::add_common_flags(app, "qforge-net-run", &common);
  using qf::StatusCode;
  app.footer(qf::cli::help_footer(
      {
          {StatusCode::kOk, "ran; output_dir holds this run's Result_N folders and its manifest, qforge_run.json"},
          {StatusCode::kUsage, "usage error"},
          {StatusCode::kBadInput,
           "missing or malformed model, list or raw file (every raw file is checked before the first inference); "
           "an output that cannot be written; or a Result_N in output_dir holding files net-run does not write "
           "(nothing is removed then)"},
          {StatusCode::kUnsupported, "an op or feature qforge does not implement"},
          {StatusCode::kInternal, "internal error"},
      },
      "qforge-net-run --model out/resnet18.qgraph.json --input_list input_list.txt --output_dir int8"));

  if (auto code = qf::cli::parse(app, argc, argv, "qforge-net-run")) return *code;

  qf::Status status = common.apply_log_level();
  qf::cli::warn_if_more_threads_than_cores(options.threads);
  if (status.is_ok()) {
    auto dims = qf::parse_input_dims(input_dims);
    if (dims.is_ok()) options.input_dims = *dims;
    else status = dims.status();
  }
  if (status.is_ok()) {
    auto layouts = qf::parse_input_layouts(input_layouts);
    if (layouts.is_ok()) options.input_layouts = *layouts;
    else status = layouts.status();
  }
  options.optimize = !no_optimizations;
  options.show_progress = common.show_progress();
  if (status.is_ok()) status = qf::run_net(options);
  if (!status.is_ok()) return qf::cli::fail(status);
  return 0;
}
