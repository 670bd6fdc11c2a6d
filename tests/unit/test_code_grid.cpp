// SPDX-License-Identifier: Apache-2.0
// The one quantize formula (ir/encoding.h): q = saturate(round_half_even(x / s) + z), x / s in
// float32, NaN -> z. Every path that turns floats into codes is held here to an oracle computed
// apart from it (the exact quotient's rounding in long double arithmetic), on the float32 cases
// where implementations part: ties, values one ulp either side of a tie, +-0, saturation, +-inf
// and NaN, for 4-, 8-, 16- and 32-bit grids, signed and unsigned.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ir/encoding.h"
#include "runtime/int8.h"

using namespace qf;

namespace {

Encoding grid_of(int bitwidth, bool is_signed, float scale, int64_t zero) {
  Encoding e;
  e.bitwidth = bitwidth;
  e.is_signed = is_signed;
  e.scale = {scale};
  e.offset = {-zero};
  return e;
}

// The oracle: the quotient (float32's, as ONNX divides, up to 16 bits; double's for wider grids,
// whose codes float cannot hold), rounded half to even by comparing it with the midpoint in long
// double, then the zero point added, then saturated.
int64_t oracle(float x, const Encoding& e) {
  const int64_t zero = -e.offset[0];
  if (std::isnan(x)) return std::clamp(zero, e.qmin(), e.qmax());
  long double quotient = e.bitwidth <= 16 ? static_cast<long double>(x / e.scale[0])
                                          : static_cast<long double>(static_cast<double>(x) / e.scale[0]);
  long double q;
  if (std::isinf(quotient)) {
    q = quotient > 0 ? 1e30L : -1e30L;
  } else {
    const long double below = std::floor(quotient);
    const long double frac = quotient - below;
    q = frac < 0.5L ? below : frac > 0.5L ? below + 1 : (std::fmod(below, 2.0L) == 0 ? below : below + 1);
  }
  q += zero;
  q = std::min<long double>(std::max<long double>(q, e.qmin()), e.qmax());
  return static_cast<int64_t>(q);
}

// The boundary cases on a grid of scale s: k + 1/2 ties (exact in float for these k and s),
// their neighbours one ulp away, +-0, the saturation edges, huge values, +-inf and NaN.
std::vector<float> boundary_values(float scale) {
  std::vector<float> v = {0.f, -0.f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN(), 3e38f, -3e38f, 1e-30f, -1e-30f};
  for (int k = -70000; k <= 70000; k += (k > -300 && k < 300) ? 1 : 997) {
    const float tie = (static_cast<float>(k) + 0.5f) * scale;
    v.push_back(tie);
    v.push_back(std::nextafter(tie, std::numeric_limits<float>::infinity()));
    v.push_back(std::nextafter(tie, -std::numeric_limits<float>::infinity()));
    v.push_back(static_cast<float>(k) * scale);
  }
  return v;
}

struct GridCase {
  int bitwidth;
  bool is_signed;
  int64_t zero;
};

}  // namespace

TEST_CASE("quantize_value and CodeGrid give the formula's code on every boundary case", "[encoding][code_grid]") {
  for (const float scale : {1.0f, 0.5f, 0.0123f, 3.0f}) {
    const std::vector<float> values = boundary_values(scale);
    for (const GridCase g : {GridCase{8, false, 131}, GridCase{8, true, 0}, GridCase{8, true, -5}, GridCase{4, true, 0},
                             GridCase{4, false, 3}, GridCase{16, false, 30000}, GridCase{16, true, 0},
                             GridCase{32, true, 0}}) {
      const Encoding e = grid_of(g.bitwidth, g.is_signed, scale, g.zero);
      INFO("scale " << scale << ", " << g.bitwidth << " bit " << (g.is_signed ? "signed" : "unsigned") << ", zero "
                    << g.zero);
      int64_t wrong_scalar = 0, wrong_grid = 0;
      for (const float x : values) {
        const int64_t expected = oracle(x, e);
        wrong_scalar += quantize_value(x, e) != expected;
        if (g.bitwidth <= CodeGrid::kWidestBitwidth) wrong_grid += CodeGrid(e).quantize(x) != expected;
      }
      CHECK(wrong_scalar == 0);
      CHECK(wrong_grid == 0);
    }
  }
}

TEST_CASE("ties round to even, -0 and NaN land on the zero point, infinities saturate", "[encoding][code_grid]") {
  const Encoding u8 = grid_of(8, false, 1.f, 10);
  CHECK(quantize_value(2.5f, u8) == 12);   // 2.5 -> 2
  CHECK(quantize_value(3.5f, u8) == 14);   // 3.5 -> 4
  CHECK(quantize_value(-2.5f, u8) == 8);   // -2.5 -> -2
  CHECK(quantize_value(-0.5f, u8) == 10);  // -0.5 -> -0
  CHECK(quantize_value(-0.f, u8) == 10);
  CHECK(quantize_value(std::numeric_limits<float>::quiet_NaN(), u8) == 10);
  CHECK(quantize_value(std::numeric_limits<float>::infinity(), u8) == 255);
  CHECK(quantize_value(-std::numeric_limits<float>::infinity(), u8) == 0);
  // The division is float32's: 0.3f / 0.1f is 3.0000002 in float32 (2.9999999 in double).
  const Encoding tenth = grid_of(8, true, 0.1f, 0);
  CHECK(quantize_value(0.35f, tenth) == oracle(0.35f, tenth));
}

TEST_CASE("a constant with a NaN is refused when quantized", "[encoding][code_grid]") {
  const Encoding e = grid_of(8, true, 0.1f, 0);
  const Tensor weights = Tensor::from_vector<float>({3}, {0.1f, std::numeric_limits<float>::quiet_NaN(), 0.2f});
  auto q = quantize(weights, e);
  REQUIRE_FALSE(q.is_ok());
  CHECK(q.status().code() == StatusCode::kBadInput);
  CHECK(q.status().message().find("element 1 is NaN") != std::string::npos);
}

TEST_CASE("the vectorized quantize step gives quantize_value's codes on every boundary case", "[encoding][code_grid]") {
  for (const bool is_signed : {false, true}) {
    const Encoding e = grid_of(8, is_signed, 0.0123f, is_signed ? -3 : 128);
    const std::vector<float> values = boundary_values(0.0123f);
    const int64_t n = static_cast<int64_t>(values.size());
    const Tensor x = Tensor::from_vector<float>({n}, values);
    Tensor q(e.storage_dtype(), {n});
    quantize_into(x, e, q);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += q.element_as_int(i) != quantize_value(values[static_cast<size_t>(i)], e);
    INFO((is_signed ? "s8" : "u8") << ", " << n << " values");
    CHECK(wrong == 0);
  }
}

TEST_CASE("the requantize step rounds before adding the zero point, as the quantize step does", "[encoding][code_grid]") {
  // Int8Linear::code_of ends an integer kernel. It rounds first and adds the destination zero
  // point as an integer, as ONNX's QuantizeLinear and onnxruntime's QLinear kernels do
  // (runtime/int8.h); oneDNN's own order, the zero point added in float first, puts a tie
  // elsewhere when the zero point is odd (2.5 + 7 -> 10 against round(2.5) + 7 -> 9) and makes
  // ties of values next to one (11.500005 + 133 is the float 144.5).
  Int8Linear f;
  const Encoding out = grid_of(8, false, 1.f, 7);
  f.output = &out;
  f.output_zero = 7;
  f.act_min = -std::numeric_limits<float>::infinity();
  f.act_max = std::numeric_limits<float>::infinity();
  int64_t wrong = 0;
  for (const float v : boundary_values(1.f)) {
    if (std::isnan(v)) continue;  // an accumulator times a multiplier is never NaN
    wrong += f.code_of(v, static_cast<float>(out.qmin()), static_cast<float>(out.qmax())) != oracle(v, out);
  }
  CHECK(wrong == 0);
  CHECK(f.code_of(2.5f, 0.f, 255.f) == 9);
  CHECK(quantize_value(2.5f, out) == 9);
  const Encoding wide = grid_of(8, false, 1.f, 133);
  f.output = &wide;
  f.output_zero = 133;
  CHECK(f.code_of(11.500005f, 0.f, 255.f) == 145);
}
