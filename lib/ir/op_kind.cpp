// SPDX-License-Identifier: Apache-2.0
#include "ir/op_kind.h"

#include <cctype>
#include <cstdint>

namespace qf {
namespace {

struct OpInfo {
  std::string_view name;
  int since;
  QuantRule quant_rule;
  std::string_view input_roles;
  WeightAxis weight_axis;
  uint32_t traits;
  Int8Form int8_form;
  uint32_t kernels;
};

constexpr OpInfo kOps[] = {
#define QF_OP(kind, onnx_name, since, quant_rule, input_roles, weight_axis, traits, int8_form, kernels) \
  {onnx_name, since, QuantRule::quant_rule, input_roles, WeightAxis::weight_axis, traits, Int8Form::int8_form, kernels},
#include "ir/ops.def"
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == kNumOpKinds);

constexpr OpAlias kAliases[] = {
#define QF_OP(kind, ...)
#define QF_ALIAS(kind, onnx_name, canonical) {onnx_name, OpKind::k##canonical},
#include "ir/ops.def"
};

const OpInfo& info(OpKind kind) { return kOps[static_cast<size_t>(kind)]; }

}  // namespace

std::string_view op_name(OpKind kind) { return info(kind).name; }
int op_since_opset(OpKind kind) { return info(kind).since; }
QuantRule op_quant_rule(OpKind kind) { return info(kind).quant_rule; }
WeightAxis op_weight_axis(OpKind kind) { return info(kind).weight_axis; }
bool op_has_trait(OpKind kind, OpTrait trait) { return (info(kind).traits & trait) != 0; }
Int8Form op_int8_form(OpKind kind) { return info(kind).int8_form; }
uint32_t op_kernels(OpKind kind) { return info(kind).kernels; }

std::string_view int8_form_name(Int8Form form) {
  switch (form) {
    case Int8Form::kFloat: return "float";
    case Int8Form::kLinear: return "linear";
    case Int8Form::kAverage: return "average";
    case Int8Form::kMoveCodes: return "moves codes";
    case Int8Form::kPoolCodes: return "pools codes";
    case Int8Form::kTable: return "table";
    case Int8Form::kTableOrBinary: return "table or binary";
    case Int8Form::kRowwise: return "rowwise";
  }
  return "?";
}

InputRole op_input_role(OpKind kind, size_t index) {
  const std::string_view roles = info(kind).input_roles;
  char letter = 'p';
  if (index < roles.size() && roles[index] != '*') {
    letter = roles[index];
  } else if (roles.size() >= 2 && roles.back() == '*' && index >= roles.size() - 2) {
    letter = roles[roles.size() - 2];
  }
  switch (std::tolower(static_cast<unsigned char>(letter))) {
    case 'a': return InputRole::kData;
    case 'w': return InputRole::kWeight;
    case 'b': return InputRole::kBias;
    default: return InputRole::kParam;
  }
}

std::optional<size_t> onnx_input_limit(OpKind kind) {
  const std::string_view roles = info(kind).input_roles;
  for (size_t i = 0; i < roles.size(); ++i)
    if (std::isupper(static_cast<unsigned char>(roles[i]))) return i;
  return std::nullopt;
}

std::optional<OpLookup> op_from_onnx(std::string_view onnx_name) {
  for (size_t i = 0; i < std::size(kOps); ++i)
    if (kOps[i].name == onnx_name) return OpLookup{static_cast<OpKind>(i), false};
  for (const auto& a : kAliases)
    if (a.onnx_name == onnx_name) return OpLookup{a.canonical, true};
  return std::nullopt;
}

std::span<const OpAlias> op_aliases() { return kAliases; }

}  // namespace qf
