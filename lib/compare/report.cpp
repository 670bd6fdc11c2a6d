// SPDX-License-Identifier: Apache-2.0
#include "compare/report.h"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace qf::compare {

std::vector<size_t> DiffReport::outputs() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].pair.is_output) out.push_back(i);
  return out;
}

std::vector<size_t> DiffReport::all() const {
  std::vector<size_t> out(tensors.size());
  std::iota(out.begin(), out.end(), 0);
  return out;
}

size_t DiffReport::count(Verdict verdict) const {
  return static_cast<size_t>(
      std::count_if(tensors.begin(), tensors.end(), [&](const TensorReport& t) { return t.verdict == verdict; }));
}

std::vector<size_t> worst_first(const std::vector<TensorReport>& tensors, std::vector<size_t> indices) {
  auto key = [&](size_t i) {
    const TensorReport& t = tensors[i];
    return std::make_tuple(t.verdict == Verdict::kMistrusted, t.metrics.sqnr_db, t.metrics.cosine);
  };
  std::stable_sort(indices.begin(), indices.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  return indices;
}

}  // namespace qf::compare
