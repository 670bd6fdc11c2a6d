// SPDX-License-Identifier: Apache-2.0
// The scale/offset formula, quantize and dequantize (conventions in encoding.h).
#include "ir/encoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qf {
namespace {

constexpr std::array<std::string_view, 3> kSchemaNames = {"asymmetric", "symmetric", "unsignedsymmetric"};
constexpr std::array<std::string_view, 3> kLegacyNames = {"tf", "enhanced", "symmetric"};

std::string join(std::span<const std::string_view> names) {
  std::string s;
  for (std::string_view n : names) s += fmt::format("{}{}", s.empty() ? "" : ", ", n);
  return s;
}

int64_t unsigned_steps(int bitwidth) { return (int64_t{1} << bitwidth) - 1; }
int64_t signed_positive_steps(int bitwidth) { return (int64_t{1} << (bitwidth - 1)) - 1; }

Status check_bitwidth_range(int bitwidth) {
  if (bitwidth < kMinBitwidth || bitwidth > kMaxBitwidth) {
    return usage_error("bitwidth {} is outside [{}, {}]", bitwidth, kMinBitwidth, kMaxBitwidth);
  }
  return Status::ok();
}

Status check_range(float min, float max) {
  if (!std::isfinite(min) || !std::isfinite(max)) {
    return bad_input("cannot encode the non-finite range [{}, {}]", min, max);
  }
  if (min > max) return bad_input("cannot encode [{}, {}]: min is greater than max", min, max);
  return Status::ok();
}

// Whether a scheme puts a range on an unsigned grid; unsignedsymmetric decides on the data.
bool grid_is_signed(QuantSchema schema, bool all_non_negative) {
  switch (schema) {
    case QuantSchema::kAsymmetric: return false;
    case QuantSchema::kSymmetric: return true;
    case QuantSchema::kUnsignedSymmetric: return !all_non_negative;
  }
  return false;
}

// Steps 1 to 3 of compute_encoding for one channel whose grid signedness is already decided.
Status encode_channel(float min, float max, const QuantScheme& scheme, bool is_signed, float* scale,
                      int64_t* offset) {
  double lo = std::min(static_cast<double>(min), 0.0);
  double hi = std::max(static_cast<double>(max), 0.0);
  hi = std::max(hi, lo + kMinEncodingRange);
  double s = 0;
  *offset = 0;
  if (scheme.schema == QuantSchema::kAsymmetric) {
    s = (hi - lo) / static_cast<double>(unsigned_steps(scheme.bitwidth));
  } else if (is_signed) {
    s = std::max(-lo, hi) / static_cast<double>(signed_positive_steps(scheme.bitwidth));
  } else {
    s = hi / static_cast<double>(unsigned_steps(scheme.bitwidth));
  }
  *scale = static_cast<float>(s);
  if (!std::isfinite(*scale) || !(*scale > 0)) {
    return bad_input("the range [{}, {}] gives the unusable scale {}", min, max, *scale);
  }
  if (scheme.schema == QuantSchema::kAsymmetric) {
    // From the stored float scale, so that (qmin + offset) * scale is the grid that is written out.
    double off = round_half_even(lo / static_cast<double>(*scale));
    *offset = std::clamp(static_cast<int64_t>(off), -unsigned_steps(scheme.bitwidth), int64_t{0});
  }
  return Status::ok();
}

template <typename T>
void store_all(Tensor& out, const std::vector<int64_t>& q) {
  T* dst = out.data<T>();
  for (size_t i = 0; i < q.size(); ++i) dst[i] = static_cast<T>(q[i]);
}

// Calls f(flat_index, channel) for every element of a tensor of `shape` sliced along e.axis.
template <typename F>
Status for_each_channel_element(const Shape& shape, const Encoding& e, F&& f) {
  if (!e.per_channel()) {
    if (e.channels() != 1) return bad_input("a per-tensor encoding has {} scales", e.channels());
    int64_t n = shape_numel(shape);
    for (int64_t i = 0; i < n; ++i) f(i, size_t{0});
    return Status::ok();
  }
  if (e.axis >= static_cast<int>(shape.size())) {
    return bad_input("encoding axis {} is out of range for shape {}", e.axis, shape_to_string(shape));
  }
  int64_t channels = shape[static_cast<size_t>(e.axis)];
  if (channels != static_cast<int64_t>(e.channels())) {
    return bad_input("encoding has {} channels but axis {} of shape {} has {}", e.channels(), e.axis,
                     shape_to_string(shape), channels);
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < e.axis; ++i) outer *= shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(e.axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      int64_t base = (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) f(base + i, static_cast<size_t>(c));
    }
  }
  return Status::ok();
}

}  // namespace

Status check_bitwidth(std::string_view flag, int bitwidth, std::span<const int> allowed) {
  if (std::find(allowed.begin(), allowed.end(), bitwidth) != allowed.end()) return Status::ok();
  std::string choices;
  for (int a : allowed) choices += fmt::format("{}{}", choices.empty() ? "" : ", ", a);
  return usage_error("{} {} is not supported (choose one of {})", flag, bitwidth, choices);
}

std::string_view quant_schema_name(QuantSchema schema) { return kSchemaNames[static_cast<size_t>(schema)]; }

Result<QuantSchema> parse_quant_schema(std::string_view name) {
  for (size_t i = 0; i < kSchemaNames.size(); ++i) {
    if (kSchemaNames[i] == name) return static_cast<QuantSchema>(i);
  }
  return usage_error("unknown quantizer schema '{}' (choose one of {})", name, join(kSchemaNames));
}

std::span<const std::string_view> quant_schema_names() { return kSchemaNames; }

Result<LegacyQuantizer> parse_legacy_quantizer(std::string_view name) {
  if (name == "tf") return LegacyQuantizer{QuantSchema::kAsymmetric, "min-max"};
  if (name == "enhanced") return LegacyQuantizer{QuantSchema::kAsymmetric, "sqnr"};
  if (name == "symmetric") return LegacyQuantizer{QuantSchema::kSymmetric, "min-max"};
  return usage_error("unknown legacy quantizer '{}' (choose one of {})", name, join(kLegacyNames));
}

std::span<const std::string_view> legacy_quantizer_names() { return kLegacyNames; }

int64_t Encoding::qmin() const { return is_signed ? -(int64_t{1} << (bitwidth - 1)) : 0; }
int64_t Encoding::qmax() const {
  return is_signed ? signed_positive_steps(bitwidth) : unsigned_steps(bitwidth);
}
float Encoding::min(size_t channel) const { return dequantize_value(qmin(), *this, channel); }
float Encoding::max(size_t channel) const { return dequantize_value(qmax(), *this, channel); }

DType Encoding::storage_dtype() const {
  if (bitwidth <= 8) return is_signed ? DType::kS8 : DType::kU8;
  if (is_signed || bitwidth < 32) return DType::kS32;
  return DType::kS64;
}

Encoding Encoding::with_signedness(bool to_signed) const {
  Encoding e = *this;
  if (to_signed == is_signed) return e;
  int64_t shift = int64_t{1} << (bitwidth - 1);
  for (int64_t& o : e.offset) o += to_signed ? shift : -shift;
  e.is_signed = to_signed;
  return e;
}

std::string to_string(const Encoding& e) {
  std::string s = fmt::format("{}-bit {} {}", e.bitwidth, e.is_signed ? "signed" : "unsigned",
                              e.symmetric ? "symmetric" : "asymmetric");
  if (e.per_channel()) s += fmt::format(" axis {} ({} channels)", e.axis, e.channels());
  size_t shown = std::min<size_t>(e.channels(), 4);
  for (size_t c = 0; c < shown; ++c) s += fmt::format(" [scale {:.9g} offset {}]", e.scale[c], e.offset[c]);
  if (shown < e.channels()) s += " ...";
  return s;
}

Result<Encoding> compute_encoding(float min, float max, const QuantScheme& scheme) {
  return compute_encoding_per_channel(std::span<const float>(&min, 1), std::span<const float>(&max, 1), -1,
                                      scheme);
}

Result<Encoding> compute_encoding_per_channel(std::span<const float> mins, std::span<const float> maxs,
                                              int axis, const QuantScheme& scheme) {
  QF_RETURN_IF_ERROR(check_bitwidth_range(scheme.bitwidth));
  if (mins.size() != maxs.size() || mins.empty()) {
    return internal_error("compute_encoding_per_channel: {} mins and {} maxs", mins.size(), maxs.size());
  }
  if (axis < 0 && mins.size() != 1) {
    return internal_error("a per-tensor encoding needs one range, got {}", mins.size());
  }
  bool all_non_negative = true;
  for (size_t c = 0; c < mins.size(); ++c) {
    QF_RETURN_IF_ERROR(check_range(mins[c], maxs[c]));
    all_non_negative = all_non_negative && mins[c] >= 0;
  }
  Encoding e;
  e.bitwidth = scheme.bitwidth;
  e.is_signed = grid_is_signed(scheme.schema, all_non_negative);
  e.symmetric = scheme.schema != QuantSchema::kAsymmetric;
  e.axis = axis < 0 ? -1 : axis;
  e.scale.resize(mins.size());
  e.offset.resize(mins.size());
  for (size_t c = 0; c < mins.size(); ++c) {
    Status st = encode_channel(mins[c], maxs[c], scheme, e.is_signed, &e.scale[c], &e.offset[c]);
    if (!st.is_ok()) return mins.size() == 1 ? st : st.with_context(fmt::format("channel {}", c));
  }
  return e;
}

Result<ChannelRanges> channel_ranges(const Tensor& t, int axis) {
  if (t.dtype() != DType::kF32)
    return unsupported("channel ranges need float32, got {}", dtype_name(t.dtype()));
  if (t.numel() == 0) return bad_input("cannot take the range of an empty tensor");
  if (axis >= t.rank())
    return bad_input("axis {} is out of range for shape {}", axis, shape_to_string(t.shape()));
  size_t channels = axis < 0 ? 1 : static_cast<size_t>(t.dim(axis));
  ChannelRanges r;
  r.mins.assign(channels, std::numeric_limits<float>::infinity());
  r.maxs.assign(channels, -std::numeric_limits<float>::infinity());
  Encoding slicing;  // only axis and channel count matter to for_each_channel_element
  slicing.axis = axis < 0 ? -1 : axis;
  slicing.scale.resize(channels);
  const float* x = t.data<float>();
  bool finite = true;
  QF_RETURN_IF_ERROR(for_each_channel_element(t.shape(), slicing, [&](int64_t i, size_t c) {
    float v = x[i];
    finite = finite && std::isfinite(v);
    r.mins[c] = std::min(r.mins[c], v);
    r.maxs[c] = std::max(r.maxs[c], v);
  }));
  if (!finite) return bad_input("tensor has non-finite values");
  return r;
}

Result<Encoding> bias_encoding(int bitwidth, const Encoding& input, const Encoding& weight,
                               const Tensor& bias, QuantSchema param_schema) {
  QF_RETURN_IF_ERROR(check_bitwidth("--bias_bw", bitwidth, kBiasBitwidths));
  if (bitwidth == 8) {
    QF_ASSIGN_OR_RETURN(ChannelRanges r, channel_ranges(bias, -1));
    return compute_encoding(r.mins[0], r.maxs[0], QuantScheme{param_schema, 8});
  }
  if (input.per_channel() || input.channels() != 1) {
    return internal_error("the bias-32 rule needs a per-tensor input encoding");
  }
  if (weight.channels() == 0) return internal_error("the weight encoding has no scales");
  if (weight.per_channel() && bias.numel() != static_cast<int64_t>(weight.channels())) {
    return bad_input("bias has {} values but the weights have {} channels", bias.numel(), weight.channels());
  }
  Encoding e;
  e.bitwidth = bitwidth;
  e.is_signed = true;
  e.symmetric = true;
  e.axis = weight.per_channel() ? 0 : -1;
  e.offset.assign(weight.channels(), 0);
  for (float sw : weight.scale) {
    float s = static_cast<float>(static_cast<double>(input.scale[0]) * static_cast<double>(sw));
    if (!std::isfinite(s) || !(s > 0)) {
      return bad_input("bias scale {} * {} is not a usable float", input.scale[0], sw);
    }
    e.scale.push_back(s);
  }
  return e;
}

int64_t quantize_value(float x, const Encoding& e, size_t channel) {
  if (e.bitwidth <= CodeGrid::kWidestBitwidth) return CodeGrid(e, channel).quantize(x);
  const int64_t zero = -e.offset[channel];
  double v = static_cast<double>(x) / static_cast<double>(e.scale[channel]);
  v = v == v ? v : 0.0;
  v = std::clamp(v, static_cast<double>(e.qmin() - zero), static_cast<double>(e.qmax() - zero));
  return static_cast<int64_t>(round_half_even(v)) + zero;
}

float dequantize_value(int64_t q, const Encoding& e, size_t channel) {
  // q + offset is an exact integer; one rounding, in the cast to float.
  return static_cast<float>(static_cast<double>(q + e.offset[channel]) *
                            static_cast<double>(e.scale[channel]));
}

// Per-channel slicing walks ONNX (plain) order; a channels-last buffer would mix channels.
static Status check_layout(const Tensor& t, const Encoding& e) {
  if (e.per_channel() && t.layout() != Layout::kPlain) {
    return unsupported("per-channel (de)quantization needs a tensor in plain (ONNX) layout");
  }
  return Status::ok();
}

Result<Tensor> quantize(const Tensor& x, const Encoding& e) {
  if (x.dtype() != DType::kF32) return unsupported("quantize needs float32, got {}", dtype_name(x.dtype()));
  QF_RETURN_IF_ERROR(check_layout(x, e));
  std::vector<int64_t> q(static_cast<size_t>(x.numel()));
  const float* src = x.data<float>();
  // A constant's NaN would become the zero point without a word; at run time an activation's
  // does (the kernels have no way to refuse), but a weight or bias is known now.
  for (int64_t i = 0; i < x.numel(); ++i)
    if (std::isnan(src[i])) return bad_input("element {} is NaN, which no code represents", i);
  QF_RETURN_IF_ERROR(for_each_channel_element(
      x.shape(), e, [&](int64_t i, size_t c) { q[static_cast<size_t>(i)] = quantize_value(src[i], e, c); }));
  Tensor out(e.storage_dtype(), x.shape(), x.layout());  // per tensor, any layout maps element-wise
  switch (out.dtype()) {
    case DType::kS8: store_all<int8_t>(out, q); break;
    case DType::kU8: store_all<uint8_t>(out, q); break;
    case DType::kS32: store_all<int32_t>(out, q); break;
    default: store_all<int64_t>(out, q); break;
  }
  return out;
}

Result<Tensor> dequantize(const Tensor& q, const Encoding& e) {
  switch (q.dtype()) {
    case DType::kS8:
    case DType::kU8:
    case DType::kS32:
    case DType::kS64: break;
    default: return unsupported("dequantize needs an integer tensor, got {}", dtype_name(q.dtype()));
  }
  QF_RETURN_IF_ERROR(check_layout(q, e));
  Tensor out(DType::kF32, q.shape(), q.layout());
  float* dst = out.data<float>();
  QF_RETURN_IF_ERROR(for_each_channel_element(
      q.shape(), e, [&](int64_t i, size_t c) { dst[i] = dequantize_value(q.element_as_int(i), e, c); }));
  return out;
}

namespace {
constexpr std::pair<EncodingSource, std::string_view> kEncodingSourceNames[] = {
    {EncodingSource::kCalibration, "calibration"},
    {EncodingSource::kOverride, "override"},
    {EncodingSource::kQdq, "qdq"},
    {EncodingSource::kPropagated, "propagated"},
    {EncodingSource::kOpRange, "op_range"},
};
}  // namespace

std::string_view encoding_source_name(EncodingSource source) {
  for (const auto& [s, name] : kEncodingSourceNames)
    if (s == source) return name;
  return "unknown";
}

std::optional<EncodingSource> encoding_source_from_name(std::string_view name) {
  for (const auto& [s, n] : kEncodingSourceNames)
    if (n == name) return s;
  return std::nullopt;
}

}  // namespace qf
