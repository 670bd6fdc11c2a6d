// SPDX-License-Identifier: Apache-2.0
// Softmax, LogSoftmax and LayerNormalization on codes (runtime/int8.h's Int8Rowwise). The row
// arithmetic repeats reference/softmax.cpp's and reference/layer_norm.cpp's step for step, on the
// same double values, so that the codes are those of the float path; tests/unit/test_int8.cpp
// holds them to it.
#include <cmath>
#include <limits>

#include "runtime/int8.h"
#include "runtime/reference/broadcast.h"

namespace qf {
namespace {

std::nullopt_t decline(std::string* why, const char* reason) {
  if (why) *why = reason;
  return std::nullopt;
}


inline int32_t code_at(const Tensor& t, bool is_signed, int64_t i) {
  const uint8_t byte = static_cast<const uint8_t*>(static_cast<const void*>(t.bytes()))[i];
  return is_signed ? static_cast<int8_t>(byte) : byte;
}

inline void store_code(Tensor& t, int64_t i, int32_t q) {
  static_cast<uint8_t*>(static_cast<void*>(t.bytes()))[i] = static_cast<uint8_t>(q);
}

}  // namespace

std::vector<float> normalized_row_constant(const Value* v, const Shape& normalized, float fill) {
  const int64_t len = shape_numel(normalized);
  if (!v) return std::vector<float>(static_cast<size_t>(len), fill);
  if (!v->is_constant() || v->constant->dtype() != DType::kF32) return {};
  const Tensor& t = *v->constant;
  if (t.numel() == len) return std::vector<float>(t.data<float>(), t.data<float>() + len);
  if (t.numel() == 1) return std::vector<float>(static_cast<size_t>(len), t.data<float>()[0]);
  return {};
}

std::optional<Int8Rowwise> int8_rowwise_form(const Node& node, std::string* why) {
  if (op_int8_form(node.kind) != Int8Form::kRowwise) return decline(why, "not a Softmax or LayerNormalization");
  const Value* x = node.input(0);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!per_tensor_codes(x) || x->is_constant()) return decline(why, "the input has no 8-bit per-tensor encoding");
  if (!per_tensor_codes(y)) return decline(why, "the output has no 8-bit per-tensor encoding");
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i]) return decline(why, "Mean / InvStdDev outputs");
  const Shape& shape = x->type.shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0 || !x->type.is_static()) return decline(why, "a scalar or unknown shape");
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return decline(why, "axis out of range");

  Int8Rowwise f{node.kind, CodeGrid(*y->encoding)};
  f.in_signed = x->encoding->is_signed;
  const CodeGrid in(*x->encoding);
  for (int b = 0; b < 256; ++b)
    f.value[static_cast<size_t>(b)] =
        static_cast<double>(in.dequantize(f.in_signed ? static_cast<int8_t>(b) : static_cast<uint8_t>(b)));
  f.outer = 1;
  for (int64_t a = 0; a < axis; ++a) f.outer *= shape[static_cast<size_t>(a)];
  const bool whole_tail = node.kind == OpKind::kLayerNormalization || node.attr_int("legacy_2d", 0) != 0;
  f.len = 1;
  f.inner = 1;
  for (int64_t a = axis; a < rank; ++a) {
    const bool in_row = whole_tail || a == axis;
    (in_row ? f.len : f.inner) *= shape[static_cast<size_t>(a)];
  }
  if (node.kind == OpKind::kLayerNormalization) {
    const Shape normalized(shape.begin() + axis, shape.end());
    f.gamma = normalized_row_constant(node.input(1), normalized, 1.f);
    f.beta = normalized_row_constant(node.input(2), normalized, 0.f);
    if (f.gamma.empty() || f.beta.empty())
      return decline(why, "Scale or B is not a float constant of the normalized size or a scalar");
    f.epsilon = node.attr_float("epsilon", 1e-5f);
  }
  if (const Value* mask = node.kind == OpKind::kSoftmax ? node.input(1) : nullptr) {
    if (!mask->is_constant() || mask->constant->dtype() != DType::kBool || f.inner != 1 ||
        !broadcasts_to(mask->type.shape, shape))
      return decline(why, "a mask that is not a constant bool over the last axis");
    f.masked = expanded_mask(*mask->constant, shape);
  }
  return f;
}

void run_int8_rowwise(const Int8Rowwise& f, const Tensor& in, Tensor& out, std::vector<std::vector<double>>& exp_rows) {
  const bool log = f.op == OpKind::kLogSoftmax;
  std::vector<double> row(static_cast<size_t>(f.len));
  for (int64_t o = 0; o < f.outer; ++o)
    for (int64_t i = 0; i < f.inner; ++i) {
      const int64_t base = o * f.len * f.inner + i;
      if (f.op == OpKind::kLayerNormalization) {
        double mean = 0;
        for (int64_t k = 0; k < f.len; ++k) {
          row[static_cast<size_t>(k)] = f.value[static_cast<uint8_t>(code_at(in, f.in_signed, base + k * f.inner))];
          mean += row[static_cast<size_t>(k)];
        }
        mean /= static_cast<double>(f.len);
        double var = 0;
        for (int64_t k = 0; k < f.len; ++k) var += (row[static_cast<size_t>(k)] - mean) * (row[static_cast<size_t>(k)] - mean);
        var /= static_cast<double>(f.len);
        const double inv = 1.0 / std::sqrt(var + f.epsilon);
        for (int64_t k = 0; k < f.len; ++k) {
          const size_t u = static_cast<size_t>(k);
          store_code(out, base + k * f.inner,
                     f.out.quantize(static_cast<float>((row[u] - mean) * inv * f.gamma[u] + f.beta[u])));
        }
        continue;
      }
      // Softmax: the largest code has the largest value (dequantizing is increasing). A masked
      // position (inner is 1 then) takes no part and gets 0, as in reference/softmax.cpp.
      const uint8_t* masked = f.masked.empty() ? nullptr : f.masked.data() + base;
      const auto kept = [&](int64_t k) { return !masked || !masked[k]; };
      int32_t top = std::numeric_limits<int32_t>::min();
      for (int64_t k = 0; k < f.len; ++k)
        if (kept(k)) top = std::max(top, code_at(in, f.in_signed, base + k * f.inner));
      if (top == std::numeric_limits<int32_t>::min()) {  // every position masked
        for (int64_t k = 0; k < f.len; ++k) store_code(out, base + k, f.out.quantize(0.f));
        continue;
      }
      if (exp_rows.empty()) exp_rows.resize(256);
      std::vector<double>& exps = exp_rows[static_cast<uint8_t>(top)];
      if (exps.empty()) {
        exps.resize(256);
        const double max = f.value[static_cast<uint8_t>(top)];
        for (size_t b = 0; b < 256; ++b) exps[b] = std::exp(f.value[b] - max);
      }
      double sum = 0;
      for (int64_t k = 0; k < f.len; ++k)
        if (kept(k)) sum += exps[static_cast<uint8_t>(code_at(in, f.in_signed, base + k * f.inner))];
      const double log_sum = log ? std::log(sum) : 0.0;
      const double max = f.value[static_cast<uint8_t>(top)];
      for (int64_t k = 0; k < f.len; ++k) {
        const uint8_t b = static_cast<uint8_t>(code_at(in, f.in_signed, base + k * f.inner));
        const float p = !kept(k) ? 0.f : static_cast<float>(log ? (f.value[b] - max) - log_sum : exps[b] / sum);
        store_code(out, base + k * f.inner, f.out.quantize(p));
      }
    }
}

}  // namespace qf
