// SPDX-License-Identifier: Apache-2.0
#include "compare/encoding_error.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace qf::compare {

Result<ChannelLayout> channel_layout(const Encoding& encoding, const Shape& shape, const std::string& tensor_name) {
  if (!encoding.per_channel()) return ChannelLayout{};
  const auto axis = static_cast<size_t>(encoding.axis);
  if (axis >= shape.size())
    return bad_input("tensor '{}': encoding axis {} is outside its shape {}", tensor_name, encoding.axis,
                     shape_to_string(shape));
  if (shape[axis] != static_cast<int64_t>(encoding.channels()))
    return bad_input("tensor '{}': {} encoding channels for dim {} of shape {}", tensor_name, encoding.channels(),
                     encoding.axis, shape_to_string(shape));
  ChannelLayout layout;
  layout.channels = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d) layout.inner *= shape[d];
  return layout;
}

void EncodingErrorAccumulator::add(std::span<const float> golden, std::span<const float> candidate,
                                   const Encoding& encoding, const ChannelLayout& layout) {
  assert(golden.size() == candidate.size());
  if (golden_min.empty()) {
    golden_min.assign(encoding.channels(), std::numeric_limits<float>::infinity());
    golden_max.assign(encoding.channels(), -std::numeric_limits<float>::infinity());
  }
  for (size_t i = 0; i < golden.size(); ++i) {
    const size_t ch = layout.channel(static_cast<int64_t>(i));
    golden_min[ch] = std::min(golden_min[ch], golden[i]);
    golden_max[ch] = std::max(golden_max[ch], golden[i]);
    const double e = static_cast<double>(candidate[i]) - golden[i];
    const bool outside = golden[i] < encoding.min(ch) || golden[i] > encoding.max(ch);
    if (outside) {
      ++clipped;
      clipped_error_sq += e * e;
    } else {
      in_range_error_sq += e * e;
    }
    max_error_lsb = std::max(max_error_lsb, std::fabs(e) / encoding.scale[ch]);
  }
  count += static_cast<int64_t>(golden.size());
}

EncodingErrorSplit split_encoding_error(const EncodingErrorAccumulator& acc, const Encoding& encoding) {
  EncodingErrorSplit split;
  if (acc.count == 0) return split;
  double use = 0;
  size_t seen = 0;  // channels with values (a partial last block may leave some empty)
  for (size_t ch = 0; ch < acc.golden_min.size(); ++ch) {
    if (acc.golden_min[ch] > acc.golden_max[ch]) continue;
    const double lo = std::max<double>(acc.golden_min[ch], encoding.min(ch));
    const double hi = std::min<double>(acc.golden_max[ch], encoding.max(ch));
    use += std::max(0.0, hi - lo) / (static_cast<double>(encoding.max(ch)) - encoding.min(ch));
    ++seen;
  }
  split.range_use = seen ? use / static_cast<double>(seen) : 0;
  const double n = static_cast<double>(acc.count);
  split.clipped_share = static_cast<double>(acc.clipped) / n;
  split.clipping_mse = acc.clipped_error_sq / n;
  split.rounding_mse = acc.in_range_error_sq / n;
  split.max_error_lsb = acc.max_error_lsb;
  return split;
}

}  // namespace qf::compare
