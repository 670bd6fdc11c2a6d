// SPDX-License-Identifier: Apache-2.0
#include "quant/smooth_quant.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "ir/fused_activation.h"
#include "runtime/executor.h"

namespace qf {
namespace {

constexpr float kMinScale = 1e-5f;
constexpr int kAutoSteps = 19;  // α = 0.05, 0.10, ..., 0.95

// A linear layer's constant weights seen as K x N (row j: input channel j).
struct LinearWeights {
  const Tensor* tensor = nullptr;
  int64_t k = 0, n = 0;
  bool transposed = false;  // stored [N, K] (Gemm with transB)

  int64_t index(int64_t j, int64_t col) const { return transposed ? col * k + j : j * n + col; }
  float at(int64_t j, int64_t col) const { return tensor->data<float>()[index(j, col)]; }
};

bool is_float_constant(const Value* v) { return v && v->is_constant() && v->constant->dtype() == DType::kF32; }

// The layer's weights as K x N when it is a linear layer reading `x` as its first input.
std::optional<LinearWeights> linear_weights(const Node& node, const Value* x) {
  if (node.input(0) != x) return std::nullopt;
  const Value* w = node.input(1);
  if (!is_float_constant(w) || w->encoding || w->type.shape.size() != 2) return std::nullopt;
  const Shape& s = w->type.shape;
  if (node.kind == OpKind::kMatMul) return LinearWeights{&*w->constant, s[0], s[1], false};
  if (node.kind == OpKind::kGemm && node.attr_int("transA", 0) == 0) {
    const bool transposed = node.attr_int("transB", 0) != 0;
    return LinearWeights{&*w->constant, transposed ? s[1] : s[0], transposed ? s[0] : s[1], transposed};
  }
  return std::nullopt;
}

LinearWeights site_weights(const Node& layer, const SmoothingSite& site) {
  return *linear_weights(layer, site.input);
}

// A constant of K values along the last axis (shape [..., K] with ones before), or one value.
bool is_channel_vector(const Value* v, int64_t k) {
  if (!is_float_constant(v) || v->encoding) return false;
  const Shape& s = v->type.shape;
  if (shape_numel(s) == 1) return true;
  if (s.empty() || s.back() != k) return false;
  return shape_numel(s) == k;
}

bool relu_or_nothing(const Node& node) {
  auto act = fused_activation(node);
  return !act || act->is_relu();
}

// A MatMul / Gemm with constant weights whose output channels are X's channels.
bool is_foldable_linear(const Node* p, int64_t k) {
  if (!p || !relu_or_nothing(*p)) return false;
  auto w = linear_weights(*p, p->input(0));
  if (!w || w->n != k) return false;
  return !p->input(2) || is_channel_vector(p->input(2), k);
}

bool feeds_only(const Graph& graph, const Value* v, const std::vector<Node*>& nodes) {
  if (graph.is_output(v)) return false;
  for (const Node* c : v->consumers)
    if (std::find(nodes.begin(), nodes.end(), c) == nodes.end()) return false;
  return true;
}

void choose_fold(const Graph& graph, SmoothingSite& site) {
  if (!feeds_only(graph, site.input, site.layers)) return;
  Node* p = site.input->producer;
  if (!p || p->outputs.empty() || p->outputs[0] != site.input) return;
  const int64_t k = site.channels;
  if (p->kind == OpKind::kLayerNormalization) {
    const Value* gamma = p->input(1);
    const Value* beta = p->input(2);
    if (is_channel_vector(gamma, k) && shape_numel(gamma->type.shape) == k && (!beta || is_channel_vector(beta, k))) {
      site.fold = SmoothingFold::kLayerNorm;
      site.fold_into = p;
    }
    return;
  }
  if (is_foldable_linear(p, k)) {
    site.fold = SmoothingFold::kLinear;
    site.fold_into = p;
    return;
  }
  // MatMul -> Add(bias) -> X, the form a [B, T, C] Linear takes in an export.
  if (p->kind != OpKind::kAdd || p->inputs.size() != 2) return;
  for (size_t i = 0; i < 2; ++i) {
    Value* bias = p->input(i);
    Value* product = p->input(1 - i);
    if (!is_channel_vector(bias, k) || product->is_constant() || product->type.shape != site.input->type.shape)
      continue;
    Node* linear = product->producer;
    if (!is_foldable_linear(linear, k) || !feeds_only(graph, product, {p})) continue;
    site.fold = SmoothingFold::kLinear;
    site.fold_into = linear;
    site.bias_add = p;
    return;
  }
}

// `t` with element i divided (or multiplied) by scales[i % K] along its last axis; one value
// becomes K values.
Tensor scaled_channels(const Tensor& t, std::span<const float> scales, bool divide) {
  const auto k = static_cast<int64_t>(scales.size());
  Tensor out = t.numel() == 1 ? Tensor(DType::kF32, {k}) : t.clone();
  const float* in = t.data<float>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < out.numel(); ++i) {
    const float v = t.numel() == 1 ? in[0] : in[i];
    const float s = scales[static_cast<size_t>(i % k)];
    o[i] = divide ? v / s : v * s;
  }
  return out;
}

Value* replace_constant(Graph& graph, Node* node, size_t input, Tensor t) {
  Value* v = graph.add_constant(graph.unique_name(node->input(input)->name + "_smoothed"), std::move(t));
  graph.set_input(node, input, v);
  return v;
}

// A layer's weights with row j (input channel j) times s_j, or its columns (output channel j)
// divided by s_j.
Tensor scaled_weights(const LinearWeights& w, std::span<const float> scales, bool rows) {
  Tensor out = w.tensor->clone();
  float* o = out.data<float>();
  for (int64_t j = 0; j < w.k; ++j)
    for (int64_t c = 0; c < w.n; ++c) {
      float& v = o[w.index(j, c)];
      v = rows ? v * scales[static_cast<size_t>(j)] : v / scales[static_cast<size_t>(c)];
    }
  return out;
}

// Fake quantization of a per-tensor grid over [min, max].
Result<CodeGrid> activation_grid(float min, float max, const QuantScheme& scheme) {
  QF_ASSIGN_OR_RETURN(Encoding e, compute_encoding(min, max, scheme));
  return CodeGrid(e);
}

}  // namespace

std::string_view smoothing_fold_name(SmoothingFold fold) {
  switch (fold) {
    case SmoothingFold::kLayerNorm: return "layer_norm";
    case SmoothingFold::kLinear: return "linear";
    case SmoothingFold::kInsertedMul: return "inserted_mul";
  }
  return "?";
}

Result<std::optional<float>> parse_smooth_quant_alpha(std::string_view text) {
  if (text == "auto") return std::optional<float>();
  float alpha = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), alpha);
  if (ec != std::errc() || end != text.data() + text.size() || !(alpha > 0.f && alpha < 1.f))
    return usage_error("--smooth_quant: '{}' is neither 'auto' nor a number between 0 and 1 (exclusive)", text);
  return std::optional<float>(alpha);
}

std::vector<SmoothingSite> find_smoothing_sites(const Graph& graph) {
  std::vector<SmoothingSite> sites;
  auto order = graph.topo_order();
  if (!order.is_ok()) return sites;
  std::vector<const Value*> seen;
  for (const Node* node : *order) {
    for (Value* x : node->inputs) {
      if (!x || x->is_constant() || x->encoding || x->type.dtype != DType::kF32 || !x->type.has_shape ||
          x->type.shape.empty() || x->type.shape.back() <= 0)
        continue;
      if (std::find(seen.begin(), seen.end(), x) != seen.end()) continue;
      seen.push_back(x);
      SmoothingSite site;
      site.input = x;
      site.channels = x->type.shape.back();
      for (Node* c : x->consumers) {
        auto w = linear_weights(*c, x);
        if (w && w->k == site.channels && std::find(site.layers.begin(), site.layers.end(), c) == site.layers.end())
          site.layers.push_back(c);
      }
      if (site.layers.empty()) continue;
      choose_fold(graph, site);
      sites.push_back(std::move(site));
    }
  }
  return sites;
}

int64_t SiteStatistics::sampled_rows() const {
  return channels > 0 ? static_cast<int64_t>(rows.size()) / channels : 0;
}

SmoothingStatistics::SmoothingStatistics(std::span<const SmoothingSite> sites, int64_t inferences,
                                         int64_t max_rows)
    : inferences_(std::max<int64_t>(inferences, 1)), max_rows_(max_rows) {
  for (const SmoothingSite& site : sites) {
    inputs_.push_back(site.input);
    SiteStatistics s;
    s.channels = site.channels;
    const auto k = static_cast<size_t>(site.channels);
    s.channel_min.assign(k, std::numeric_limits<float>::infinity());
    s.channel_max.assign(k, -std::numeric_limits<float>::infinity());
    s.channel_absmax.assign(k, 0.f);
    stats_.push_back(std::move(s));
  }
  rows_seen_.assign(stats_.size(), 0);
  stride_.assign(stats_.size(), 0);
}

Status SmoothingStatistics::observe(const Executor& executor) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    QF_ASSIGN_OR_RETURN(Tensor x, executor.fetch(inputs_[i]));
    SiteStatistics& s = stats_[i];
    const int64_t k = s.channels;
    if (x.numel() % k != 0) return internal_error("smooth_quant: tensor '{}' is not a multiple of {}", inputs_[i]->name, k);
    const int64_t rows = x.numel() / k;
    // The first inference fixes the spacing: every stride-th row over all inferences.
    if (stride_[i] == 0) stride_[i] = std::max<int64_t>(1, (rows * inferences_ + max_rows_ - 1) / max_rows_);
    const float* data = x.data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = data + r * k;
      for (int64_t j = 0; j < k; ++j) {
        const float v = row[j];
        if (!std::isfinite(v)) continue;
        const auto c = static_cast<size_t>(j);
        s.channel_min[c] = std::min(s.channel_min[c], v);
        s.channel_max[c] = std::max(s.channel_max[c], v);
        s.channel_absmax[c] = std::max(s.channel_absmax[c], std::fabs(v));
      }
      const int64_t global = rows_seen_[i] + r;
      if (global % stride_[i] == 0 && s.sampled_rows() < max_rows_) s.rows.insert(s.rows.end(), row, row + k);
    }
    rows_seen_[i] += rows;
  }
  return Status::ok();
}

std::vector<float> smoothing_scales(const SmoothingSite& site, const SiteStatistics& stats, float alpha) {
  const auto k = static_cast<size_t>(site.channels);
  std::vector<double> w_absmax(k, 0.0);
  for (const Node* layer : site.layers) {
    const LinearWeights w = site_weights(*layer, site);
    for (int64_t j = 0; j < w.k; ++j)
      for (int64_t c = 0; c < w.n; ++c)
        w_absmax[static_cast<size_t>(j)] = std::max(w_absmax[static_cast<size_t>(j)], std::fabs(double{w.at(j, c)}));
  }
  std::vector<float> s(k, 1.f);
  for (size_t j = 0; j < k; ++j) {
    const double x = stats.channel_absmax[j];
    if (x <= 0.0 || w_absmax[j] <= 0.0) continue;
    const double v = std::pow(x, double{alpha}) / std::pow(w_absmax[j], 1.0 - double{alpha});
    s[j] = std::max(static_cast<float>(v), kMinScale);
  }
  return s;
}

Result<double> smoothing_error(const SmoothingSite& site, const SiteStatistics& stats, std::span<const float> scales,
                               const SmoothQuantOptions& options) {
  const int64_t k = site.channels;
  const int64_t rows = stats.sampled_rows();
  std::vector<float> ones;
  if (scales.empty()) {
    ones.assign(static_cast<size_t>(k), 1.f);
    scales = ones;
  }
  if (rows == 0) return 0.0;
  // X's calibration range, and that of X / s (s > 0: channel by channel).
  float x_min = 0, x_max = 0, xs_min = 0, xs_max = 0;
  for (int64_t j = 0; j < k; ++j) {
    const auto c = static_cast<size_t>(j);
    if (stats.channel_min[c] > stats.channel_max[c]) continue;  // no finite value seen
    x_min = std::min(x_min, stats.channel_min[c]);
    x_max = std::max(x_max, stats.channel_max[c]);
    xs_min = std::min(xs_min, stats.channel_min[c] / scales[c]);
    xs_max = std::max(xs_max, stats.channel_max[c] / scales[c]);
  }
  QF_ASSIGN_OR_RETURN(CodeGrid x_grid, activation_grid(x_min, x_max, options.act));
  QF_ASSIGN_OR_RETURN(CodeGrid xs_grid, activation_grid(xs_min, xs_max, options.act));
  // An inserted Mul reads X on X's own grid: what that grid loses stays lost.
  const bool input_keeps_its_grid = site.fold == SmoothingFold::kInsertedMul;
  std::vector<float> xq(stats.rows.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j) {
      const auto i = static_cast<size_t>(r * k + j);
      float v = stats.rows[i];
      if (input_keeps_its_grid) v = x_grid.dequantize(x_grid.quantize(v));
      xq[i] = xs_grid.dequantize(xs_grid.quantize(v / scales[static_cast<size_t>(j)]));
    }

  double error = 0, reference = 0;
  for (const Node* layer : site.layers) {
    const LinearWeights w = site_weights(*layer, site);
    const int64_t column_stride = std::max<int64_t>(1, (w.n + options.max_columns - 1) / options.max_columns);
    std::vector<int64_t> columns;
    for (int64_t c = 0; c < w.n; c += column_stride) columns.push_back(c);
    // s ⊙ W on its grid: per column or one for the tensor, from the scaled values' ranges.
    std::vector<float> ws(static_cast<size_t>(w.k * w.n));
    for (int64_t j = 0; j < w.k; ++j)
      for (int64_t c = 0; c < w.n; ++c) ws[static_cast<size_t>(j * w.n + c)] = w.at(j, c) * scales[static_cast<size_t>(j)];
    std::vector<float> mins(static_cast<size_t>(w.n), 0.f), maxs(static_cast<size_t>(w.n), 0.f);
    for (int64_t j = 0; j < w.k; ++j)
      for (int64_t c = 0; c < w.n; ++c) {
        const float v = ws[static_cast<size_t>(j * w.n + c)];
        mins[static_cast<size_t>(c)] = std::min(mins[static_cast<size_t>(c)], v);
        maxs[static_cast<size_t>(c)] = std::max(maxs[static_cast<size_t>(c)], v);
      }
    std::vector<CodeGrid> w_grids;
    if (options.per_column_weights) {
      QF_ASSIGN_OR_RETURN(Encoding e, compute_encoding_per_channel(mins, maxs, 1, options.param));
      for (size_t c = 0; c < e.channels(); ++c) w_grids.emplace_back(e, c);
    } else {
      QF_ASSIGN_OR_RETURN(Encoding e, compute_encoding(*std::min_element(mins.begin(), mins.end()),
                                                       *std::max_element(maxs.begin(), maxs.end()), options.param));
      w_grids.assign(static_cast<size_t>(w.n), CodeGrid(e));
    }
    std::vector<float> wq(static_cast<size_t>(w.k) * columns.size());
    for (size_t ci = 0; ci < columns.size(); ++ci) {
      const int64_t c = columns[ci];
      const CodeGrid& g = w_grids[static_cast<size_t>(c)];
      for (int64_t j = 0; j < w.k; ++j)
        wq[ci * static_cast<size_t>(w.k) + static_cast<size_t>(j)] = g.dequantize(g.quantize(ws[static_cast<size_t>(j * w.n + c)]));
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = stats.rows.data() + r * k;
      const float* xr = xq.data() + r * k;
      for (size_t ci = 0; ci < columns.size(); ++ci) {
        const float* wc = wq.data() + ci * static_cast<size_t>(w.k);
        double y = 0, yq = 0;
        for (int64_t j = 0; j < k; ++j) {
          y += double{x[j]} * double{w.at(j, columns[ci])};
          yq += double{xr[j]} * double{wc[j]};
        }
        error += (y - yq) * (y - yq);
        reference += y * y;
      }
    }
  }
  return reference > 0 ? error / reference : error;
}

Result<SmoothingChoice> choose_smoothing(const SmoothingSite& site, const SiteStatistics& stats,
                                         const SmoothQuantOptions& options) {
  SmoothingChoice choice;
  choice.input = site.input->name;
  for (const Node* layer : site.layers) choice.layers.push_back(layer->name);
  QF_ASSIGN_OR_RETURN(choice.error_unsmoothed, smoothing_error(site, stats, {}, options));
  choice.error = choice.error_unsmoothed;
  if (options.alpha) {
    // A fixed α smooths where the division folds away, as SmoothQuant does; an inserted Mul costs
    // a requantization and is left to auto, which weighs it.
    if (site.fold == SmoothingFold::kInsertedMul) return choice;
    choice.alpha = *options.alpha;
    choice.scales = smoothing_scales(site, stats, *options.alpha);
    QF_ASSIGN_OR_RETURN(choice.error, smoothing_error(site, stats, choice.scales, options));
    return choice;
  }
  for (int step = 1; step <= kAutoSteps; ++step) {
    const float alpha = static_cast<float>(step) * 0.05f;
    std::vector<float> scales = smoothing_scales(site, stats, alpha);
    QF_ASSIGN_OR_RETURN(double error, smoothing_error(site, stats, scales, options));
    choice.candidates.emplace_back(alpha, error);
    if (error < choice.error) {
      choice.error = error;
      choice.alpha = alpha;
      choice.scales = std::move(scales);
    }
  }
  return choice;
}

Status apply_smoothing(Graph& graph, const SmoothingSite& site, std::span<const float> scales,
                       SmoothingChoice* choice) {
  if (static_cast<int64_t>(scales.size()) != site.channels)
    return internal_error("smooth_quant: {} scales for {} channels of '{}'", scales.size(), site.channels,
                          site.input->name);
  for (Node* layer : site.layers)
    replace_constant(graph, layer, 1, scaled_weights(site_weights(*layer, site), scales, /*rows=*/true));

  Node* p = site.fold_into;
  switch (site.fold) {
    case SmoothingFold::kLayerNorm:
      for (size_t i : {size_t{1}, size_t{2}})
        if (p->input(i)) replace_constant(graph, p, i, scaled_channels(*p->input(i)->constant, scales, true));
      choice->folded_into = p->describe();
      break;
    case SmoothingFold::kLinear: {
      const LinearWeights w = *linear_weights(*p, p->input(0));
      replace_constant(graph, p, 1, scaled_weights(w, scales, /*rows=*/false));
      if (p->input(2)) replace_constant(graph, p, 2, scaled_channels(*p->input(2)->constant, scales, true));
      if (Node* add = site.bias_add) {
        const size_t bias = add->input(0)->is_constant() ? 0 : 1;
        replace_constant(graph, add, bias, scaled_channels(*add->input(bias)->constant, scales, true));
      }
      choice->folded_into = p->describe();
      break;
    }
    case SmoothingFold::kInsertedMul: {
      std::vector<float> inverse(scales.size());
      for (size_t j = 0; j < scales.size(); ++j) inverse[j] = 1.f / scales[j];
      Value* x = site.input;
      Value* factor = graph.add_constant(graph.unique_name(x->name + "_smoothing"),
                                         Tensor::from_vector<float>({site.channels}, inverse));
      QF_ASSIGN_OR_RETURN(Value * smoothed, graph.add_value(graph.unique_name(x->name + "_smoothed")));
      smoothed->type = x->type;
      QF_ASSIGN_OR_RETURN(Node * mul, graph.add_node(OpKind::kMul, graph.unique_name(x->name + "_smooth"),
                                                     {x, factor}, {smoothed}));
      for (Node* layer : site.layers) graph.set_input(layer, 0, smoothed);
      choice->folded_into = mul->describe();
      break;
    }
  }
  return Status::ok();
}

nlohmann::json SmoothQuantReport::to_json() const {
  nlohmann::json sites_json = nlohmann::json::array();
  for (const SmoothingChoice& c : sites) {
    nlohmann::json j = {{"input", c.input},
                        {"layers", c.layers},
                        {"alpha", c.alpha ? nlohmann::json(*c.alpha) : nlohmann::json()},
                        {"folded_into", c.folded_into},
                        {"error_unsmoothed", c.error_unsmoothed},
                        {"error", c.error}};
    sites_json.push_back(std::move(j));
  }
  return {{"alpha", alpha ? nlohmann::json(*alpha) : nlohmann::json("auto")}, {"sites", std::move(sites_json)}};
}

Result<MeasuredSites> measure_smoothing_sites(const Graph& graph, const InputList& list,
                                              const CalibrationOptions& calibration, const SmoothQuantOptions& options) {
  MeasuredSites measured;
  measured.sites = find_smoothing_sites(graph);
  if (measured.sites.empty()) return measured;
  const auto lines = static_cast<int64_t>(list.inferences.size());
  const int64_t inferences = calibration.max_samples >= 0 ? std::min(calibration.max_samples, lines) : lines;
  measured.statistics = SmoothingStatistics(measured.sites, inferences, options.max_rows);
  spdlog::info("smooth_quant: measuring the inputs of {} linear-layer groups over {}", measured.sites.size(),
               list.path);
  const QuantPlan no_groups;
  QF_ASSIGN_OR_RETURN(CalibrationState unused, CalibrationState::create(no_groups, calibration));
  QF_RETURN_IF_ERROR(calibrate(graph, no_groups, list, calibration, unused,
                               [&](const Executor& e) { return measured.statistics.observe(e); }));
  return measured;
}

Result<SmoothQuantReport> smooth_sites(Graph& graph, const MeasuredSites& measured, const SmoothQuantOptions& options) {
  SmoothQuantReport report;
  report.alpha = options.alpha;
  const std::vector<SmoothingSite>& sites = measured.sites;
  if (sites.empty()) {
    spdlog::warn("--smooth_quant: no MatMul / Gemm with constant weights reads an activation; nothing to smooth");
    return report;
  }
  report.sites.resize(sites.size());
  for (size_t i = sites.size(); i-- > 0;) {
    QF_ASSIGN_OR_RETURN(SmoothingChoice choice, choose_smoothing(sites[i], measured.statistics.site(i), options));
    if (choice.alpha) QF_RETURN_IF_ERROR(apply_smoothing(graph, sites[i], choice.scales, &choice));
    spdlog::debug("smooth_quant: '{}' ({} layers, {}): alpha {}, error {:.4g} -> {:.4g}", choice.input,
                  choice.layers.size(), smoothing_fold_name(sites[i].fold),
                  choice.alpha ? fmt::format("{:.2f}", *choice.alpha) : std::string("none"), choice.error_unsmoothed,
                  choice.error);
    report.sites[i] = std::move(choice);
  }
  graph.remove_dead_values();
  size_t smoothed = 0;
  double before = 0, after = 0;
  for (const SmoothingChoice& c : report.sites) {
    smoothed += c.alpha ? 1 : 0;
    before += c.error_unsmoothed;
    after += c.error;
  }
  const auto n = static_cast<double>(report.sites.size());
  spdlog::info("smooth_quant: smoothed {} of {} linear-layer groups; their output error on sampled calibration "
               "rows (mean relative square) {:.4g} -> {:.4g}",
               smoothed, report.sites.size(), before / n, after / n);
  return report;
}

Result<SmoothQuantReport> smooth_quant(Graph& graph, const InputList& list, const CalibrationOptions& calibration,
                                       const SmoothQuantOptions& options) {
  QF_ASSIGN_OR_RETURN(MeasuredSites measured, measure_smoothing_sites(graph, list, calibration, options));
  return smooth_sites(graph, measured, options);
}

}  // namespace qf
