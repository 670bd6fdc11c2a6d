// SPDX-License-Identifier: Apache-2.0
// SmoothQuant (Xiao et al., ICML 2023): a transformer's activations carry outliers in a few input
// channels of each linear layer, which a per-tensor grid cannot hold without losing the rest. The
// layer X·W equals (X ⊘ s)·(s ⊙ W) for any positive per-input-channel s; dividing channel j of X by
//   s_j = max|X_j|^α / max|W_j|^(1−α)
// (max|W_j| over row j of every layer reading X) and multiplying row j of the weights by s_j moves
// the difficulty from the activation's per-tensor grid to the weights' per-column grids.
//
// A site is one activation X with the linear layers that read it (MatMul / Gemm with constant 2-D
// weights, X as their first input). The division by s lands, in order of preference:
//   - in the LayerNormalization that makes X (γ and β divided by s), when X feeds only the site;
//   - in the linear layer that makes X (its weight columns and bias, a Relu commutes with s > 0);
//   - otherwise in a new Mul by 1/s between X and the site's layers.
//
// --smooth_quant auto picks α per site from 0.05, 0.10, ..., 0.95, or no smoothing, by the error of
// the site's outputs on sampled calibration rows under the conversion's grids:
//   E(s) = Σ_layers ‖X W − Qa(X ⊘ s) Qw(s ⊙ W)‖² / Σ_layers ‖X W‖²
// Qa: one per-tensor activation grid over the calibration range of X ⊘ s (min-max, whatever
// observer the conversion uses afterwards); Qw: the conversion's weight grid, per output column with
// --use_per_row_quantization. Rows are every k-th row of X over the inferences (k so that at most
// max_rows are kept), columns every c-th output column (at most max_columns per layer).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/input_list.h"
#include "ir/encoding.h"
#include "ir/graph.h"
#include "quant/calibrate.h"

namespace qf {

class Executor;

struct SmoothQuantOptions {
  std::optional<float> alpha;  // a fixed α in (0, 1); nullopt: per site, by the error above
  QuantScheme act{QuantSchema::kAsymmetric, 8};
  QuantScheme param{QuantSchema::kSymmetric, 8};
  bool per_column_weights = false;  // --use_per_row_quantization
  int64_t max_rows = 256;
  int64_t max_columns = 256;
};

// --smooth_quant's value: "auto" or a number strictly between 0 and 1.
Result<std::optional<float>> parse_smooth_quant_alpha(std::string_view text);

enum class SmoothingFold { kLayerNorm, kLinear, kInsertedMul };
std::string_view smoothing_fold_name(SmoothingFold fold);  // layer_norm, linear, inserted_mul

struct SmoothingSite {
  Value* input = nullptr;    // X
  std::vector<Node*> layers;  // the linear layers reading X as their first input
  SmoothingFold fold = SmoothingFold::kInsertedMul;
  Node* fold_into = nullptr;  // the LayerNorm or linear layer that makes X (null for kInsertedMul)
  Node* bias_add = nullptr;   // kLinear: an Add of a constant bias between that layer and X
  int64_t channels = 0;       // K
};

// Every site of the graph, in graph order. X must be float with a static last axis; neither X nor
// the weights may carry an encoding already (an override or a Q/DQ pair states the grid for the
// values as they are).
std::vector<SmoothingSite> find_smoothing_sites(const Graph& graph);

// What calibration shows of one site's input: per channel the range and the largest magnitude,
// and the sampled rows.
struct SiteStatistics {
  std::vector<float> channel_min, channel_max, channel_absmax;
  std::vector<float> rows;  // [sampled rows][K]
  int64_t sampled_rows() const;
  int64_t channels = 0;
};

class SmoothingStatistics {
 public:
  SmoothingStatistics() = default;
  // `inferences`: how many inferences observe() will see (it spaces the sampled rows).
  SmoothingStatistics(std::span<const SmoothingSite> sites, int64_t inferences, int64_t max_rows);
  Status observe(const Executor& executor);
  const SiteStatistics& site(size_t i) const { return stats_[i]; }

 private:
  std::vector<const Value*> inputs_;
  std::vector<SiteStatistics> stats_;
  std::vector<int64_t> rows_seen_;
  std::vector<int64_t> stride_;
  int64_t inferences_ = 1;
  int64_t max_rows_ = 0;
};

// s for one α from the statistics and the site's weights (1 where X or W is zero in a channel,
// at least 1e-5 elsewhere).
std::vector<float> smoothing_scales(const SmoothingSite& site, const SiteStatistics& stats, float alpha);

// E(s) above; scales empty: no smoothing.
Result<double> smoothing_error(const SmoothingSite& site, const SiteStatistics& stats, std::span<const float> scales,
                               const SmoothQuantOptions& options);

struct SmoothingChoice {
  std::string input;
  std::vector<std::string> layers;
  std::string folded_into;     // "LayerNormalization 'ln'", "Mul 'x_smoothed'", ...; empty: unsmoothed
  std::optional<float> alpha;  // nullopt: left unsmoothed (auto found smoothing no better)
  double error_unsmoothed = 0, error = 0;
  std::vector<std::pair<float, double>> candidates;  // auto: (α, E) for every α tried
  std::vector<float> scales;
};

// The α (given, or the best of the grid) and its scales for one site.
Result<SmoothingChoice> choose_smoothing(const SmoothingSite& site, const SiteStatistics& stats,
                                         const SmoothQuantOptions& options);

// Rewrites the graph for one site with its scales (fold or Mul, see above); the values the site's
// layers compute do not change beyond float rounding. Records the new tensor names in `choice`.
Status apply_smoothing(Graph& graph, const SmoothingSite& site, std::span<const float> scales,
                       SmoothingChoice* choice);

struct SmoothQuantReport {
  std::optional<float> alpha;  // as asked
  std::vector<SmoothingChoice> sites;
  nlohmann::json to_json() const;
};

// The graph's sites and what one fp32 pass over the list shows of their inputs.
struct MeasuredSites {
  std::vector<SmoothingSite> sites;
  SmoothingStatistics statistics;
};
Result<MeasuredSites> measure_smoothing_sites(const Graph& graph, const InputList& list,
                                              const CalibrationOptions& calibration, const SmoothQuantOptions& options);

// A choice per site and its rewrite, last site first: a site that folds into a linear layer
// changes that layer's columns, which the earlier site whose layer it is must see when it weighs
// the layer's rows (X values never change: each rewrite keeps what the site's layers compute).
Result<SmoothQuantReport> smooth_sites(Graph& graph, const MeasuredSites& measured, const SmoothQuantOptions& options);

// Both: what --smooth_quant does.
Result<SmoothQuantReport> smooth_quant(Graph& graph, const InputList& list, const CalibrationOptions& calibration,
                                       const SmoothQuantOptions& options);

}  // namespace qf
