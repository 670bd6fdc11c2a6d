// SPDX-License-Identifier: Apache-2.0
// The clipping / rounding split of an encoded tensor's error, the error in LSBs and the share of
// the range in use, by hand.
#include <catch2/catch.hpp>

#include <vector>

#include "compare/encoding_error.h"

using namespace qf;
using namespace qf::compare;

namespace {

Encoding grid(int bitwidth, bool is_signed, std::vector<float> scale, std::vector<int64_t> offset, int axis = -1) {
  Encoding e;
  e.bitwidth = bitwidth;
  e.is_signed = is_signed;
  e.scale = std::move(scale);
  e.offset = std::move(offset);
  e.axis = axis;
  return e;
}

}  // namespace

TEST_CASE("encoding error: golden values outside the range are the clipping part", "[compare][encoding]") {
  // u8, scale 0.1, offset 0: [0, 25.5]. -1 and 30 lie outside; 0.04 and 1.0 inside.
  const Encoding e = grid(8, false, {0.1f}, {0});
  const std::vector<float> g = {-1.f, 0.04f, 1.f, 30.f}, c = {0.f, 0.f, 1.f, 25.5f};
  EncodingErrorAccumulator acc;
  acc.add(g, c, e, ChannelLayout{});
  const EncodingErrorSplit s = split_encoding_error(acc, e);
  CHECK(s.clipped_share == Approx(0.5));
  CHECK(s.clipping_mse == Approx((1.0 + 4.5 * 4.5) / 4));  // 5.3125
  CHECK(s.rounding_mse == Approx(0.04 * 0.04 / 4).epsilon(1e-5));
  CHECK(s.clipping_mse + s.rounding_mse == Approx((1.0 + 0.0016 + 20.25) / 4).epsilon(1e-6));  // = mse
  CHECK(s.max_error_lsb == Approx(45.0).epsilon(1e-6));  // 4.5 / 0.1
  CHECK(s.range_use == Approx(1.0));                     // [-1, 30] covers all of [0, 25.5]
}

TEST_CASE("encoding error: a scale 8 times too large leaves 7/8 of the grid unused", "[compare][encoding]") {
  // [0, 25.5] for golden values in [1, 4.1875]: 3.1875 / 25.5 = 0.125.
  const Encoding e = grid(8, false, {0.1f}, {0});
  const std::vector<float> g = {1.f, 2.f, 4.1875f};
  EncodingErrorAccumulator acc;
  acc.add(g, g, e, ChannelLayout{});
  acc.add(std::vector<float>{3.f}, std::vector<float>{3.f}, e, ChannelLayout{});  // inside: no change
  const EncodingErrorSplit s = split_encoding_error(acc, e);
  CHECK(s.range_use == Approx(0.125).epsilon(1e-5));
  CHECK(s.clipped_share == 0.0);
  CHECK(s.rounding_mse == 0.0);
}

TEST_CASE("encoding error: the range follows the offset", "[compare][encoding]") {
  // u8, scale 0.5, offset -2: [(0 - 2) * 0.5, (255 - 2) * 0.5] = [-1, 126.5].
  const Encoding e = grid(8, false, {0.5f}, {-2});
  const std::vector<float> g = {-1.5f, -1.f, 126.5f, 127.f}, c = {-1.f, -1.f, 126.5f, 126.5f};
  EncodingErrorAccumulator acc;
  acc.add(g, c, e, ChannelLayout{});
  const EncodingErrorSplit s = split_encoding_error(acc, e);
  CHECK(s.clipped_share == Approx(0.5));  // the edges themselves are representable
  CHECK(s.clipping_mse == Approx(2 * 0.25 / 4));
  CHECK(s.rounding_mse == 0.0);
  CHECK(s.max_error_lsb == Approx(1.0));
}

TEST_CASE("encoding error: per-channel ranges and scales", "[compare][encoding]") {
  // s8 along axis 1 of [1, 2, 2]: channel 0 scale 0.1 [-12.8, 12.7], channel 1 scale 1 [-128, 127].
  const Encoding e = grid(8, true, {0.1f, 1.f}, {0, 0}, 1);
  auto layout = channel_layout(e, {1, 2, 2}, "t");
  REQUIRE(layout.is_ok());
  CHECK(layout->channels == 2);
  CHECK(layout->inner == 2);
  CHECK(layout->channel(1) == 0);
  CHECK(layout->channel(2) == 1);
  const std::vector<float> g = {13.f, 0.f, 13.f, 0.f}, c = {12.7f, 0.f, 13.f, 0.5f};
  EncodingErrorAccumulator acc;
  acc.add(g, c, e, *layout);
  const EncodingErrorSplit s = split_encoding_error(acc, e);
  CHECK(s.clipped_share == Approx(0.25));  // 13 is outside channel 0 only
  CHECK(s.max_error_lsb == Approx(3.0).epsilon(1e-5));  // 0.3 / 0.1 beats 0.5 / 1
  // Channel 0 spans [0, 12.7] of 25.5, channel 1 [0, 13] of 255.
  CHECK(s.range_use == Approx((12.7 / 25.5 + 13.0 / 255) / 2).epsilon(1e-5));

  auto wrong_axis = channel_layout(e, {4}, "conv1");
  REQUIRE_FALSE(wrong_axis.is_ok());
  CHECK(wrong_axis.status().message().find("conv1") != std::string::npos);
  auto wrong_count = channel_layout(e, {1, 3, 2}, "conv1");
  REQUIRE_FALSE(wrong_count.is_ok());
  CHECK(wrong_count.status().code() == StatusCode::kBadInput);
}
