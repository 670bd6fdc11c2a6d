// SPDX-License-Identifier: Apache-2.0
// OpKind: the enum generated from ops.def, and lookups by ONNX name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qf {

enum class OpKind : uint16_t {
#define QF_OP(kind, onnx_name, quant_rule, input_roles) k##kind,
#include "ir/ops.def"
};

inline constexpr int kNumOpKinds = 0
#define QF_OP(kind, onnx_name, quant_rule, input_roles) +1
#include "ir/ops.def"
    ;

enum class QuantRule : uint8_t { kOwn, kSameAsIn, kWithinInput, kShared, kUnitInterval, kNone };

// How the quantizer treats an op's input (ops.def's InputRoles).
enum class InputRole : uint8_t { kData, kWeight, kBias, kParam };

std::string_view op_name(OpKind kind);
QuantRule op_quant_rule(OpKind kind);
// The role of input `index`; inputs past the table's end are parameters.
InputRole op_input_role(OpKind kind, size_t index);

struct OpLookup {
  OpKind kind;          // the canonical kind the node becomes
  bool is_alias;        // the ONNX op is rewritten into `kind` by the importer (Upsample -> Resize)
};
std::optional<OpLookup> op_from_onnx(std::string_view onnx_name);

}  // namespace qf
