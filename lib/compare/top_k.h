// SPDX-License-Identifier: Apache-2.0
// Classifier outputs: a tensor of rows of class scores (the last dim is the class axis; without
// --model a file is one row). Ranks break ties by the lower class index, as numpy.argmax does.
//   top1_agreement  share of rows where both sides have the same argmax;
//   topk_agreement  mean over rows of |topk(golden) & topk(candidate)| / k, k = min(--top_k, classes);
//   accuracy        share of rows whose label is the argmax (top-1) or among the top 5 (top-5).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace qf::compare {

inline constexpr int kDefaultTopK = 5;
inline constexpr size_t kAccuracyTopK = 5;  // "top-5 accuracy"

// The indices of the k largest values, largest first (fewer when there are fewer values).
std::vector<size_t> top_k_indices(std::span<const float> values, size_t k);

struct TopKAccumulator {
  int64_t rows = 0;
  int64_t top1_agree = 0;
  double topk_overlap = 0;  // sum over rows of the overlap share

  // golden.size() == candidate.size(), a multiple of classes.
  void add(std::span<const float> golden, std::span<const float> candidate, size_t classes, size_t k);
};

struct TopKAgreement {
  double top1 = 1;
  double topk = 1;
};
TopKAgreement top_k_agreement(const TopKAccumulator& acc);

struct AccuracyAccumulator {
  int64_t samples = 0;
  int64_t golden_top1 = 0, golden_top5 = 0;
  int64_t candidate_top1 = 0, candidate_top5 = 0;

  // One row of each side; label < row length.
  void add(std::span<const float> golden, std::span<const float> candidate, int64_t label);
};

}  // namespace qf::compare
