// SPDX-License-Identifier: Apache-2.0
#include "io/input_layout.h"

#include <cstring>

namespace qf {

Result<std::map<std::string, InputLayout>> parse_input_layouts(const std::vector<std::string>& name_layout_pairs) {
  std::map<std::string, InputLayout> out;
  for (size_t i = 0; i < name_layout_pairs.size(); i += 2) {
    const std::string& name = name_layout_pairs[i];
    if (name.empty()) return usage_error("--input_layout: the input name is empty");
    // CLI11 passes a last `--input_layout x` on with its one value.
    if (i + 1 == name_layout_pairs.size())
      return usage_error("--input_layout {}: LAYOUT missing after the name (NCHW or NHWC)", name);
    const std::string& text = name_layout_pairs[i + 1];
    InputLayout layout;
    if (text == "NCHW") {
      layout = InputLayout::kNCHW;
    } else if (text == "NHWC") {
      layout = InputLayout::kNHWC;
    } else {
      return usage_error("--input_layout {}: '{}' is not a layout qforge reads (NCHW, NHWC)", name, text);
    }
    if (!out.emplace(name, layout).second) return usage_error("--input_layout {} is given twice", name);
  }
  return out;
}

Tensor nhwc_to_nchw(const Tensor& nhwc) {
  const Shape& s = nhwc.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  Tensor nchw(nhwc.dtype(), {n, c, h, w});
  const size_t item = dtype_size(nhwc.dtype());
  const auto* from = nhwc.bytes();
  auto* to = nchw.bytes();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t src = ((b * h + y) * w + x) * c + ch;
          const int64_t dst = ((b * c + ch) * h + y) * w + x;
          std::memcpy(to + dst * item, from + src * item, item);
        }
  return nchw;
}

}  // namespace qf
