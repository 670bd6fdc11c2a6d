// SPDX-License-Identifier: Apache-2.0
#include "ir/op_kind.h"

#include <cstdint>

namespace qf {
namespace {

struct OpInfo {
  std::string_view name;
  QuantRule quant_rule;
  std::string_view input_roles;
};

constexpr OpInfo kOps[] = {
#define QF_OP(kind, onnx_name, quant_rule, input_roles) {onnx_name, QuantRule::quant_rule, input_roles},
#include "ir/ops.def"
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == kNumOpKinds);

struct AliasInfo {
  std::string_view name;
  OpKind canonical;
};

constexpr AliasInfo kAliases[] = {
#define QF_OP(kind, onnx_name, quant_rule, input_roles)
#define QF_ALIAS(kind, onnx_name, canonical) {onnx_name, OpKind::k##canonical},
#include "ir/ops.def"
};

}  // namespace

std::string_view op_name(OpKind kind) { return kOps[static_cast<size_t>(kind)].name; }
QuantRule op_quant_rule(OpKind kind) { return kOps[static_cast<size_t>(kind)].quant_rule; }

InputRole op_input_role(OpKind kind, size_t index) {
  const std::string_view roles = kOps[static_cast<size_t>(kind)].input_roles;
  char letter = 'p';
  if (index < roles.size() && roles[index] != '*') {
    letter = roles[index];
  } else if (roles.size() >= 2 && roles.back() == '*' && index >= roles.size() - 2) {
    letter = roles[roles.size() - 2];
  }
  switch (letter) {
    case 'a': return InputRole::kData;
    case 'w': return InputRole::kWeight;
    case 'b': return InputRole::kBias;
    default: return InputRole::kParam;
  }
}

std::optional<OpLookup> op_from_onnx(std::string_view onnx_name) {
  for (size_t i = 0; i < std::size(kOps); ++i)
    if (kOps[i].name == onnx_name) return OpLookup{static_cast<OpKind>(i), false};
  for (const auto& a : kAliases)
    if (a.name == onnx_name) return OpLookup{a.canonical, true};
  return std::nullopt;
}

}  // namespace qf
