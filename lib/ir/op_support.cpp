// SPDX-License-Identifier: Apache-2.0
#include "ir/op_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ir/op_kind.h"

namespace qf {
namespace {

std::string_view encoding_rule(QuantRule rule) {
  switch (rule) {
    case QuantRule::kOwn: return "own (calibrated)";
    case QuantRule::kSameAsIn: return "its input's";
    case QuantRule::kWithinInput: return "own, else its input's";
    case QuantRule::kShared: return "one shared by inputs and output";
    case QuantRule::kUnitInterval: return "[0, 1]";
    case QuantRule::kNone: return "none (not a float activation)";
  }
  return "?";
}

std::string_view weight_axis(WeightAxis axis) {
  switch (axis) {
    case WeightAxis::kNone: return "";
    case WeightAxis::kConvOutput: return "per channel: axis 0";
    case WeightAxis::kConvTransposeOutput: return "per channel: axis 1";
    case WeightAxis::kGemmOutput: return "per row: axis 0 with transB, else 1";
    case WeightAxis::kMatMulOutput: return "per row: B's last axis";
  }
  return "";
}

std::string kernel_names(OpKind kind, std::initializer_list<std::pair<KernelSet, std::string_view>> families,
                         bool reference) {
  std::string names = reference ? "reference" : "";
  for (const auto& [set, name] : families)
    if (op_kernels(kind) & set) names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  return names.empty() ? "—" : names;
}

}  // namespace

std::string operator_support_markdown() {
  std::string out =
      "# Operators\n\n"
      "Generated from the op table, `lib/ir/ops.def` (`tests/unit/test_op_table.cpp` fails when this file\n"
      "differs from it and writes the current matrix to `build/tests/operators.md`; it also fails when a\n"
      "backend's kernel list and the table disagree).\n\n"
      "- **fp32**: the kernels that run the op in float. Every op has the reference kernel (naive loops,\n"
      "  the oracle); `--backend onednn` (the default) runs oneDNN's where it has one.\n"
      "- **int8 form**: what the op computes on a quantized graph's codes. *linear*: integer\n"
      "  accumulation and one requantize, bias and activation fused; *average*: the same with unit\n"
      "  weights; *moves codes*: the codes move unchanged (one encoding in and out); *pools codes*: max /\n"
      "  average pooling of codes on one grid; *table*: a 256-entry table of the float path's codes;\n"
      "  *table or binary*: a table with a constant scalar operand, else per element of two activations;\n"
      "  *float*: dequantize, run in float, quantize.\n"
      "- **int8 kernels**: *reference* (the oracle, `--backend reference`), *oneDNN* (its int8\n"
      "  primitives), *x86* (qforge's AVX-512 VNNI kernels). A node a kernel declines runs on the next one,\n"
      "  then in float; `qforge-net-run --perf_report` says which ran and why.\n"
      "- **encoding**: how the output's encoding relates to the inputs'; **weights**: how\n"
      "  `--use_per_channel_quantization` / `--use_per_row_quantization` slice the weights.\n\n"
      "| op | opsets | fp32 | int8 form | int8 kernels | encoding | weights |\n"
      "|---|---|---|---|---|---|---|\n";
  std::vector<OpKind> kinds;
  for (int k = 0; k < kNumOpKinds; ++k) kinds.push_back(static_cast<OpKind>(k));
  std::sort(kinds.begin(), kinds.end(), [](OpKind a, OpKind b) { return op_name(a) < op_name(b); });
  for (OpKind kind : kinds) {
    const Int8Form form = op_int8_form(kind);
    out += fmt::format("| {} | {}–{} | {} | {} | {} | {} | {} |\n", op_name(kind),
                       std::max<int64_t>(kMinOpset, op_since_opset(kind)), kMaxOpset,
                       kernel_names(kind, {{kOnednnFp32, "oneDNN"}}, true), int8_form_name(form),
                       form == Int8Form::kFloat
                           ? std::string("—")
                           : kernel_names(kind, {{kReferenceInt8, "reference"}, {kOnednnInt8, "oneDNN"}, {kX86Int8, "x86"}},
                                          false),
                       encoding_rule(op_quant_rule(kind)), weight_axis(op_weight_axis(kind)));
  }
  out += "\nImported under another name:\n\n";
  for (const OpAlias& alias : op_aliases())
    out += fmt::format("- `{}` becomes `{}`\n", alias.onnx_name, op_name(alias.canonical));
  return out;
}

}  // namespace qf
