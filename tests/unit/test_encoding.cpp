// SPDX-License-Identifier: Apache-2.0
// Encodings: the worked example, each schema against hand-computed grids, rounding, saturation,
// minimum range, per-channel, the bias-32 rule and the flag-name parsers.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ir/encoding.h"

using namespace qf;

namespace {

Encoding must(Result<Encoding> r) {
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

Tensor floats(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(std::move(shape), v); }

std::vector<int64_t> ints(const Tensor& t) { return t.to_int_vector(); }

}  // namespace

TEST_CASE("the worked example: asymmetric 8-bit of [-1.8, -1.0, 0, 0.5]", "[quant][encoding]") {
  Encoding e = must(compute_encoding(-1.8f, 0.5f, {QuantSchema::kAsymmetric, 8}));
  CHECK(e.scale.size() == 1);
  CHECK(e.scale[0] == Approx(0.009019607843).epsilon(1e-7));
  CHECK(e.zero_point() == 200);
  CHECK(e.offset[0] == -200);  // QNN/AIMET offset = round(min / scale) = -zero_point
  CHECK_FALSE(e.is_signed);
  CHECK_FALSE(e.symmetric);
  CHECK(e.storage_dtype() == DType::kU8);

  Tensor x = floats({4}, {-1.8f, -1.0f, 0.0f, 0.5f});
  Result<Tensor> q = quantize(x, e);
  REQUIRE(q.is_ok());
  CHECK(q->dtype() == DType::kU8);
  CHECK(ints(*q) == std::vector<int64_t>{0, 89, 200, 255});
  Result<Tensor> d = dequantize(*q, e);
  REQUIRE(d.is_ok());
  std::vector<double> expected = {-1.80392157, -1.00117647, 0.0, 0.49607843};
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(d->data<float>()[i] == Approx(expected[i]).margin(5e-8));
  }
  CHECK(d->data<float>()[2] == 0.0f);  // zero is exact
  // The nudged range the grid really covers.
  CHECK(e.min() == Approx(-200 * (2.3 / 255)).epsilon(1e-6));
  CHECK(e.max() == Approx(55 * (2.3 / 255)).epsilon(1e-6));
}

TEST_CASE("symmetric encodings: offset 0, scale absmax / (2^(bw-1) - 1), signed grid", "[quant][encoding]") {
  Encoding e = must(compute_encoding(-0.5f, 1.27f, {QuantSchema::kSymmetric, 8}));
  CHECK(e.is_signed);
  CHECK(e.symmetric);
  CHECK(e.offset[0] == 0);
  CHECK(e.scale[0] == Approx(0.01).epsilon(1e-6));
  CHECK(e.qmin() == -128);
  CHECK(e.qmax() == 127);
  CHECK(e.storage_dtype() == DType::kS8);
  CHECK(quantize_value(1.27f, e) == 127);
  CHECK(quantize_value(-1.27f, e) == -127);
  CHECK(quantize_value(-1.28f, e) == -128);
  CHECK(quantize_value(-5.0f, e) == -128);  // saturates
  CHECK(quantize_value(5.0f, e) == 127);
  // The legacy AIMET view of the same grid: unsigned, offset -128.
  Encoding u = e.with_signedness(false);
  CHECK(u.offset[0] == -128);
  CHECK(u.min() == e.min());
  CHECK(u.max() == e.max());
  CHECK(quantize_value(0.0f, u) == 128);

  // 4-bit weights: [-8, 7], scale = absmax / 7.
  Encoding w4 = must(compute_encoding(-0.7f, 0.35f, {QuantSchema::kSymmetric, 4}));
  CHECK(w4.qmin() == -8);
  CHECK(w4.qmax() == 7);
  CHECK(w4.scale[0] == Approx(0.1).epsilon(1e-6));
}

TEST_CASE("unsignedsymmetric uses an unsigned grid only for non-negative ranges", "[quant][encoding]") {
  Encoding relu = must(compute_encoding(0.0f, 2.55f, {QuantSchema::kUnsignedSymmetric, 8}));
  CHECK_FALSE(relu.is_signed);
  CHECK(relu.symmetric);
  CHECK(relu.offset[0] == 0);
  CHECK(relu.scale[0] == Approx(0.01).epsilon(1e-6));
  CHECK(quantize_value(2.55f, relu) == 255);
  CHECK(quantize_value(-1.0f, relu) == 0);
  // A positive-only range still includes zero: [0.5, 2.55] is encoded as [0, 2.55].
  Encoding shifted = must(compute_encoding(0.5f, 2.55f, {QuantSchema::kUnsignedSymmetric, 8}));
  CHECK(shifted.scale[0] == relu.scale[0]);
  Encoding mixed = must(compute_encoding(-1.0f, 2.54f, {QuantSchema::kUnsignedSymmetric, 8}));
  CHECK(mixed.is_signed);
  CHECK(mixed.scale[0] == Approx(0.02).epsilon(1e-6));
}

TEST_CASE("16-bit activations use the 65535-step unsigned grid", "[quant][encoding]") {
  Encoding e = must(compute_encoding(-1.0f, 2.0f, {QuantSchema::kAsymmetric, 16}));
  CHECK(e.qmax() == 65535);
  CHECK(e.storage_dtype() == DType::kS32);
  CHECK(e.scale[0] == Approx(3.0 / 65535).epsilon(1e-7));
  CHECK(e.offset[0] == static_cast<int64_t>(std::lround(-1.0 / (3.0 / 65535))));
  CHECK(dequantize_value(quantize_value(0.0f, e), e) == 0.0f);
}

TEST_CASE("quantize rounds half to even and saturates", "[quant][encoding]") {
  // [0, 255] gives scale exactly 1 and offset 0, so x / scale lands on the .5 ties exactly.
  Encoding e = must(compute_encoding(0.0f, 255.0f, {QuantSchema::kAsymmetric, 8}));
  REQUIRE(e.scale[0] == 1.0f);
  REQUIRE(e.offset[0] == 0);
  CHECK(quantize_value(2.5f, e) == 2);
  CHECK(quantize_value(3.5f, e) == 4);
  CHECK(quantize_value(254.5f, e) == 254);
  CHECK(quantize_value(-0.5f, e) == 0);
  CHECK(quantize_value(300.0f, e) == 255);
  CHECK(quantize_value(-std::numeric_limits<float>::infinity(), e) == 0);
  CHECK(quantize_value(std::numeric_limits<float>::infinity(), e) == 255);
  CHECK(quantize_value(std::numeric_limits<float>::quiet_NaN(), e) == 0);  // NaN -> zero point
  CHECK(round_half_even(-2.5) == -2.0);
  CHECK(round_half_even(-3.5) == -4.0);
  CHECK(round_half_even(0.49999999999999994) == 0.0);
  CHECK(round_half_even(1e300) == 1e300);
}

TEST_CASE("zero is exactly representable for any range", "[quant][encoding]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mag(-6.0f, 6.0f);
  for (int i = 0; i < 2000; ++i) {
    float a = std::copysign(std::pow(10.0f, mag(rng)), mag(rng));
    float b = std::copysign(std::pow(10.0f, mag(rng)), mag(rng));
    float lo = std::min(a, b), hi = std::max(a, b);
    for (QuantSchema s :
         {QuantSchema::kAsymmetric, QuantSchema::kSymmetric, QuantSchema::kUnsignedSymmetric}) {
      for (int bw : {4, 8, 16}) {
        Encoding e = must(compute_encoding(lo, hi, {s, bw}));
        INFO("range [" << lo << ", " << hi << "] schema " << quant_schema_name(s) << " bw " << bw);
        REQUIRE(dequantize_value(quantize_value(0.0f, e), e) == 0.0f);
        REQUIRE(e.scale[0] > 0);
        // The grid covers the range, up to the half step the offset rounding may cost.
        // (0.51: the float scale's rounding times 2^16 steps may cost a few thousandths of a step.)
        REQUIRE(e.min() <= std::min(lo, 0.0f) + 0.51 * e.scale[0]);
        REQUIRE(e.max() >= std::max(hi, 0.0f) - 0.51 * e.scale[0]);
      }
    }
  }
}

TEST_CASE("the minimum range is 1e-4, as QNN", "[quant][encoding]") {
  Encoding zeros = must(compute_encoding(0.0f, 0.0f, {QuantSchema::kAsymmetric, 8}));
  CHECK(zeros.scale[0] == Approx(1e-4 / 255).epsilon(1e-6));
  CHECK(zeros.offset[0] == 0);
  Encoding narrow = must(compute_encoding(-4e-5f, 2e-5f, {QuantSchema::kAsymmetric, 8}));
  CHECK(narrow.scale[0] == Approx(1e-4 / 255).epsilon(1e-5));  // max raised to min + 1e-4
  CHECK(narrow.offset[0] == -102);                             // -4e-5 / (1e-4 / 255)
  Encoding sym = must(compute_encoding(0.0f, 0.0f, {QuantSchema::kSymmetric, 8}));
  CHECK(sym.scale[0] == Approx(1e-4 / 127).epsilon(1e-6));
  Encoding wide = must(compute_encoding(-1.0f, 1.0f, {QuantSchema::kAsymmetric, 8}));
  CHECK(wide.scale[0] == Approx(2.0 / 255).epsilon(1e-7));  // untouched when wide enough
}

TEST_CASE("bad ranges and bitwidths are refused", "[quant][encoding]") {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  CHECK(compute_encoding(nan, 1.0f, {}).status().code() == StatusCode::kBadInput);
  CHECK(compute_encoding(0.0f, inf, {}).status().code() == StatusCode::kBadInput);
  CHECK(compute_encoding(2.0f, 1.0f, {}).status().code() == StatusCode::kBadInput);
  CHECK(compute_encoding(0.0f, 1.0f, {QuantSchema::kAsymmetric, 1}).status().code() == StatusCode::kUsage);
  CHECK(compute_encoding(0.0f, 1.0f, {QuantSchema::kAsymmetric, 33}).status().code() == StatusCode::kUsage);
  // Huge but finite ranges still give a finite scale.
  Encoding big = must(compute_encoding(-3e38f, 3e38f, {QuantSchema::kAsymmetric, 8}));
  CHECK(std::isfinite(big.scale[0]));
}

TEST_CASE("per-channel encodings slice along the axis", "[quant][encoding]") {
  // Conv weights [2 out, 3 in]: per-channel along axis 0.
  Tensor w = floats({2, 3}, {-1.0f, 0.0f, 0.6f, 0.3f, -0.4f, 0.1f});
  Result<ChannelRanges> r0 = channel_ranges(w, 0);
  REQUIRE(r0.is_ok());
  CHECK(r0->mins == std::vector<float>{-1.0f, -0.4f});
  CHECK(r0->maxs == std::vector<float>{0.6f, 0.3f});
  Encoding e0 = must(compute_encoding_per_channel(r0->mins, r0->maxs, 0, {QuantSchema::kSymmetric, 8}));
  CHECK(e0.per_channel());
  CHECK(e0.axis == 0);
  REQUIRE(e0.channels() == 2);
  CHECK(e0.scale[0] == Approx(1.0 / 127).epsilon(1e-6));
  CHECK(e0.scale[1] == Approx(0.4 / 127).epsilon(1e-6));
  Result<Tensor> q0 = quantize(w, e0);
  REQUIRE(q0.is_ok());
  CHECK(ints(*q0) == std::vector<int64_t>{-127, 0, 76, 95, -127, 32});  // 76.2, 95.25, 31.75

  // MatMul B [K = 2, N = 3]: per-row along the output axis 1.
  Result<ChannelRanges> r1 = channel_ranges(w, 1);
  REQUIRE(r1.is_ok());
  CHECK(r1->mins == std::vector<float>{-1.0f, -0.4f, 0.1f});
  CHECK(r1->maxs == std::vector<float>{0.3f, 0.0f, 0.6f});
  Encoding e1 = must(compute_encoding_per_channel(r1->mins, r1->maxs, 1, {QuantSchema::kSymmetric, 8}));
  Result<Tensor> q1 = quantize(w, e1);
  REQUIRE(q1.is_ok());
  CHECK(ints(*q1) == std::vector<int64_t>{-127, 0, 127, 38, -127, 21});  // 38.1, 21.17
  Result<Tensor> d1 = dequantize(*q1, e1);
  REQUIRE(d1.is_ok());
  CHECK(d1->data<float>()[2] == Approx(0.6).epsilon(1e-6));

  // unsignedsymmetric: one signedness for all channels.
  std::vector<float> mins = {0.0f, -1.0f}, maxs = {1.0f, 1.0f};
  Encoding mixed = must(compute_encoding_per_channel(mins, maxs, 0, {QuantSchema::kUnsignedSymmetric, 8}));
  CHECK(mixed.is_signed);
  std::vector<float> pos_mins = {0.0f, 0.25f};
  Encoding positive =
      must(compute_encoding_per_channel(pos_mins, maxs, 0, {QuantSchema::kUnsignedSymmetric, 8}));
  CHECK_FALSE(positive.is_signed);
  CHECK(positive.scale[1] == Approx(1.0 / 255).epsilon(1e-6));

  Encoding wrong = e0;
  wrong.axis = 1;  // 2 scales against 3 columns
  CHECK(quantize(w, wrong).status().code() == StatusCode::kBadInput);
  CHECK(channel_ranges(w, 2).status().code() == StatusCode::kBadInput);
}

TEST_CASE("bias 32: scale = s_in * s_w[c], offset 0, int32", "[quant][encoding]") {
  Encoding in = must(compute_encoding(0.0f, 2.55f, {QuantSchema::kAsymmetric, 8}));  // scale 0.01
  std::vector<float> mins = {-1.27f, -0.254f}, maxs = {1.27f, 0.254f};
  Encoding w =
      must(compute_encoding_per_channel(mins, maxs, 0, {QuantSchema::kSymmetric, 8}));  // 0.01, 0.002
  Tensor bias = floats({2}, {0.5f, -3e9f});
  Encoding b = must(bias_encoding(32, in, w, bias, QuantSchema::kSymmetric));
  CHECK(b.bitwidth == 32);
  CHECK(b.is_signed);
  CHECK(b.axis == 0);
  CHECK(b.offset == std::vector<int64_t>{0, 0});
  CHECK(b.scale[0] == Approx(1e-4).epsilon(1e-6));
  CHECK(b.scale[1] == Approx(2e-5).epsilon(1e-6));
  CHECK(b.storage_dtype() == DType::kS32);
  Result<Tensor> q = quantize(bias, b);
  REQUIRE(q.is_ok());
  CHECK(q->dtype() == DType::kS32);
  CHECK(q->data<int32_t>()[0] == std::lround(0.5 / b.scale[0]));
  CHECK(q->data<int32_t>()[1] == std::numeric_limits<int32_t>::min());  // saturates

  // Per-tensor weights give a per-tensor bias encoding.
  Encoding wt = must(compute_encoding(-1.27f, 1.27f, {QuantSchema::kSymmetric, 8}));
  Encoding bt = must(bias_encoding(32, in, wt, floats({3}, {1, 2, 3}), QuantSchema::kSymmetric));
  CHECK_FALSE(bt.per_channel());
  CHECK(bt.channels() == 1);

  // Bias 8: its own encoding from its values under the param schema.
  Encoding b8 = must(bias_encoding(8, in, w, floats({2}, {-0.635f, 0.2f}), QuantSchema::kSymmetric));
  CHECK(b8.bitwidth == 8);
  CHECK(b8.scale[0] == Approx(0.005).epsilon(1e-6));
  CHECK(bias_encoding(16, in, w, bias, QuantSchema::kSymmetric).status().code() == StatusCode::kUsage);
  CHECK(bias_encoding(32, in, w, floats({3}, {1, 2, 3}), QuantSchema::kSymmetric).status().code() ==
        StatusCode::kBadInput);
}

TEST_CASE("schema names, legacy quantizers and bitwidth flags", "[quant][encoding]") {
  CHECK(*parse_quant_schema("asymmetric") == QuantSchema::kAsymmetric);
  CHECK(*parse_quant_schema("symmetric") == QuantSchema::kSymmetric);
  CHECK(*parse_quant_schema("unsignedsymmetric") == QuantSchema::kUnsignedSymmetric);
  Result<QuantSchema> bad = parse_quant_schema("tf");
  CHECK(bad.status().code() == StatusCode::kUsage);
  CHECK_THAT(bad.status().message(), Catch::Contains("unsignedsymmetric"));
  for (std::string_view n : quant_schema_names()) CHECK(quant_schema_name(*parse_quant_schema(n)) == n);

  CHECK(parse_legacy_quantizer("tf")->schema == QuantSchema::kAsymmetric);
  CHECK(parse_legacy_quantizer("tf")->calibration == "min-max");
  CHECK(parse_legacy_quantizer("enhanced")->calibration == "sqnr");
  CHECK(parse_legacy_quantizer("symmetric")->schema == QuantSchema::kSymmetric);
  CHECK(parse_legacy_quantizer("adjusted").status().code() == StatusCode::kUsage);
  CHECK(legacy_quantizer_names().size() == 3);

  CHECK(check_bitwidth("--act_bw", 16, kActBitwidths).is_ok());
  CHECK(check_bitwidth("--weight_bw", 4, kWeightBitwidths).is_ok());
  CHECK(check_bitwidth("--bias_bw", 32, kBiasBitwidths).is_ok());
  Status s = check_bitwidth("--act_bw", 4, kActBitwidths);
  CHECK(s.code() == StatusCode::kUsage);
  CHECK_THAT(s.message(), Catch::Contains("--act_bw") && Catch::Contains("8, 16"));
}

TEST_CASE("signedness views describe one grid", "[quant][encoding]") {
  Encoding u = must(compute_encoding(-1.8f, 0.5f, {QuantSchema::kAsymmetric, 8}));
  Encoding s = u.with_signedness(true);
  CHECK(s.is_signed);
  CHECK(s.offset[0] == -200 + 128);
  CHECK(s.storage_dtype() == DType::kS8);
  for (float x : {-1.8f, -1.0f, 0.0f, 0.3f, 0.5f}) {
    CHECK(quantize_value(x, s) == quantize_value(x, u) - 128);
    CHECK(dequantize_value(quantize_value(x, s), s) == dequantize_value(quantize_value(x, u), u));
  }
  CHECK(s.with_signedness(false).offset == u.offset);
}
