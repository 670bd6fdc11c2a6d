// SPDX-License-Identifier: Apache-2.0
// Top-k ranks, agreement between the two sides, and accuracy against labels.
#include <catch2/catch.hpp>

#include <vector>

#include "compare/top_k.h"

using namespace qf::compare;

TEST_CASE("top_k_indices: largest first, the lower index on ties", "[compare][topk]") {
  const std::vector<float> v = {0.1f, 0.5f, 0.5f, 0.2f};
  CHECK(top_k_indices(v, 3) == std::vector<size_t>{1, 2, 3});
  CHECK(top_k_indices(v, 1) == std::vector<size_t>{1});
  CHECK(top_k_indices(v, 9).size() == 4);
}

TEST_CASE("top-k agreement over rows of classes", "[compare][topk]") {
  // Row 0: argmax 1 vs 2, the same top-2 set {1, 2}. Row 1: identical.
  const std::vector<float> g = {0.1f, 0.5f, 0.3f, 0.2f, 1, 0, 0, 0};
  const std::vector<float> c = {0.1f, 0.3f, 0.5f, 0.2f, 1, 0, 0, 0};
  TopKAccumulator acc;
  acc.add(g, c, 4, 2);
  CHECK(acc.rows == 2);
  TopKAgreement a = top_k_agreement(acc);
  CHECK(a.top1 == Approx(0.5));
  CHECK(a.topk == Approx(1.0));

  // k = 1 on the same rows: half of the rows agree.
  TopKAccumulator one;
  one.add(g, c, 4, 1);
  CHECK(top_k_agreement(one).topk == Approx(0.5));

  // Top-2 sets {0, 1} vs {2, 3}: no overlap; k larger than the classes counts all of them.
  TopKAccumulator disjoint;
  disjoint.add(std::vector<float>{4, 3, 2, 1}, std::vector<float>{1, 2, 3, 4}, 4, 2);
  CHECK(top_k_agreement(disjoint).topk == 0.0);
  TopKAccumulator all;
  all.add(std::vector<float>{4, 3, 2}, std::vector<float>{1, 2, 3}, 3, 5);
  CHECK(top_k_agreement(all).topk == 1.0);
  CHECK(top_k_agreement(all).top1 == 0.0);
}

TEST_CASE("accuracy: top-1 and top-5 of both sides against a label", "[compare][topk]") {
  AccuracyAccumulator acc;
  acc.add(std::vector<float>{0.1f, 0.7f, 0.2f}, std::vector<float>{0.5f, 0.4f, 0.1f}, 1);
  std::vector<float> ten(10, 0.f);
  for (size_t i = 0; i < ten.size(); ++i) ten[i] = static_cast<float>(i);  // ranks: 9, 8, ..., 0
  acc.add(ten, ten, 4);  // sixth: outside the top 5 on both sides
  CHECK(acc.samples == 2);
  CHECK(acc.golden_top1 == 1);
  CHECK(acc.candidate_top1 == 0);
  CHECK(acc.golden_top5 == 1);
  CHECK(acc.candidate_top5 == 1);
  acc.add(ten, ten, 5);  // fifth
  CHECK(acc.golden_top5 == 2);
}
