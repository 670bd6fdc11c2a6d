// SPDX-License-Identifier: Apache-2.0
#include "quant/input_moments.h"

#include <fmt/ranges.h>

#include "core/log.h"
#include "runtime/executor.h"
#include "ir/infer/spatial_util.h"
#include "runtime/gram.h"

namespace qf {
namespace {

// Below this vector length a plain loop beats a BLAS call per group (depthwise 3x3: K = 9).
constexpr int64_t kSmallVector = 32;

Status add_gram(const float* x, int64_t vectors, int64_t k, std::vector<float>& scratch, double* gram) {
  if (k <= kSmallVector) {
    for (int64_t p = 0; p < vectors; ++p) {
      const float* row = x + p * k;
      for (int64_t i = 0; i < k; ++i) {
        const double xi = row[i];
        if (xi == 0) continue;
        double* g = gram + i * k;
        for (int64_t j = 0; j < k; ++j) g[j] += xi * row[j];
      }
    }
    return Status::ok();
  }
  // x^T x of one inference in float (oneDNN's sgemm, row-major), summed into doubles across
  // inferences so that long calibrations do not lose the small terms.
  scratch.resize(static_cast<size_t>(k * k));
  QF_RETURN_IF_ERROR(gram_matrix(x, vectors, k, scratch.data()));
  for (int64_t i = 0; i < k * k; ++i) gram[i] += scratch[static_cast<size_t>(i)];
  return Status::ok();
}

// A Conv's receptive-field patches, [groups][batch x output positions][C/group x kernel volume],
// in the order of the weights [M, C/group, k...].
Result<std::vector<float>> conv_patches(const Node& node, const Tensor& x, const Shape& w, int64_t* vectors) {
  QF_ASSIGN_OR_RETURN(const WindowGeometry geometry,
                      window_geometry(node, spatial_of(x.shape()), std::vector<int64_t>(w.begin() + 2, w.end()), false));
  QF_ASSIGN_OR_RETURN(const Window3d win, to_window3d(node, spatial_of(x.shape()), geometry));
  const int64_t batch = x.dim(0), channels = x.dim(1), group = node.attr_int("group", 1);
  if (group < 1 || channels != w[1] * group)
    return bad_input("{}: {} input channels do not fit weights {} and group {}", node.describe(), channels,
                     shape_to_string(w), group);
  const int64_t cg = channels / group, k_vol = win.k_volume(), k = cg * k_vol;
  const int64_t positions = batch * win.out_volume();
  std::vector<float> out(static_cast<size_t>(group * positions * k), 0.f);
  const float* xd = x.data<float>();
  int64_t p = 0;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o0 = 0; o0 < win.out[0]; ++o0) {
      for (int64_t o1 = 0; o1 < win.out[1]; ++o1) {
        for (int64_t o2 = 0; o2 < win.out[2]; ++o2, ++p) {
          for (int64_t g = 0; g < group; ++g) {
            float* row = out.data() + (g * positions + p) * k;
            for (int64_t c = 0; c < cg; ++c) {
              const float* plane = xd + (n * channels + g * cg + c) * win.in_volume();
              for (int64_t k0 = 0; k0 < win.k[0]; ++k0) {
                const int64_t i0 = o0 * win.s[0] - win.pb[0] + k0 * win.d[0];
                for (int64_t k1 = 0; k1 < win.k[1]; ++k1) {
                  const int64_t i1 = o1 * win.s[1] - win.pb[1] + k1 * win.d[1];
                  for (int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                    const int64_t i2 = o2 * win.s[2] - win.pb[2] + k2 * win.d[2];
                    const bool inside = i0 >= 0 && i0 < win.in[0] && i1 >= 0 && i1 < win.in[1] && i2 >= 0 &&
                                        i2 < win.in[2];
                    *row++ = inside ? plane[(i0 * win.in[1] + i1) * win.in[2] + i2] : 0.f;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  *vectors = positions;
  return out;
}

// One inference's input vectors of one layer, added to its moments.
Status add_inference(const Node& node, const Tensor& input, InputMoments& m) {
  int64_t vectors = 0;
  QF_ASSIGN_OR_RETURN(std::vector<float> x, layer_input_vectors(node, input, &vectors));
  std::vector<float> scratch;
  for (int64_t g = 0; g < m.groups; ++g) {
    const float* xg = x.data() + g * vectors * m.size;
    double* sum = m.sum.data() + g * m.size;
    for (int64_t p = 0; p < vectors; ++p)
      for (int64_t i = 0; i < m.size; ++i) sum[i] += xg[p * m.size + i];
    QF_RETURN_IF_ERROR(add_gram(xg, vectors, m.size, scratch, m.gram.data() + g * m.size * m.size));
  }
  m.count += vectors;
  return Status::ok();
}

}  // namespace

std::optional<WeightRows> adjustable_weight_rows(const Node& node, std::string* why) {
  auto decline = [&](const char* reason) {
    *why = reason;
    return std::optional<WeightRows>{};
  };
  if (node.kind != OpKind::kConv && node.kind != OpKind::kGemm && node.kind != OpKind::kMatMul)
    return decline("not a Conv, Gemm or MatMul");
  const Value* x = node.input(0);
  const Value* w = node.input(1);
  if (!x || !w || !w->is_constant() || w->constant->dtype() != DType::kF32) return decline("weights are not a float constant");
  if (w->consumers.size() != 1) return decline("weights shared with another node");
  if (!x->type.is_static()) return decline("input shape not static");
  const Shape& ws = w->constant->shape();
  WeightRows r;
  if (node.kind == OpKind::kConv) {
    if (ws.size() < 3 || ws.size() > 5) return decline("not a 1-D to 3-D Conv");
    const int64_t group = node.attr_int("group", 1);
    if (group < 1 || ws[0] % group != 0) return decline("output channels do not divide into groups");
    r.rows = ws[0];
    r.length = w->constant->numel() / ws[0];
    r.row_stride = r.length;
    r.rows_per_group = ws[0] / group;
    return r;
  }
  if (ws.size() != 2) return decline("weights not of rank 2");
  const bool trans_b = node.kind == OpKind::kGemm && node.attr_int("transB", 0) != 0;
  if (node.kind == OpKind::kGemm) {
    if (node.attr_int("transA", 0) != 0) return decline("Gemm with transA");
    if (node.attr_float("alpha", 1.f) != 1.f || node.attr_float("beta", 1.f) != 1.f)
      return decline("Gemm with alpha or beta other than 1");
  }
  r.rows = trans_b ? ws[0] : ws[1];
  r.length = trans_b ? ws[1] : ws[0];
  r.row_stride = trans_b ? ws[1] : 1;
  r.item_stride = trans_b ? 1 : ws[1];
  r.rows_per_group = r.rows;
  if (x->type.shape.back() != r.length) return decline("input and weights do not fit");
  return r;
}

Result<std::vector<float>> layer_input_vectors(const Node& node, const Tensor& input, int64_t* vectors) {
  if (input.dtype() != DType::kF32) return internal_error("{}: input is not float32", node.describe());
  if (node.kind == OpKind::kConv) return conv_patches(node, input, node.input(1)->constant->shape(), vectors);
  const int64_t k = input.shape().empty() ? 0 : input.shape().back();
  if (k <= 0) return internal_error("{}: empty input", node.describe());
  *vectors = input.numel() / k;
  return std::vector<float>(input.data<float>(), input.data<float>() + input.numel());
}

LayerInputMoments LayerInputMoments::for_graph(const Graph& graph) {
  LayerInputMoments m;
  std::vector<std::string> too_big;
  int64_t total = 0;
  for (const auto& owned : graph.nodes()) {
    const Node* node = owned.get();
    std::string why;
    const auto rows = adjustable_weight_rows(*node, &why);
    if (!rows) {
      if (node->kind == OpKind::kConv || node->kind == OpKind::kGemm || node->kind == OpKind::kMatMul)
        spdlog::debug("{} keeps nearest rounding: {}", node->describe(), why);
      continue;
    }
    InputMoments moments;
    moments.weights = *rows;
    moments.groups = rows->rows / rows->rows_per_group;
    moments.size = rows->length;
    const int64_t entries = moments.groups * moments.size * moments.size;
    if (entries > kMaxGramEntries || total + entries > kMaxTotalGramEntries) {
      too_big.push_back(node->name);
      continue;
    }
    total += entries;
    moments.sum.assign(static_cast<size_t>(moments.groups * moments.size), 0.0);
    moments.gram.assign(static_cast<size_t>(moments.groups * moments.size * moments.size), 0.0);
    m.layers_.emplace(node, std::move(moments));
  }
  if (!too_big.empty())
    spdlog::warn("{} layer(s) keep nearest rounding, their input statistics would exceed {} entries per layer "
                 "or {} in all: {}",
                 too_big.size(), kMaxGramEntries, kMaxTotalGramEntries, fmt::join(too_big, ", "));
  return m;
}

Status LayerInputMoments::observe(const Executor& executor) {
  // The fetches (which may reorder through oneDNN) run one at a time; the layers' sums are
  // independent and share out over the OpenMP threads that oneDNN uses too.
  std::vector<std::pair<const Node*, Tensor>> inputs;
  for (const auto& [node, m] : layers_) {
    QF_ASSIGN_OR_RETURN(Tensor input, executor.fetch(node->input(0)));
    inputs.emplace_back(node, std::move(input));
  }
  std::vector<Status> done(inputs.size());
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Node& node = *inputs[i].first;
    done[i] = add_inference(node, inputs[i].second, layers_.at(&node)).with_context(node.describe());
  }
  for (const Status& s : done) QF_RETURN_IF_ERROR(s);
  return Status::ok();
}

const InputMoments* LayerInputMoments::find(const Node* node) const {
  auto it = layers_.find(node);
  return it == layers_.end() ? nullptr : &it->second;
}

}  // namespace qf
