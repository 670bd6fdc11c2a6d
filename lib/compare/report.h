// SPDX-License-Identifier: Apache-2.0
// What a diff found: the data every report (text, JSON, CSV, HTML) renders, and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compare/encoding_error.h"
#include "compare/gate.h"
#include "compare/match.h"
#include "compare/metrics.h"
#include "compare/runs.h"
#include "compare/top_k.h"
#include "compare/verdict.h"
#include "ir/encoding.h"

namespace qf::compare {

// A layer whose SQNR is below this is FAILED and may be the first divergent layer: 20 dB is an
// error power of 1 % of the signal's, about what one int8 requantization of a well-calibrated
// activation costs at the output of a deep network.
inline constexpr double kDefaultLayerSqnrThresholdDb = 20.0;
inline constexpr size_t kDefaultWorstLayers = 5;

struct DiffOptions {
  std::string golden;
  std::string candidate;
  std::string model;   // qgraph JSON; empty: none
  std::string labels;  // empty: none
  std::vector<std::string> outputs;
  MetricOptions metrics;
  size_t top_k = kDefaultTopK;
  double layer_sqnr_threshold_db = kDefaultLayerSqnrThresholdDb;
  size_t worst = kDefaultWorstLayers;
  std::vector<GateThreshold> fail_below;
};

struct EncodingReport {
  Encoding encoding;
  std::string source;
  EncodingErrorSplit error;
};

struct Accuracy {
  int64_t samples = 0;
  double golden_top1 = 0, golden_top5 = 0;  // shares in [0, 1]
  double candidate_top1 = 0, candidate_top5 = 0;
};

struct TensorReport {
  TensorPair pair;
  int inferences = 0;  // Result folders holding it on both sides
  int64_t values = 0;  // values compared over all of them
  TensorMetrics metrics;
  Verdict verdict = Verdict::kPassed;
  std::optional<EncodingReport> encoding;  // with --model, when the tensor has an encoding
  std::optional<TopKAgreement> top_k;      // graph outputs with two classes or more
  std::optional<Accuracy> accuracy;        // graph outputs, with --labels
};

// Tensors (indices into `tensors`) ordered worst first: mistrusted ones last, the others by SQNR,
// then by cosine; ties keep their order.
std::vector<size_t> worst_first(const std::vector<TensorReport>& tensors, std::vector<size_t> indices);

struct DiffReport {
  DiffOptions options;
  std::vector<int> results;  // compared Result indices
  std::vector<int> missing_in_golden;
  std::vector<int> missing_in_candidate;
  std::vector<UnmatchedTensor> unmatched;
  std::vector<MissingOutput> missing_outputs;  // outputs some compared Result folder lacks
  RunsCheck runs;                              // what the runs' manifests say
  std::vector<TensorReport> tensors;      // layer order
  std::optional<size_t> first_divergent;  // index into tensors
  std::vector<size_t> worst;              // indices into tensors, worst first
  std::vector<GateFailure> gate_failures;

  bool gated() const { return !options.fail_below.empty(); }
  std::vector<size_t> outputs() const;  // indices of the graph outputs, in layer order
  std::vector<size_t> all() const;      // every index, in layer order
  size_t count(Verdict verdict) const;
};

}  // namespace qf::compare
