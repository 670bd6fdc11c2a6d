// SPDX-License-Identifier: Apache-2.0
#include "driver/net_run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/ranges.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/sha256.h"
#include "driver/load_model.h"
#include "driver/version.h"
#include "io/atomic_file.h"
#include "io/input_list.h"
#include "io/run_folder.h"
#include "package/qgraph.h"
#include "passes/passes.h"
#include "runtime/executor.h"

namespace qf {

namespace fs = std::filesystem;

namespace {

// Tensors written per inference: graph outputs, those named in the list's '#'/'%' lines, and
// with --debug every tensor a node computes.
Result<std::vector<const Value*>> tensors_to_write(const Graph& graph, const InputList& list, bool debug) {
  std::vector<const Value*> out(graph.outputs().begin(), graph.outputs().end());
  auto add = [&](const Value* v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  for (const std::string& name : list.requested_tensors) {
    const Value* v = graph.find_value(name);
    if (!v) return bad_input("{}: tensor '{}' requested for output does not exist in the model", list.path, name);
    add(v);
  }
  if (debug) {
    QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
    for (const Node* n : order)
      for (const Value* v : n->outputs)
        if (v) add(v);
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void write_placements(const Executor& executor, nlohmann::json& report) {
  nlohmann::json placements = nlohmann::json::array();
  for (const NodePlacement& p : executor.placements())
    placements.push_back({{"node", p.node}, {"runs", p.how}, {"reason", p.why}});
  report["int8"] = {{"quantized", executor.quantized()}, {"nodes", placements}};
}

Status write_perf_report(const NetRunOptions& options, const Executor& executor, const std::vector<double>& latencies) {
  nlohmann::json report;
  report["backend"] = options.backend;
  report["threads"] = options.threads;
  report["inferences"] = latencies.size();
  double sum = 0;
  for (double l : latencies) sum += l;
  const double n = std::max<double>(1, static_cast<double>(latencies.size()));
  report["latency_ms"] = {{"median", median(latencies)},
                          {"mean", sum / n},
                          {"min", latencies.empty() ? 0 : *std::min_element(latencies.begin(), latencies.end())},
                          {"max", latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end())}};
  nlohmann::json nodes = nlohmann::json::array();
  for (const StepProfile& p : executor.profile())
    nodes.push_back({{"name", p.name}, {"op", p.op}, {"impl", p.impl}, {"mean_ms", p.total_ms / n}});
  report["nodes"] = nodes;
  nlohmann::json fallbacks = nlohmann::json::array();
  for (const auto& [node, why] : executor.fallbacks()) fallbacks.push_back({{"node", node}, {"reason", why}});
  report["reference_fallbacks"] = fallbacks;
  write_placements(executor, report);
  return write_file_atomic(options.perf_report_path, report.dump(2) + "\n");
}

// A quantized graph has fixed shapes: --input_dim may only repeat them.
Status check_input_dims(const Graph& graph, const std::map<std::string, Shape>& dims, const std::string& path) {
  for (const auto& [name, shape] : dims) {
    const Value* v = graph.find_value(name);
    if (!v || std::find(graph.inputs().begin(), graph.inputs().end(), v) == graph.inputs().end())
      return usage_error("--input_dim: {} has no input '{}'", path, name);
    if (v->type.shape != shape)
      return usage_error("--input_dim: input '{}' of {} is {}; a quantized graph's shapes are fixed at conversion",
                         name, path, shape_to_string(v->type.shape));
  }
  return Status::ok();
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::absolute(path, ec);
  return (ec ? fs::path(path) : p).lexically_normal().string();
}

// What this run is, for output_dir/qforge_run.json: qforge-diff checks with it that two runs had
// the same inputs. Result_i ran line i of the list, cycling.
Result<RunManifest> describe_run(const NetRunOptions& options, const InputList& list, bool quantized, int64_t total,
                                 int64_t keep) {
  RunManifest m;
  m.tool = version_line("qforge-net-run");
  m.model = absolute_path(options.model_path);
  QF_ASSIGN_OR_RETURN(m.model_sha256, sha256_file(options.model_path));
  m.input_list = absolute_path(options.input_list_path);
  m.input_list_lines = static_cast<int64_t>(list.inferences.size());
  m.inferences = total;
  m.results = keep;
  m.backend = options.backend;
  m.native_outputs = options.native_outputs && quantized;  // an ONNX model has no codes to write
  m.debug = options.debug;
  for (int64_t i = 0; i < keep; ++i) {
    std::vector<std::string>& files = m.result_inputs.emplace_back();
    for (const InputEntry& e : list.inferences[static_cast<size_t>(i % m.input_list_lines)])
      files.push_back(absolute_path(e.path));
  }
  return m;
}

}  // namespace

std::string placement_summary(std::span<const NodePlacement> placements) {
  // Reasons by count, most frequent first, each once.
  const auto reasons = [&](std::string_view how) {
    std::map<std::string, size_t> counts;
    size_t total = 0;
    for (const NodePlacement& p : placements)
      if (p.how == how) {
        ++counts[p.why];
        ++total;
      }
    std::vector<std::pair<size_t, std::string>> ranked;
    for (const auto& [why, n] : counts) ranked.emplace_back(n, why);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> parts;
    for (const auto& [n, why] : ranked) parts.push_back(fmt::format("{} x{}", why, n));
    return std::make_pair(total, fmt::format("{}", fmt::join(parts, ", ")));
  };
  const auto [reference, reference_why] = reasons("int8 (reference)");
  const auto [floats, float_why] = reasons("float");
  const size_t int8 = placements.size() - floats;
  std::string line = fmt::format("int8: {} nodes", int8);
  if (reference > 0) line += fmt::format(" ({} on the reference integer kernel: {})", reference, reference_why);
  line += fmt::format(", float: {} nodes", floats);
  if (floats > 0) line += fmt::format(" ({})", float_why);
  return line;
}

Status run_net(const NetRunOptions& options) {
  // By content, not by name: a qgraph is JSON, an ONNX model a protobuf.
  const bool quantized = starts_like_json(options.model_path);
  std::unique_ptr<Graph> graph;
  if (quantized) {
    QF_ASSIGN_OR_RETURN(graph, read_package(options.model_path));
    QF_RETURN_IF_ERROR(check_input_dims(*graph, options.input_dims, options.model_path));
  } else {
    ImportOptions import_options;
    import_options.input_dims = options.input_dims;
    import_options.also_expected =
        ", nor a qforge qgraph (JSON): --model takes an ONNX model or a qgraph written by qforge-onnx-converter";
    QF_ASSIGN_OR_RETURN(graph, load_onnx_file(options.model_path, import_options));
  }
  QF_ASSIGN_OR_RETURN(InputList list, read_input_list(options.input_list_path));
  list.layouts = options.input_layouts;
  QF_ASSIGN_OR_RETURN(std::vector<const Value*> to_write, tensors_to_write(*graph, list, options.debug));
  // A quantized graph was optimized by the converter; its fused tensors are what it has.
  if (!quantized && options.optimize && !options.debug) {
    // Tensors the list asks for become graph outputs, which the passes never fuse away.
    for (const Value* v : to_write)
      if (!graph->is_output(v)) graph->outputs().push_back(const_cast<Value*>(v));
    QF_RETURN_IF_ERROR(run_optimization_passes(*graph));
  }
  ExecutorOptions exec_options;
  exec_options.backend = options.backend;
  exec_options.threads = options.threads;
  auto created = Executor::create(*graph, exec_options);
  if (!created.is_ok()) return created.status().with_context(options.model_path);
  std::unique_ptr<Executor> executor = std::move(*created);
  for (const auto& [node, why] : executor->fallbacks())
    spdlog::debug("node '{}' runs on the reference backend: {}", node, why);
  for (const NodePlacement& p : executor->placements())
    if (p.how == "float") spdlog::debug("node '{}' runs in float: {}", p.node, p.why);
  if (quantized) {
    spdlog::info("{}", placement_summary(executor->placements()));
  } else if (!executor->fallbacks().empty()) {
    spdlog::info("{} of {} nodes run on the reference backend (--log_level debug names them)",
                 executor->fallbacks().size(), graph->nodes().size());
  }

  const auto lines = static_cast<int64_t>(list.inferences.size());
  const int64_t total = options.num_inferences >= 0 ? options.num_inferences : lines;
  // Every file this run reads, before anything is written or removed: a bad file on line 11 would
  // otherwise fail after 10 inferences and leave their Result folders behind. (After the executor:
  // a model that cannot run at all, one too large for memory, is the error to report first.)
  QF_RETURN_IF_ERROR(check_input_files(list, *graph, static_cast<size_t>(std::min(total, lines))));
  const int64_t keep = options.keep_num_outputs >= 0 ? std::min(options.keep_num_outputs, total) : total;
  QF_ASSIGN_OR_RETURN(RunManifest manifest, describe_run(options, list, quantized, total, keep));
  QF_RETURN_IF_ERROR(make_directories(options.output_dir));
  // The folder holds this run only: an earlier run's Result_N (more of them, or other tensors) would
  // otherwise be compared as if this run had written them.
  QF_ASSIGN_OR_RETURN(int64_t cleared, clear_run_folder(options.output_dir));
  if (cleared > 0) spdlog::info("removed the {} Result folders of an earlier run in '{}'", cleared, options.output_dir);
  const bool profile = !options.perf_report_path.empty();
  std::vector<double> latencies;
  for (int64_t i = 0; i < total; ++i) {
    QF_ASSIGN_OR_RETURN(std::vector<Tensor> inputs,
                        load_inference_inputs(list, static_cast<size_t>(i % lines), *graph));
    const auto start = std::chrono::steady_clock::now();
    QF_RETURN_IF_ERROR(executor->run(inputs, profile));
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (i < keep) {
      const std::string dir = (fs::path(options.output_dir) / result_folder_name(i)).string();
      QF_RETURN_IF_ERROR(make_directories(dir));
      for (const Value* v : to_write) {
        const std::string stem = (fs::path(dir) / tensor_file_name(v->name)).string();
        if (options.native_outputs && v->encoding && v->encoding->bitwidth <= 8) {
          // QNN's --use_native_output_files: the codes themselves, under a _native suffix.
          QF_ASSIGN_OR_RETURN(Tensor codes, executor->fetch_codes(v));
          QF_RETURN_IF_ERROR(write_file_atomic(fmt::format("{}{}{}", stem, kNativeSuffix, kRawExtension), codes.bytes(),
                                               codes.nbytes()));
          continue;
        }
        QF_ASSIGN_OR_RETURN(Tensor t, executor->fetch(v));
        QF_RETURN_IF_ERROR(write_raw_float(stem + std::string(kRawExtension), t));
      }
    }
    if (options.show_progress && (i + 1 == total || (i + 1) % 50 == 0))
      std::fprintf(stderr, "\r  %lld/%lld inferences", static_cast<long long>(i + 1), static_cast<long long>(total));
  }
  if (options.show_progress && total > 0) std::fprintf(stderr, "\n");
  spdlog::info("{} inferences, median {:.3f} ms", total, median(latencies));
  if (profile) QF_RETURN_IF_ERROR(write_perf_report(options, *executor, latencies));
  // Last: a manifest says the folder holds a complete run.
  return write_run_manifest(options.output_dir, manifest);
}

}  // namespace qf
