// SPDX-License-Identifier: Apache-2.0
#include "driver/convert.h"

#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "core/log.h"
#include "core/sha256.h"
#include "io/atomic_file.h"
#include "io/input_list.h"
#include "ir/dump.h"
#include "onnx/export_qdq.h"
#include "driver/load_model.h"
#include "package/qgraph.h"
#include "passes/passes.h"
#include "quant/plan.h"

namespace qf {
namespace {

constexpr std::string_view kDumpAll = "all";

nlohmann::json options_json(const ConvertOptions& o, const CalibrationState& state,
                            const std::optional<SmoothQuantReport>& smoothing) {
  const QuantizerOptions& q = o.quantizer;
  nlohmann::json j = {
      {"act_bw", q.act.bitwidth},
      {"weight_bw", q.param.bitwidth},
      {"bias_bw", q.bias_bitwidth},
      {"act_quantizer_schema", quant_schema_name(q.act.schema)},
      {"param_quantizer_schema", quant_schema_name(q.param.schema)},
      {"act_quantizer_calibration", o.calibration.observer},
      {"param_quantizer_calibration", q.param_calibration},
      {"use_per_channel_quantization", o.per_channel},
      {"use_per_row_quantization", o.per_row},
      {"algorithms", o.algorithms.names()},
      {"calibration_inferences", state.inferences()},
      {"quantization_overrides", o.overrides_path.empty() ? nlohmann::json() : nlohmann::json(std::filesystem::path(o.overrides_path).filename().string())},
      {"enable_float_fallback", q.float_fallback},
      {"disabled_passes", std::vector<std::string>(o.disabled_passes.begin(), o.disabled_passes.end())},
  };
  if (smoothing) j["smooth_quant"] = smoothing->to_json();
  if (o.calibration.observer == "percentile" || q.param_calibration == "percentile")
    j["percentile_calibration_value"] = o.calibration.observer_options.percentile;
  return j;
}

// Activations an override names are quantization points the passes keep (fuse_residual_add will
// not fuse one away): they carry their override's encoding from the start.
void mark_override_points(Graph& graph, const QuantizationOverrides& overrides) {
  for (const auto& [name, o] : overrides.activations) {
    Value* v = graph.find_value(name);
    if (!v || o.keep_float || o.encoding.channels() != 1 || v->is_constant()) continue;
    v->encoding = o.encoding;
    v->encoding_source = EncodingSource::kOverride;
  }
}

Status write_outputs(Graph& graph, const ConvertOptions& options, const std::string& qgraph_path,
                     const CalibrationState& state, const std::optional<SmoothQuantReport>& smoothing,
                     const std::string& source_sha256) {
  if (!options.dump_encoding_json.empty())
    QF_RETURN_IF_ERROR(write_file_atomic(options.dump_encoding_json, write_aimet_encodings(graph)));
  QF_RETURN_IF_ERROR(quantize_constants(graph));
  PackageProvenance provenance{options.command_line, options.input_network, source_sha256, options_json(options, state, smoothing)};
  QF_RETURN_IF_ERROR(write_package(graph, provenance, qgraph_path));
  spdlog::info("wrote {} and {}", qgraph_path, blob_path_for(qgraph_path));
  if (!options.export_qdq.empty()) {
    QF_RETURN_IF_ERROR(export_qdq_onnx(graph, options.export_qdq));
    spdlog::info("wrote {}", options.export_qdq);
  }
  return Status::ok();
}

Status run_weight_algorithms(Graph& graph, const LayerInputMoments& layer_inputs, const ConvertOptions& options) {
  QF_ASSIGN_OR_RETURN(WeightAlgorithmsReport r,
                      apply_weight_algorithms(graph, layer_inputs, options.algorithms, options.quantizer));
  const auto mean = [&](double total) { return r.layers > 0 ? total / static_cast<double>(r.layers) : 0.0; };
  spdlog::info("{}: {} layers, {} of {} weight codes moved off nearest rounding, {} biases added; layer output "
               "error from weight rounding on the calibration inputs (mean over layers, relative to the "
               "output's mean square): nearest {:.3g}, now {:.3g}",
               fmt::join(options.algorithms.names(), " + "), r.layers, r.moved_codes, r.codes, r.added_biases,
               mean(r.error_nearest), mean(r.error_chosen));
  return Status::ok();
}

}  // namespace

Status validate_convert_options(const ConvertOptions& o) {
  if (o.input_network.empty()) return usage_error("--input_network is required");
  if (o.output_path.empty() && o.calibration_state_out.empty())
    return usage_error("--output_path is required (or --calibration_state_out to only calibrate)");
  if (o.ignore_overrides && !o.overrides_path.empty())
    return usage_error("--ignore_quantization_overrides and --quantization_overrides exclude each other");
  if (o.quantizer.float_fallback && !o.input_list.empty())
    return usage_error("--enable_float_fallback is for conversions without an --input_list");
  if (o.quantizer.float_fallback && o.ignore_overrides)
    return usage_error("--enable_float_fallback uses the model's own encodings; it excludes --ignore_quantization_overrides");
  if (!o.calibration_state_out.empty() && o.input_list.empty() && o.calibration_state_in.empty())
    return usage_error("--calibration_state_out needs an --input_list (or --calibration_state_in) to calibrate");
  if (o.algorithms.any() && o.input_list.empty())
    return usage_error("--algorithms {} need(s) an --input_list: they work from the layers' calibration inputs",
                       fmt::join(o.algorithms.names(), ","));
  if (o.smooth_quant && o.input_list.empty())
    return usage_error("--smooth_quant needs an --input_list: its scales come from the activations' ranges");
  if (o.smooth_quant && (!o.calibration_state_in.empty() || !o.calibration_state_out.empty()))
    return usage_error("--smooth_quant rewrites the graph from one pass over the whole input list; it excludes "
                       "--calibration_state_in / --calibration_state_out");
  if (!o.input_layouts.empty() && o.input_list.empty())
    return usage_error("--input_layout is about the raw files of an --input_list, and there is none");
  if (o.output_path.empty() && (!o.export_qdq.empty() || !o.dump_encoding_json.empty()))
    return usage_error("--export_qdq and --dump_encoding_json need --output_path");
  QF_RETURN_IF_ERROR(check_bitwidth("--act_bw", o.quantizer.act.bitwidth, kActBitwidths));
  QF_RETURN_IF_ERROR(check_bitwidth("--weight_bw", o.quantizer.param.bitwidth, kWeightBitwidths));
  QF_RETURN_IF_ERROR(check_bitwidth("--bias_bw", o.quantizer.bias_bitwidth, kBiasBitwidths));
  if (!o.dump_ir_after.empty() && o.dump_ir_after != kDumpAll) {
    bool known = false;
    for (const PassInfo& p : optimization_passes()) known = known || p.name == o.dump_ir_after;
    if (!known) return usage_error("--dump_ir_after: unknown pass '{}' (all, {})", o.dump_ir_after, pass_names());
  }
  return Status::ok();
}

Status run_converter(const ConvertOptions& options) {
  QF_RETURN_IF_ERROR(validate_convert_options(options));
  const std::string qgraph_path =
      options.output_path.empty() ? "" : qgraph_output_path(options.output_path, options.input_network);
  // Every output is tried before the model is read: a path that cannot be written fails in a
  // moment instead of after calibration.
  for (const std::string& out : {qgraph_path, qgraph_path.empty() ? "" : blob_path_for(qgraph_path),
                                 options.dump_encoding_json, options.export_qdq, options.calibration_state_out}) {
    if (out.empty()) continue;
    QF_RETURN_IF_ERROR(make_parent_directories(out));
    QF_RETURN_IF_ERROR(check_writable(out));
  }
  QF_ASSIGN_OR_RETURN(std::string source_sha256, sha256_file(options.input_network));
  ImportOptions import_options;
  import_options.input_dims = options.input_dims;
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, load_onnx_file(options.input_network, import_options));
  Graph& g = *graph;

  QF_ASSIGN_OR_RETURN(bool had_qdq, absorb_qdq(g, !options.ignore_overrides));
  std::optional<QuantizationOverrides> overrides;
  if (!options.overrides_path.empty()) {
    QF_ASSIGN_OR_RETURN(overrides, read_quantization_overrides(options.overrides_path));
    mark_override_points(g, *overrides);
  }
  if (had_qdq) spdlog::info("took the encodings of the model's QuantizeLinear/DequantizeLinear nodes");
  PipelineOptions pipeline;
  pipeline.disabled = options.disabled_passes;
  if (!options.dump_ir_after.empty()) {
    pipeline.after_pass = [&](std::string_view pass, const Graph& after) {
      if (options.dump_ir_after != kDumpAll && options.dump_ir_after != pass) return;
      std::printf("# after %.*s\n%s", static_cast<int>(pass.size()), pass.data(), dump_graph(after).c_str());
    };
  }
  QF_RETURN_IF_ERROR(run_optimization_passes(g, pipeline).with_context(options.input_network));
  // The cheap checks before calibration, whose cost grows with the list: override names (after the
  // passes, which may have renamed a tensor an override names) and the list itself (calibrate()
  // checks every raw file it names before its first inference, also when SmoothQuant's measuring
  // pass runs it first).
  if (overrides) QF_RETURN_IF_ERROR(check_override_tensors(g, *overrides, options.quantizer.ignore_unknown_overrides));
  std::optional<InputList> list;
  if (!options.input_list.empty()) {
    QF_ASSIGN_OR_RETURN(list, read_input_list(options.input_list));
    list->layouts = options.input_layouts;
  }
  std::optional<SmoothQuantReport> smoothing;
  if (options.smooth_quant) {
    SmoothQuantOptions smooth{*options.smooth_quant, options.quantizer.act, options.quantizer.param, options.per_row};
    QF_ASSIGN_OR_RETURN(smoothing, smooth_quant(g, *list, options.calibration, smooth));
  }

  QF_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, PlanOptions{options.per_channel, options.per_row}));

  QF_ASSIGN_OR_RETURN(CalibrationState state, CalibrationState::create(plan, options.calibration));
  LayerInputMoments layer_inputs;
  if (options.algorithms.any()) layer_inputs = LayerInputMoments::for_graph(g);
  for (const std::string& path : options.calibration_state_in) {
    QF_ASSIGN_OR_RETURN(CalibrationState part, read_calibration_state(path, plan, options.calibration));
    QF_RETURN_IF_ERROR(state.merge(part, path));
  }
  if (list) {
    spdlog::info("calibrating {} activation groups with {} over {}", plan.groups.size(), options.calibration.observer,
                 options.input_list);
    InferenceHook also;
    if (options.algorithms.any()) also = [&](const Executor& e) { return layer_inputs.observe(e); };
    QF_RETURN_IF_ERROR(calibrate(g, plan, *list, options.calibration, state, also));
  }
  if (!options.calibration_state_out.empty()) {
    QF_RETURN_IF_ERROR(write_calibration_state(options.calibration_state_out, state));
    spdlog::info("wrote the calibration state of {} inferences to {}", state.inferences(), options.calibration_state_out);
  }
  if (options.output_path.empty()) return Status::ok();

  QF_RETURN_IF_ERROR(assign_encodings(g, plan, options.quantizer, overrides ? &*overrides : nullptr,
                                      state.inferences() > 0 ? &state : nullptr));
  if (options.algorithms.any()) QF_RETURN_IF_ERROR(run_weight_algorithms(g, layer_inputs, options));
  return write_outputs(g, options, qgraph_path, state, smoothing, source_sha256);
}

}  // namespace qf
