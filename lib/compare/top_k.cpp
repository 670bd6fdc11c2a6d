// SPDX-License-Identifier: Apache-2.0
#include "compare/top_k.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace qf::compare {

namespace {

bool ranks_among_top(std::span<const float> row, int64_t label, size_t k) {
  const auto top = top_k_indices(row, k);
  return std::find(top.begin(), top.end(), static_cast<size_t>(label)) != top.end();
}

}  // namespace

std::vector<size_t> top_k_indices(std::span<const float> values, size_t k) {
  std::vector<size_t> idx(values.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, values.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(), [&](size_t a, size_t b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  idx.resize(k);
  return idx;
}

void TopKAccumulator::add(std::span<const float> golden, std::span<const float> candidate, size_t classes,
                          size_t k) {
  assert(golden.size() == candidate.size() && classes > 0 && golden.size() % classes == 0);
  const size_t keep = std::min(k, classes);
  for (size_t start = 0; start < golden.size(); start += classes) {
    auto g = top_k_indices(golden.subspan(start, classes), keep);
    auto c = top_k_indices(candidate.subspan(start, classes), keep);
    if (g.front() == c.front()) ++top1_agree;
    std::sort(g.begin(), g.end());
    std::sort(c.begin(), c.end());
    std::vector<size_t> common;
    std::set_intersection(g.begin(), g.end(), c.begin(), c.end(), std::back_inserter(common));
    topk_overlap += static_cast<double>(common.size()) / static_cast<double>(keep);
    ++rows;
  }
}

TopKAgreement top_k_agreement(const TopKAccumulator& acc) {
  if (acc.rows == 0) return {};
  const double rows = static_cast<double>(acc.rows);
  return {static_cast<double>(acc.top1_agree) / rows, acc.topk_overlap / rows};
}

void AccuracyAccumulator::add(std::span<const float> golden, std::span<const float> candidate, int64_t label) {
  ++samples;
  golden_top1 += ranks_among_top(golden, label, 1);
  golden_top5 += ranks_among_top(golden, label, kAccuracyTopK);
  candidate_top1 += ranks_among_top(candidate, label, 1);
  candidate_top5 += ranks_among_top(candidate, label, kAccuracyTopK);
}

}  // namespace qf::compare
