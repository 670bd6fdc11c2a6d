// SPDX-License-Identifier: Apache-2.0
// OpKind: the enum generated from ops.def, the per-op facts of its columns, and lookups by ONNX
// name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace qf {

enum class OpKind : uint16_t {
#define QF_OP(kind, ...) k##kind,
#include "ir/ops.def"
};

// The default-domain opsets qforge reads (the importer enforces them, docs/operators.md states them).
inline constexpr int64_t kMinOpset = 7;
inline constexpr int64_t kMaxOpset = 21;

inline constexpr int kNumOpKinds = 0
#define QF_OP(kind, ...) +1
#include "ir/ops.def"
    ;

enum class QuantRule : uint8_t { kOwn, kSameAsIn, kWithinInput, kShared, kUnitInterval, kNone };

// How the quantizer treats an op's input (ops.def's InputRoles).
enum class InputRole : uint8_t { kData, kWeight, kBias, kParam };

// Which axis of the op's weights indexes output channels (ops.def's WeightAxis).
enum class WeightAxis : uint8_t { kNone, kConvOutput, kConvTransposeOutput, kGemmOutput, kMatMulOutput };

// ops.def's Traits.
enum OpTrait : uint32_t { kFusesActivation = 1u << 0, kCommutative = 1u << 1 };

// ops.def's Int8Form: what the op computes on codes in a quantized graph (runtime/int8.h).
enum class Int8Form : uint8_t { kFloat, kLinear, kAverage, kMoveCodes, kPoolCodes, kTable, kTableOrBinary, kRowwise };

// ops.def's Kernels: the kernels beyond the float32 reference kernel that every op has.
enum KernelSet : uint32_t {
  kOnednnFp32 = 1u << 0,
  kReferenceInt8 = 1u << 1,
  kOnednnInt8 = 1u << 2,
  kX86Int8 = 1u << 3,
};

std::string_view op_name(OpKind kind);
int op_since_opset(OpKind kind);
QuantRule op_quant_rule(OpKind kind);
// The role of input `index`; inputs past the table's end are parameters.
InputRole op_input_role(OpKind kind, size_t index);
// How many inputs ONNX's op takes when qforge's takes more (ops.def's upper-case roles: MatMul's
// bias, Softmax's mask); nullopt when they agree.
std::optional<size_t> onnx_input_limit(OpKind kind);
WeightAxis op_weight_axis(OpKind kind);
bool op_has_trait(OpKind kind, OpTrait trait);
Int8Form op_int8_form(OpKind kind);
// ops.def's Kernels column of `kind`: KernelSet bits.
uint32_t op_kernels(OpKind kind);
std::string_view int8_form_name(Int8Form form);

struct OpLookup {
  OpKind kind;          // the canonical kind the node becomes
  bool is_alias;        // the ONNX op is rewritten into `kind` by the importer (Upsample -> Resize)
};
std::optional<OpLookup> op_from_onnx(std::string_view onnx_name);

struct OpAlias {
  std::string_view onnx_name;
  OpKind canonical;
};
std::span<const OpAlias> op_aliases();

}  // namespace qf
