// SPDX-License-Identifier: Apache-2.0
// OpKind: the enum generated from ops.def, and lookups by ONNX name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qf {

enum class OpKind : uint16_t {
#define QF_OP(kind, onnx_name, quant_rule) k##kind,
#include "ir/ops.def"
};

inline constexpr int kNumOpKinds = 0
#define QF_OP(kind, onnx_name, quant_rule) +1
#include "ir/ops.def"
    ;

enum class QuantRule : uint8_t { kOwn, kSameAsIn, kShared, kNone };

std::string_view op_name(OpKind kind);
QuantRule op_quant_rule(OpKind kind);

struct OpLookup {
  OpKind kind;          // the canonical kind the node becomes
  bool is_alias;        // the ONNX op is rewritten into `kind` by the importer (Upsample -> Resize)
};
std::optional<OpLookup> op_from_onnx(std::string_view onnx_name);

}  // namespace qf
