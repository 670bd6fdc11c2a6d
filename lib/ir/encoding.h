// SPDX-License-Identifier: Apache-2.0
// Encoding: the one place where a real range becomes (scale, offset) and where values are quantized
// and dequantized. Conventions are QNN/AIMET's, so encodings round-trip through their JSON files.
//
// Conventions (all of qforge uses these; do not re-derive them elsewhere):
//   x = (q + offset) * scale                       dequantize, q an integer in [qmin, qmax]
//   q = clamp(round_half_even(x / scale) - offset)  quantize; NaN maps to the zero point
//   offset = round(min / scale) - qmin = -zero_point (QNN/AIMET stored offset, <= 0 when unsigned)
//   unsigned grids have q in [0, 2^bw - 1]; signed grids q in [-2^(bw-1), 2^(bw-1) - 1].
// The real value 0 is always exactly representable (q = -offset), as gemmlowp and QNN require.
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/rounding.h"
#include "core/status.h"
#include "core/tensor.h"

namespace qf {

// How a range becomes a grid (QNN --act_quantizer_schema / --param_quantizer_schema).
enum class QuantSchema : uint8_t {
  kAsymmetric,         // unsigned grid over [min, max] (zero included), offset <= 0; QNN's default
  kSymmetric,          // signed grid, offset 0, scale = absmax / (2^(bw-1) - 1): [-128s, 127s] at 8 bit
  kUnsignedSymmetric,  // offset 0 on an unsigned grid (scale = max / (2^bw - 1)) when the range is
                       // non-negative, otherwise exactly kSymmetric
};

struct QuantScheme {
  QuantSchema schema = QuantSchema::kAsymmetric;
  int bitwidth = 8;
};

// Smallest range (max - min) an encoding may cover; QNN enforces max >= min + 0.0001.
inline constexpr double kMinEncodingRange = 1e-4;
inline constexpr int kMinBitwidth = 2;
inline constexpr int kMaxBitwidth = 32;

// The bitwidths the converter flags accept (QNN: --act_bw, --weight_bw, --bias_bw).
inline constexpr std::array<int, 2> kActBitwidths = {8, 16};
inline constexpr std::array<int, 2> kWeightBitwidths = {4, 8};
inline constexpr std::array<int, 2> kBiasBitwidths = {8, 32};
// usage_error naming the flag and the allowed values unless bitwidth is one of them.
Status check_bitwidth(std::string_view flag, int bitwidth, std::span<const int> allowed);

std::string_view quant_schema_name(QuantSchema schema);
// "asymmetric", "symmetric", "unsignedsymmetric"; anything else is a usage error listing these.
Result<QuantSchema> parse_quant_schema(std::string_view name);
std::span<const std::string_view> quant_schema_names();

// The legacy QNN --act_quantizer / --param_quantizer values, expressed as schema + calibration
// (a name in the observer registry): tf = asymmetric min-max, enhanced = asymmetric sqnr (AIMET's
// TF-enhanced is its SQNR analyzer), symmetric = symmetric min-max.
struct LegacyQuantizer {
  QuantSchema schema;
  std::string_view calibration;
};
Result<LegacyQuantizer> parse_legacy_quantizer(std::string_view name);
std::span<const std::string_view> legacy_quantizer_names();

struct Encoding {
  int bitwidth = 8;
  bool is_signed = false;       // grid (and storage) signedness; see the conventions above
  bool symmetric = false;       // produced by a symmetric schema: offset is 0 on every channel
  std::vector<float> scale;     // one entry per tensor, or one per channel along `axis`
  std::vector<int64_t> offset;  // same length as scale
  int axis = -1;                // -1: per tensor

  bool per_channel() const { return axis >= 0; }
  size_t channels() const { return scale.size(); }
  int64_t qmin() const;
  int64_t qmax() const;
  int64_t zero_point(size_t channel = 0) const { return -offset[channel]; }
  // The representable (nudged) range of a channel: [(qmin + offset) * scale, (qmax + offset) * scale].
  float min(size_t channel = 0) const;
  float max(size_t channel = 0) const;
  // The smallest DType that holds every q: s8/u8 up to 8 bits, s32 up to 31 bits and signed 32,
  // s64 for unsigned 32 (DType has no 16-bit integers).
  DType storage_dtype() const;
  // The same real grid seen with the other signedness: q shifts by 2^(bw-1) and offset by the
  // opposite amount (symmetric int8 offset 0 <-> the legacy AIMET unsigned view, offset -128).
  Encoding with_signedness(bool is_signed) const;
};

std::string to_string(const Encoding& e);

// Where a tensor's encoding came from, by precedence: an overrides file beats Q/DQ nodes in the
// model, which beat the op's own range (kOpRange: a Softmax's [0, 1]), which beats calibration;
// kPropagated copies another tensor's encoding (data movement ops, shared Concat encodings, fused
// activations).
enum class EncodingSource : uint8_t { kCalibration, kOverride, kQdq, kPropagated, kOpRange };
std::string_view encoding_source_name(EncodingSource source);
std::optional<EncodingSource> encoding_source_from_name(std::string_view name);

// THE formula: the encoding of [min, max] under a scheme. Steps, in order:
//   1. include zero: min = min(min, 0), max = max(max, 0);
//   2. minimum range: max = max(max, min + kMinEncodingRange);
//   3. asymmetric: scale = (max - min) / (2^bw - 1), offset = round(min / scale) (scale as stored);
//      symmetric:  scale = max(-min, max) / (2^(bw-1) - 1), offset 0, signed grid;
//      unsignedsymmetric: scale = max / (2^bw - 1), offset 0, unsigned grid if min >= 0, else symmetric.
// The scale is computed in double and stored as float; offsets round half to even. min and max must
// be finite with min <= max (bad_input otherwise); the bitwidth must lie in [2, 32] (usage error).
Result<Encoding> compute_encoding(float min, float max, const QuantScheme& scheme);
// One encoding per channel from per-channel ranges, all on one grid signedness (for
// unsignedsymmetric the grid is unsigned only when every channel is non-negative).
Result<Encoding> compute_encoding_per_channel(std::span<const float> mins, std::span<const float> maxs,
                                              int axis, const QuantScheme& scheme);

// Per-slice min and max of a float tensor along axis (all of it when axis < 0: one entry).
// Per-channel Conv weights use axis 0 ([M, C/g, kH, kW]); per-row MatMul/Gemm weights use the
// output-feature axis: 1 for MatMul B [K, N] and Gemm with transB = 0, 0 for Gemm with transB = 1.
struct ChannelRanges {
  std::vector<float> mins;
  std::vector<float> maxs;
};
Result<ChannelRanges> channel_ranges(const Tensor& t, int axis);

// Bias encoding. bitwidth 32: scale[c] = s_in * s_w[c], offset 0, signed (the ONNX QLinearConv and
// TFLite rule), per channel along axis 0 when the weights are per-channel; input must be per tensor.
// bitwidth 8: the bias gets its own per-tensor encoding from its values under the param schema.
Result<Encoding> bias_encoding(int bitwidth, const Encoding& input, const Encoding& weight,
                               const Tensor& bias, QuantSchema param_schema);

// THE quantize formula, as every float -> code path runs it (weights at conversion, activations
// and tables at run time, ONNX QuantizeLinear), in float32 as ONNX's QuantizeLinear is defined:
//   q = saturate(round_half_even(x / s) + z)     x / s a float32 division; NaN -> z
// One channel of a grid of up to 16 bits, its constants hoisted for loops. The clamp comes before
// the rounding (the bounds are integers, so the order does not matter) because
// round_half_even_small is exact only below 2^22, and because it vectorizes.
struct CodeGrid {
  static constexpr int kWidestBitwidth = 16;
  float scale;
  int32_t zero;
  float lo, hi;  // qmin - zero, qmax - zero

  explicit CodeGrid(const Encoding& e, size_t channel = 0)
      : CodeGrid(e.scale[channel], static_cast<int32_t>(-e.offset[channel]), e.qmin(), e.qmax()) {}
  CodeGrid(float scale_, int32_t zero_, int64_t qmin, int64_t qmax)
      : scale(scale_), zero(zero_), lo(static_cast<float>(qmin - zero_)), hi(static_cast<float>(qmax - zero_)) {}

  float dequantize(int32_t q) const { return static_cast<float>(q - zero) * scale; }
  int32_t quantize(float x) const {
    float v = x / scale;
    v = v == v ? v : 0.f;
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return static_cast<int32_t>(round_half_even_small(v)) + zero;
  }
};

// The same formula for any channel of any grid: CodeGrid's steps up to 16 bits; wider grids (an
// int32 bias on the grid s_in x s_w) divide in double, since their codes pass float's 2^24
// exact integers: a float32 quotient of 3e7 is a multiple of 2, and would round the bias so.
int64_t quantize_value(float x, const Encoding& e, size_t channel = 0);
float dequantize_value(int64_t q, const Encoding& e, size_t channel = 0);

// Whole tensors: per tensor, or per channel along e.axis. quantize takes float32 and returns
// e.storage_dtype(), refusing a NaN (bad_input); dequantize takes any integer dtype and returns
// float32.
Result<Tensor> quantize(const Tensor& x, const Encoding& e);
Result<Tensor> dequantize(const Tensor& q, const Encoding& e);

}  // namespace qf
