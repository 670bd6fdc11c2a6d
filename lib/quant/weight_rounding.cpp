// SPDX-License-Identifier: Apache-2.0
#include "quant/weight_rounding.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "quant/plan.h"

namespace qf {
namespace {

constexpr std::string_view kAdaround = "adaround";
constexpr std::string_view kBiasCorrection = "bc";
// Coordinate descent stops after this many sweeps even if a move still helps (it rarely gets past 4).
constexpr int kMaxSweeps = 16;
// A move must lower the error by more than rounding noise in its own terms.
constexpr double kRelativeTolerance = 1e-12;

double written(int64_t q, const Encoding& e, size_t channel) { return dequantize_value(q, e, channel); }

// h x (K x K row-major times a K-vector).
std::vector<double> times(const double* h, std::span<const double> x) {
  const size_t k = x.size();
  std::vector<double> out(k, 0.0);
  for (size_t i = 0; i < k; ++i) {
    const double* row = h + i * k;
    double s = 0;
    for (size_t j = 0; j < k; ++j) s += row[j] * x[j];
    out[i] = s;
  }
  return out;
}

double quadratic_form(const double* h, std::span<const double> x) {
  const std::vector<double> hx = times(h, x);
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i] * hx[i];
  return s;
}

std::vector<double> rounding_delta(std::span<const double> w, std::span<const int64_t> q, const Encoding& e,
                                   size_t channel) {
  std::vector<double> d(w.size());
  for (size_t j = 0; j < w.size(); ++j) d[j] = written(q[j], e, channel) - w[j];
  return d;
}

// The quadratic forms of one group's inputs: the second moment E[x x^T] and the matrix the codes
// minimise, the covariance when bc takes the mean error off afterwards (else the second moment).
struct GroupForms {
  std::vector<double> second, covariance, mean;
  const double* objective() const { return covariance.empty() ? second.data() : covariance.data(); }
};

GroupForms group_forms(const InputMoments& m, int64_t g, bool centered) {
  const auto k = static_cast<size_t>(m.size);
  const double n = static_cast<double>(m.count);
  GroupForms f;
  f.mean.resize(k);
  for (size_t i = 0; i < k; ++i) f.mean[i] = m.group_sum(g)[i] / n;
  f.second.resize(k * k);
  for (size_t i = 0; i < k * k; ++i) f.second[i] = m.group_gram(g)[i] / n;
  if (centered) {
    f.covariance = f.second;
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < k; ++j) f.covariance[i * k + j] -= f.mean[i] * f.mean[j];
  }
  return f;
}

// A layer's bias ready for correction: its own float constant with one value per output channel,
// on a grid the converter derives (not an override's or the model's Q/DQ). Creates a zero bias for
// a layer without one. nullptr (with the reason logged) when the bias cannot be corrected.
Value* correctable_bias(Graph& graph, Node& node, int64_t channels, bool* added) {
  *added = false;
  Value* bias = node.input(2);
  if (!bias) {
    if (node.inputs.size() < 3) node.inputs.resize(3, nullptr);
    bias = graph.add_constant(graph.unique_name(node.name + "_bias"), Tensor(DType::kF32, {channels}));
    graph.set_input(&node, 2, bias);
    *added = true;
    return bias;
  }
  const char* why = nullptr;
  if (!bias->is_constant() || bias->constant->dtype() != DType::kF32 || bias->constant->numel() != channels)
    why = "its bias is not a float constant with one value per output channel";
  else if (bias->consumers.size() != 1)
    why = "its bias is shared with another node";
  else if (bias->encoding &&
           (bias->encoding_source == EncodingSource::kOverride || bias->encoding_source == EncodingSource::kQdq))
    why = "its bias encoding is given";
  if (why) {
    spdlog::debug("bc: {} keeps its bias: {}", node.describe(), why);
    return nullptr;
  }
  return bias;
}

}  // namespace

std::vector<std::string> WeightAlgorithms::names() const {
  std::vector<std::string> out;
  if (adaround) out.emplace_back(kAdaround);
  if (bias_correction) out.emplace_back(kBiasCorrection);
  return out;
}

Result<WeightAlgorithms> parse_weight_algorithms(std::span<const std::string> names) {
  WeightAlgorithms a;
  for (const std::string& name : names) {
    if (name == kAdaround) {
      a.adaround = true;
    } else if (name == kBiasCorrection) {
      a.bias_correction = true;
    } else {
      return usage_error("--algorithms: unknown algorithm '{}' ({}, {})", name, kAdaround, kBiasCorrection);
    }
  }
  return a;
}

RowRounding round_row(std::span<const double> w, const double* h, const Encoding& e, size_t channel, bool search) {
  const size_t k = w.size();
  const double scale = e.scale[channel];
  const int64_t offset = e.offset[channel];
  RowRounding out;
  out.nearest.resize(k);
  std::vector<int64_t> down(k), up(k);
  for (size_t j = 0; j < k; ++j) {
    out.nearest[j] = quantize_value(static_cast<float>(w[j]), e, channel);
    const double below = std::floor(w[j] / scale) - static_cast<double>(offset);
    down[j] = static_cast<int64_t>(std::clamp(below, static_cast<double>(e.qmin()), static_cast<double>(e.qmax())));
    up[j] = static_cast<int64_t>(std::clamp(below + 1, static_cast<double>(e.qmin()), static_cast<double>(e.qmax())));
  }
  std::vector<int64_t>& q = out.codes;
  q = out.nearest;
  // r = h (w~ - w): moving code j by one step d changes the error by 2 d r[j] + d^2 h[j][j].
  std::vector<double> delta = rounding_delta(w, q, e, channel);
  std::vector<double> r = times(h, delta);
  for (size_t j = 0; j < k; ++j) out.error_nearest += delta[j] * r[j];
  out.error_chosen = out.error_nearest;
  for (int sweep = 0; search && sweep < kMaxSweeps; ++sweep) {
    bool moved = false;
    for (size_t j = 0; j < k; ++j) {
      const int64_t other = q[j] == down[j] ? up[j] : down[j];
      if (other == q[j]) continue;
      const double d = written(other, e, channel) - written(q[j], e, channel);
      const double hjj = h[j * k + j];
      const double change = 2 * d * r[j] + d * d * hjj;
      if (change >= -kRelativeTolerance * (d * d * hjj + std::abs(2 * d * r[j]))) continue;
      q[j] = other;
      delta[j] += d;
      for (size_t i = 0; i < k; ++i) r[i] += d * h[i * k + j];  // h is symmetric: column j = row j
      moved = true;
    }
    if (!moved) break;
  }
  if (search) {
    out.error_chosen = 0;
    for (size_t j = 0; j < k; ++j) out.error_chosen += delta[j] * r[j];
  }
  return out;
}

double rounding_error(std::span<const double> w, std::span<const int64_t> q, const double* h, const Encoding& e,
                      size_t channel) {
  return quadratic_form(h, rounding_delta(w, q, e, channel));
}

Result<WeightAlgorithmsReport> apply_weight_algorithms(Graph& graph, const LayerInputMoments& moments,
                                                       const WeightAlgorithms& algorithms,
                                                       const QuantizerOptions& options) {
  WeightAlgorithmsReport report;
  for (const auto& owned : graph.nodes()) {
    Node& node = *owned;
    const InputMoments* m = moments.find(&node);
    if (!m || m->count == 0) continue;
    const WeightRows* rows = &m->weights;
    Value* x = node.input(0);
    Value* w = node.input(1);
    if (!x->encoding || !w->encoding) continue;  // runs in float
    if (w->encoding_source != EncodingSource::kCalibration) {
      spdlog::debug("{}: weights keep the codes of their given encoding", node.describe());
      continue;
    }
    const Encoding& e = *w->encoding;
    if (e.per_channel() && e.axis != weight_channel_axis(node)) continue;

    bool added_bias = false;
    Value* bias = algorithms.bias_correction ? correctable_bias(graph, node, rows->rows, &added_bias) : nullptr;
    Tensor weights = w->constant->clone();
    float* wd = weights.data<float>();
    const auto channels = static_cast<size_t>(rows->rows);
    std::vector<double> shift(channels, 0.0), energy(channels, 0.0), error_nearest(channels, 0.0),
        error_chosen(channels, 0.0);
    std::vector<int64_t> moved(channels, 0);
    for (int64_t g = 0; g < m->groups; ++g) {
      const GroupForms forms = group_forms(*m, g, bias != nullptr);
#pragma omp parallel for schedule(dynamic)
      for (int64_t c = g * rows->rows_per_group; c < (g + 1) * rows->rows_per_group; ++c) {
        const auto ci = static_cast<size_t>(c);
        const size_t channel = e.per_channel() ? ci : 0;
        std::vector<double> row(static_cast<size_t>(rows->length));
        for (size_t j = 0; j < row.size(); ++j)
          row[j] = wd[c * rows->row_stride + static_cast<int64_t>(j) * rows->item_stride];
        const RowRounding rounding = round_row(row, forms.objective(), e, channel, algorithms.adaround);
        const std::vector<double> delta = rounding_delta(row, rounding.codes, e, channel);
        // The baseline is plain nearest rounding, mean error included: when bc centred the form,
        // d^T E[x x^T] d = d^T Cov[x] d + (d . E[x])^2.
        double nearest_mean_error = 0;
        for (size_t j = 0; j < row.size(); ++j) {
          const int64_t nearest = rounding.nearest[j];
          if (bias) nearest_mean_error += (written(nearest, e, channel) - row[j]) * forms.mean[j];
          moved[ci] += rounding.codes[j] != nearest;
          shift[ci] += delta[j] * forms.mean[j];
          wd[c * rows->row_stride + static_cast<int64_t>(j) * rows->item_stride] =
              static_cast<float>(written(rounding.codes[j], e, channel));
        }
        error_nearest[ci] = rounding.error_nearest + nearest_mean_error * nearest_mean_error;
        error_chosen[ci] = rounding.error_chosen;
        energy[ci] = quadratic_form(forms.second.data(), row);
      }
    }
    w->constant = std::move(weights);
    if (bias) {
      Tensor corrected = bias->constant->clone();
      for (int64_t c = 0; c < rows->rows; ++c) corrected.data<float>()[c] -= static_cast<float>(shift[static_cast<size_t>(c)]);
      bias->constant = std::move(corrected);
      QF_RETURN_IF_ERROR(assign_bias_encoding(bias, x, w, options).with_context(node.describe()));
      report.added_biases += added_bias;
    }
    ++report.layers;
    report.codes += rows->rows * rows->length;
    double layer_energy = 0, layer_nearest = 0, layer_chosen = 0;
    for (size_t c = 0; c < channels; ++c) {
      layer_energy += energy[c];
      layer_nearest += error_nearest[c];
      layer_chosen += error_chosen[c];
      report.moved_codes += moved[c];
    }
    if (layer_energy > 0) {
      report.error_nearest += layer_nearest / layer_energy;
      report.error_chosen += layer_chosen / layer_energy;
    }
  }
  return report;
}

}  // namespace qf
