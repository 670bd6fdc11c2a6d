// SPDX-License-Identifier: Apache-2.0
#include "io/dims.h"

namespace qf {

Result<Shape> parse_dims(const std::string& text) {
  Shape dims;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string tok = text.substr(pos, comma - pos);
    // 12 digits keep stoll in range and are far more than any real dimension.
    if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos || tok.size() > 12)
      return usage_error("'{}' is not a comma-separated list of positive dimensions", text);
    const int64_t d = std::stoll(tok);
    if (d <= 0) return usage_error("dimension {} in '{}' must be positive", d, text);
    dims.push_back(d);
    pos = comma + 1;
  }
  return dims;
}

Result<std::map<std::string, Shape>> parse_input_dims(const std::vector<std::string>& name_dims_pairs) {
  std::map<std::string, Shape> out;
  for (size_t i = 0; i < name_dims_pairs.size(); i += 2) {
    const std::string& name = name_dims_pairs[i];
    if (name.empty()) return usage_error("--input_dim: the input name is empty");
    // CLI11 passes a last `--input_dim x` on with its one value.
    if (i + 1 == name_dims_pairs.size()) return usage_error("--input_dim {}: DIMS missing after the name", name);
    auto dims = parse_dims(name_dims_pairs[i + 1]);
    if (!dims.is_ok()) return dims.status().with_context("--input_dim " + name);
    // The last one silently winning would hide a typo in a long command line.
    if (!out.emplace(name, *dims).second) return usage_error("--input_dim {} is given twice", name);
  }
  return out;
}

}  // namespace qf
