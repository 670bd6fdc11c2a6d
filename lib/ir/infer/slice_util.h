// SPDX-License-Identifier: Apache-2.0
// Slice's start/end/step resolution, shared by shape inference and the reference kernel so the two
// cannot disagree about ONNX's clamping rules.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "ir/infer/infer_util.h"

namespace qf {

struct SliceAxis {
  int64_t start = 0;  // first index read (meaningless when count == 0)
  int64_t step = 1;
  int64_t count = -1;  // how many indices are read; -1 when the dim is not known
};

// Slice-13 semantics for one dim of size `dim`: negative start/end count from the end, then both are
// clamped to [0, dim] (step > 0) or [0, dim-1] / [-1, dim-1] (step < 0).
inline SliceAxis resolve_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  SliceAxis a;
  a.step = step;
  if (dim < 0) return a;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    // Written as (n - 1) / step + 1 so that a huge step cannot overflow.
    a.count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    a.count = start > end ? (end - start + 1) / step + 1 : 0;
  }
  a.start = start;
  return a;
}

// One SliceAxis per dim of `in` (dims not named by `axes` are read whole).
inline Result<std::vector<SliceAxis>> resolve_slice(const Node& node, const Shape& in,
                                                    const std::vector<int64_t>& starts,
                                                    const std::vector<int64_t>& ends,
                                                    const std::optional<std::vector<int64_t>>& axes,
                                                    const std::optional<std::vector<int64_t>>& steps) {
  const auto rank = static_cast<int64_t>(in.size());
  const size_t n = starts.size();
  if (ends.size() != n || (axes && axes->size() != n) || (steps && steps->size() != n))
    return bad_input("{}: starts, ends, axes and steps must have the same length", node.describe());
  std::vector<SliceAxis> out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d].count = in[d];
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = axes ? (*axes)[i] : static_cast<int64_t>(i);
    QF_ASSIGN_OR_RETURN(axis, normalize_axis(node, axis, rank));
    const auto d = static_cast<size_t>(axis);
    if (seen[d]) return bad_input("{}: axis {} is sliced twice", node.describe(), axis);
    seen[d] = true;
    const int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) return bad_input("{}: steps must not be 0", node.describe());
    out[d] = resolve_slice_axis(in[d], starts[i], ends[i], step);
  }
  return out;
}

}  // namespace qf
