// SPDX-License-Identifier: Apache-2.0
#include "core/closest_names.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace qf {

namespace {
// Two edits cover the common typos of a short name (a '-' for a '_', a doubled or dropped letter).
constexpr size_t kMinAllowedEdits = 2;
constexpr size_t kAllowedEditsPerLength = 4;  // a quarter of the name may differ
}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the dynamic-programming table at a time.
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& known,
                                       size_t max_count) {
  std::vector<std::pair<size_t, size_t>> near;  // (distance, index in known)
  for (size_t i = 0; i < known.size(); ++i) {
    const size_t allowed = std::max(kMinAllowedEdits, std::max(name.size(), known[i].size()) / kAllowedEditsPerLength);
    const size_t d = edit_distance(name, known[i]);
    if (d <= allowed && d > 0) near.emplace_back(d, i);
  }
  std::stable_sort(near.begin(), near.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t k = 0; k < near.size() && out.size() < max_count; ++k) out.push_back(known[near[k].second]);
  return out;
}

}  // namespace qf
