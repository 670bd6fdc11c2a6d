// SPDX-License-Identifier: Apache-2.0
// The error of an encoded tensor, in the terms of its encoding (with --model).
//
// An encoding represents [min, max] = [(qmin + offset) * scale, (qmax + offset) * scale] on a grid
// of step scale (one LSB). A golden value outside that range is clipped: no candidate on that grid
// can come closer than the range's edge. So the squared error splits by where the golden value lies:
//   clipped_share  share of golden values outside [min, max] (of their channel);
//   clipping_mse   sum of e^2 over those values / n  (too narrow a range: the scale is too small);
//   rounding_mse   sum of e^2 over the others  / n  (the grid step, plus the error carried in from
//                  earlier layers; rounding alone is about scale^2 / 12 when the grid is fine);
//   clipping_mse + rounding_mse = mse.
//   max_error_lsb  max(|e| / scale of the value's channel).
//   range_use      how much of [min, max] the golden values span: |[gmin, gmax] & [min, max]| /
//                  (max - min), averaged over channels. A calibrated min-max range is used fully
//                  (1); a scale 8 times too large leaves 7/8 of the grid unused (0.125), while its
//                  SQNR may still look healthy (27 dB instead of 45 dB on ReLU outputs).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/encoding.h"

namespace qf::compare {

// Which channel of an encoding a value at flat index i (NCHW-style, row major) belongs to:
// (i / inner) % channels. Per tensor: one channel.
struct ChannelLayout {
  int64_t channels = 1;
  int64_t inner = 1;  // product of the dims after the channel axis
  size_t channel(int64_t index) const { return static_cast<size_t>((index / inner) % channels); }
  int64_t block() const { return channels * inner; }
};

// A bad_input naming the tensor when the encoding's axis and channel count do not fit the shape.
Result<ChannelLayout> channel_layout(const Encoding& encoding, const Shape& shape, const std::string& tensor_name);

struct EncodingErrorAccumulator {
  int64_t count = 0;
  int64_t clipped = 0;
  double clipped_error_sq = 0;
  double in_range_error_sq = 0;
  double max_error_lsb = 0;
  std::vector<float> golden_min;  // per channel, once values were added
  std::vector<float> golden_max;

  // One inference's values (index 0 is the tensor's first value).
  void add(std::span<const float> golden, std::span<const float> candidate, const Encoding& encoding,
           const ChannelLayout& layout);
};

struct EncodingErrorSplit {
  double clipped_share = 0;
  double clipping_mse = 0;
  double rounding_mse = 0;
  double max_error_lsb = 0;
  double range_use = 0;
};

EncodingErrorSplit split_encoding_error(const EncodingErrorAccumulator& acc, const Encoding& encoding);

}  // namespace qf::compare
