// SPDX-License-Identifier: Apache-2.0
// qforge-onnx-converter: ONNX -> calibrated int8 qgraph + weights blob. Flags follow
// qnn-onnx-converter / qairt-quantizer where those have one.
#include <cctype>

#include "common/cli.h"
#include "core/log.h"
#include "passes/passes.h"
#include "driver/convert.h"
#include "io/dims.h"
#include "io/input_layout.h"
#include "quant/observer_registry.h"

namespace {

// Flags that cannot change the result, left out of the command line the qgraph records (so that
// the same conversion with another thread count is byte-identical).
bool affects_result(std::string_view flag) {
  return flag != "--threads" && flag != "--log_level" && flag != "--quiet" && flag != "-q";
}

bool is_boolean_flag(std::string_view flag) { return flag == "--quiet" || flag == "-q"; }

// What CLI11 takes as a boolean flag's explicit value (qf::cli::add_bool_flag).
bool is_boolean_word(std::string_view word) {
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view w : {"true", "false", "1", "0", "yes", "no", "on", "off"})
    if (lower == w) return true;
  return false;
}

std::vector<std::string> recorded_command_line(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    const std::string_view flag = a.substr(0, a.find('='));
    if (i > 0 && !affects_result(flag)) {
      const bool value_follows = a.find('=') == std::string_view::npos && i + 1 < argc &&
                                 (!is_boolean_flag(flag) || is_boolean_word(argv[i + 1]));
      if (value_follows) ++i;  // skip its value too
      continue;
    }
    out.emplace_back(a);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  qf::init_logging();
  qf::ConvertOptions o;
  qf::cli::CommonFlags common;
  std::vector<std::string> input_dims;
  std::string act_schema = "asymmetric", param_schema = "symmetric";
  std::string act_quantizer, param_quantizer;
  bool disable_bn_folding = false, disable_relu_squashing = false;

  CLI::App app{"qforge-onnx-converter: quantize an ONNX model to a calibrated int8 graph (model.qgraph.json + model.bin)"};
  using qf::cli::add_bool_flag;
  constexpr const char* kInputOutput = "Input and output";
  constexpr const char* kCalibration = "Calibration (activations)";
  constexpr const char* kWeights = "Weights";
  constexpr const char* kOverrides = "Overrides";
  constexpr const char* kPasses = "Passes";
  constexpr const char* kDebug = "Debug";
  app.add_option("--input_network,-i", o.input_network, "The ONNX model")->required()->group(kInputOutput);
  app.add_option("--output_path,-o", o.output_path,
                 "Where to write the quantized graph (model.qgraph.json; the blob model.bin goes beside it). A folder "
                 "(one that exists, or a path ending in '/') gets <model stem>.qgraph.json")
      ->group(kInputOutput);
  app.add_option("--input_list,-l", o.input_list,
                 "Calibration inputs: one inference per line, name:=path.raw entries; each raw file is float32 in the "
                 "model input's layout (NCHW for images) unless --input_layout says otherwise")
      ->group(kInputOutput);
  qf::cli::add_input_dim_option(app, &input_dims, "--input_dim,-d")->group(kInputOutput);
  std::vector<std::string> input_layouts;
  qf::cli::add_input_layout_option(app, &input_layouts)->group(kInputOutput);
  app.add_option("--export_qdq", o.export_qdq, "Also write the quantized model as ONNX QDQ (opset 13)")
      ->group(kInputOutput);
  app.add_option("--dump_encoding_json", o.dump_encoding_json, "Also write every encoding as AIMET 0.6.1 JSON")
      ->group(kInputOutput);
  app.add_option("--act_bw,--act_bitwidth", o.quantizer.act.bitwidth, "Activation bitwidth (8, 16)")
      ->capture_default_str()
      ->group(kCalibration);
  auto* act_cal = app.add_option("--act_quantizer_calibration", o.calibration.observer,
                                 "Activation calibration:\n" + qf::observer_help())
                      ->capture_default_str()
                      ->group(kCalibration);
  auto* act_sch = app.add_option("--act_quantizer_schema", act_schema, "asymmetric, symmetric, unsignedsymmetric")
                      ->capture_default_str()
                      ->group(kCalibration);
  app.add_option("--act_quantizer", act_quantizer, "Legacy QNN quantizer: tf, enhanced, symmetric")
      ->excludes(act_cal)
      ->excludes(act_sch)
      ->group(kCalibration);
  app.add_option("--percentile_calibration_value", o.calibration.observer_options.percentile,
                 "Percentile kept by the percentile calibration, in [90, 100]")
      ->capture_default_str()
      ->group(kCalibration);
  app.add_option("--max_calibration_samples", o.calibration.max_samples, "Calibrate on at most N list lines")
      ->check(CLI::NonNegativeNumber)
      ->group(kCalibration);
  add_bool_flag(app, "--skip_non_finite", &o.calibration.skip_non_finite,
                "Skip NaN / Inf calibration values with a warning")
      ->group(kCalibration);
  app.add_option("--calibration_state_in", o.calibration_state_in, "Merge a saved calibration state (repeatable)")
      ->group(kCalibration);
  app.add_option("--calibration_state_out", o.calibration_state_out, "Save the calibration state (to merge later)")
      ->group(kCalibration);
  app.add_option("--threads", o.calibration.threads, "Threads for calibration (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->group(kCalibration);
  app.add_option("--weight_bw,--weights_bitwidth", o.quantizer.param.bitwidth, "Weight bitwidth (4, 8)")
      ->capture_default_str()
      ->group(kWeights);
  app.add_option("--bias_bw,--bias_bitwidth", o.quantizer.bias_bitwidth, "Bias bitwidth (8, 32)")
      ->capture_default_str()
      ->group(kWeights);
  auto* param_cal = app.add_option("--param_quantizer_calibration", o.quantizer.param_calibration,
                                   "Weight calibration (same choices)")
                        ->capture_default_str()
                        ->group(kWeights);
  auto* param_sch = app.add_option("--param_quantizer_schema", param_schema,
                                   "asymmetric, symmetric, unsignedsymmetric (symmetric by default: oneDNN int8 "
                                   "convolutions have no weight zero point)")
                        ->capture_default_str()
                        ->group(kWeights);
  app.add_option("--param_quantizer", param_quantizer, "Legacy QNN quantizer: tf, enhanced, symmetric")
      ->excludes(param_cal)
      ->excludes(param_sch)
      ->group(kWeights);
  add_bool_flag(app, "--use_per_channel_quantization", &o.per_channel, "Per-channel weights for Conv / ConvTranspose")
      ->group(kWeights);
  add_bool_flag(app, "--use_per_row_quantization", &o.per_row, "Per-row weights for Gemm / MatMul")->group(kWeights);
  std::vector<std::string> algorithms;
  app.add_option("--algorithms,--apply_algorithms", algorithms,
                 "Weight algorithms that use the calibration inputs (needs --input_list):\n"
                 "  adaround  round each weight down or up to minimise the layer's output error\n"
                 "  bc        bias correction: take the rounding's mean output shift off the bias")
      ->delimiter(',')
      ->group(kWeights);
  app.add_option("--quantization_overrides", o.overrides_path, "AIMET encodings JSON (0.6.1 or 1.0.0) that override")
      ->group(kOverrides);
  add_bool_flag(app, "--ignore_quantization_overrides,--ignore_encodings", &o.ignore_overrides,
                "Ignore the model's Q/DQ encodings (and accept no overrides file)")
      ->group(kOverrides);
  add_bool_flag(app, "--ignore_unknown_override_tensors", &o.quantizer.ignore_unknown_overrides,
                "Warn about, rather than refuse, overrides for tensors the model lacks")
      ->group(kOverrides);
  add_bool_flag(app, "--enable_float_fallback,--float_fallback", &o.quantizer.float_fallback,
                "Without an input list: tensors without an encoding stay float")
      ->group(kOverrides);
  add_bool_flag(app, "--disable_batchnorm_folding", &disable_bn_folding, "Keep BatchNormalization nodes")
      ->group(kPasses);
  add_bool_flag(app, "--disable_relu_squashing", &disable_relu_squashing, "Keep Relu / Clip nodes")->group(kPasses);
  std::string smooth_quant;
  app.add_option("--smooth_quant", smooth_quant,
                 "SmoothQuant before calibration (needs --input_list): ALPHA in (0, 1) divides the inputs of MatMul / "
                 "Gemm layers by max|X|^ALPHA / max|W|^(1-ALPHA) per channel where a LayerNorm or linear layer "
                 "makes them; 'auto' picks alpha per layer (or none) by the layer's output error")
      ->group(kPasses);
  std::vector<std::string> disabled_passes;
  app.add_option("--disable_pass", disabled_passes, "Skip a graph pass (repeatable): " + qf::pass_names())
      ->group(kPasses);
  app.add_option("--dump_ir_after", o.dump_ir_after, "Print the graph after this pass (or 'all') to stdout")
      ->group(kDebug);
  qf::cli::add_common_flags(app, "qforge-onnx-converter", &common);
  using qf::StatusCode;
  app.footer(qf::cli::help_footer(
      {
          {StatusCode::kOk, "converted: the qgraph and its blob are written"},
          {StatusCode::kUsage, "usage error: an unknown flag or value, flags that exclude each other"},
          {StatusCode::kBadInput,
           "missing or malformed model, list, raw file or overrides file (checked before calibration: every raw "
           "file's size, every override's tensor name); an output that cannot be written"},
          {StatusCode::kUnsupported, "an op or feature qforge does not implement"},
          {StatusCode::kInternal, "internal error"},
      },
      "qforge-onnx-converter -i resnet18.onnx -l calib/input_list.txt --use_per_channel_quantization -o out/"));

  if (auto code = qf::cli::parse(app, argc, argv, "qforge-onnx-converter")) return *code;

  qf::Status status = common.apply_log_level();
  qf::cli::warn_if_more_threads_than_cores(o.calibration.threads);
  auto set_scheme = [&](const std::string& legacy, const std::string& schema, qf::QuantSchema* out,
                        std::string* calibration) {
    if (!status.is_ok()) return;
    if (!legacy.empty()) {
      auto l = qf::parse_legacy_quantizer(legacy);
      if (!l.is_ok()) {
        status = l.status();
        return;
      }
      *out = l->schema;
      *calibration = std::string(l->calibration);
      return;
    }
    auto s = qf::parse_quant_schema(schema);
    if (!s.is_ok()) {
      status = s.status();
      return;
    }
    *out = *s;
  };
  set_scheme(act_quantizer, act_schema, &o.quantizer.act.schema, &o.calibration.observer);
  set_scheme(param_quantizer, param_schema, &o.quantizer.param.schema, &o.quantizer.param_calibration);
  if (status.is_ok()) status = qf::validate_observer_options(o.calibration.observer_options);
  for (const std::string* name : {&o.calibration.observer, &o.quantizer.param_calibration}) {
    if (status.is_ok()) status = qf::make_observer(*name, o.calibration.observer_options).status();
  }
  if (status.is_ok()) {
    auto dims = qf::parse_input_dims(input_dims);
    if (dims.is_ok()) o.input_dims = *dims;
    else status = dims.status();
  }
  if (status.is_ok()) {
    auto layouts = qf::parse_input_layouts(input_layouts);
    if (layouts.is_ok()) o.input_layouts = *layouts;
    else status = layouts.status();
  }
  if (status.is_ok()) {
    auto parsed = qf::parse_weight_algorithms(algorithms);
    if (parsed.is_ok()) o.algorithms = *parsed;
    else status = parsed.status();
  }
  if (status.is_ok() && !smooth_quant.empty()) {
    auto alpha = qf::parse_smooth_quant_alpha(smooth_quant);
    if (alpha.is_ok()) o.smooth_quant = *alpha;
    else status = alpha.status();
  }
  o.quantizer.observer_options = o.calibration.observer_options;
  o.disabled_passes.insert(disabled_passes.begin(), disabled_passes.end());
  if (disable_bn_folding) o.disabled_passes.insert("fold_batchnorm");
  if (disable_relu_squashing) o.disabled_passes.insert("squash_activations");
  o.calibration.show_progress = common.show_progress();
  o.command_line = recorded_command_line(argc, argv);
  if (status.is_ok()) status = qf::run_converter(o);
  if (!status.is_ok()) return qf::cli::fail(status);
  return 0;
}
