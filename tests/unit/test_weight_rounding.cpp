// SPDX-License-Identifier: Apache-2.0
// --algorithms adaround / bc: the per-row rounding on problems whose answer is known, the layer
// input statistics against the Conv they describe, and the effect on a layer's outputs measured
// by running the float layer, which knows nothing of Gram matrices.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "io/input_list.h"
#include "driver/load_model.h"
#include "onnx_builder.h"
#include "passes/passes.h"
#include "quant/calibrate.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "quant/weight_rounding.h"
#include "runtime/executor.h"
#include "scratch_files.h"
#include "test_support.h"

namespace qf {
namespace {

using test::OnnxBuilder;
using test::random_values;

Encoding symmetric8(float scale) {
  Encoding e;
  e.bitwidth = 8;
  e.is_signed = true;
  e.symmetric = true;
  e.scale = {scale};
  e.offset = {0};
  return e;
}

std::vector<int64_t> nearest_codes(std::span<const double> w, const Encoding& e) {
  std::vector<int64_t> q;
  for (double v : w) q.push_back(quantize_value(static_cast<float>(v), e));
  return q;
}

// A random positive semi-definite K x K matrix A^T A (A: rows x K), row-major.
std::vector<double> random_gram(size_t k, size_t rows, std::mt19937& gen) {
  std::normal_distribution<double> n(0, 1);
  std::vector<double> a(rows * k), h(k * k, 0.0);
  for (double& v : a) v = n(gen);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < k; ++j) h[i * k + j] += a[r * k + i] * a[r * k + j];
  return h;
}

}  // namespace

TEST_CASE("adaround row: uncorrelated inputs keep nearest rounding", "[quant][adaround]") {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(-1, 1), pos(0.1, 2);
  const Encoding e = symmetric8(0.01f);
  for (int trial = 0; trial < 20; ++trial) {
    const size_t k = 9;
    std::vector<double> w(k), h(k * k, 0.0);
    for (size_t j = 0; j < k; ++j) {
      w[j] = u(gen);
      h[j * k + j] = pos(gen);
    }
    // A diagonal form separates: each weight's own nearest code is optimal.
    CHECK(round_row(w, h.data(), e, 0).codes == nearest_codes(w, e));
  }
}

TEST_CASE("adaround row: errors that add up through a shared input are cancelled (hand-worked)", "[quant][adaround]") {
  // Three weights at 0.4 steps, all reading the same input (H = all ones): nearest rounds all
  // down, an output error of (3 x -0.4 s)^2 = 1.44 s^2; rounding one up leaves (-0.2 s)^2.
  const float s = 0.5f;
  const Encoding e = symmetric8(s);
  const std::vector<double> w{0.4 * s, 0.4 * s, 0.4 * s};
  const std::vector<double> ones(9, 1.0);
  const auto nearest = nearest_codes(w, e);
  CHECK(nearest == std::vector<int64_t>{0, 0, 0});
  const RowRounding r = round_row(w, ones.data(), e, 0);
  const auto& q = r.codes;
  CHECK(q == std::vector<int64_t>{1, 0, 0});
  CHECK(r.nearest == nearest);
  CHECK(r.error_nearest == Approx(1.44 * s * s));
  CHECK(r.error_chosen == Approx(0.04 * s * s));
  CHECK(round_row(w, ones.data(), e, 0, /*search=*/false).codes == nearest);
  CHECK(rounding_error(w, nearest, ones.data(), e, 0) == Approx(1.44 * s * s));
  CHECK(rounding_error(w, q, ones.data(), e, 0) == Approx(0.04 * s * s));
}

TEST_CASE("adaround row: floor or ceil only, never worse than nearest, no single move improves it", "[quant][adaround]") {
  std::mt19937 gen(11);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int trial = 0; trial < 30; ++trial) {
    const size_t k = 12;
    const std::vector<double> h = random_gram(k, 20, gen);
    std::vector<double> w(k);
    for (double& v : w) v = u(gen);
    // A grid on which the largest weight lies beyond qmax too: its code saturates.
    Encoding e = symmetric8(static_cast<float>(0.9 / 127));
    const auto q = round_row(w, h.data(), e, 0).codes;
    const auto nearest = nearest_codes(w, e);
    const double err = rounding_error(w, q, h.data(), e, 0);
    CHECK(err <= rounding_error(w, nearest, h.data(), e, 0) * (1 + 1e-12));
    for (size_t j = 0; j < k; ++j) {
      const double below = std::floor(w[j] / e.scale[0]);
      const auto down = static_cast<int64_t>(std::clamp(below, -128.0, 127.0));
      const auto up = static_cast<int64_t>(std::clamp(below + 1, -128.0, 127.0));
      CHECK((q[j] == down || q[j] == up));
      std::vector<int64_t> moved = q;
      moved[j] = q[j] == down ? up : down;
      CHECK(rounding_error(w, moved, h.data(), e, 0) >= err * (1 - 1e-9));
    }
  }
}

TEST_CASE("weight algorithms: the names --algorithms takes", "[quant][adaround]") {
  const std::vector<std::string> both{"bc", "adaround"};
  auto a = parse_weight_algorithms(both);
  REQUIRE(a.is_ok());
  CHECK(a->adaround);
  CHECK(a->bias_correction);
  CHECK(a->names() == std::vector<std::string>{"adaround", "bc"});
  const std::vector<std::string> cle{"cle"};
  auto bad = parse_weight_algorithms(cle);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == StatusCode::kUsage);
  CHECK_THAT(bad.status().message(), Catch::Contains("'cle'") && Catch::Contains("adaround"));
}

namespace {

// x [1, 4, 7, 6] -> Conv 3x3 (group 2, stride 2, pad 1, dilation 1) -> y [1, 6, 4, 3], then a
// depthwise 3x3 (K = 9) -> z: one layer on the BLAS path of the statistics, one on the loop path.
struct ConvPair {
  std::unique_ptr<Graph> g;
  Node* conv = nullptr;
  Node* depthwise = nullptr;
};

ConvPair conv_pair(const std::string& file) {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 7, 6}).output("z");
  b.initializer("w", {6, 2, 3, 3}, random_values(6 * 2 * 9, 1, -0.8f, 0.8f));
  b.initializer("b", {6}, random_values(6, 2, -0.2f, 0.2f));
  b.initializer("wd", {6, 1, 3, 3}, random_values(6 * 9, 3, -0.8f, 0.8f));
  auto& c = b.node("Conv", {"x", "w", "b"}, {"y"}, "conv");
  OnnxBuilder::attr(c, "group", int64_t{2});
  OnnxBuilder::attr(c, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  auto& d = b.node("Conv", {"y", "wd"}, {"z"}, "depthwise");
  OnnxBuilder::attr(d, "group", int64_t{6});
  OnnxBuilder::attr(d, "pads", std::vector<int64_t>{1, 1, 1, 1});
  auto g = load_onnx_file(b.write(file));
  REQUIRE(g.is_ok());
  ConvPair p{std::move(*g)};
  for (const auto& n : p.g->nodes()) (n->name == "conv" ? p.conv : p.depthwise) = n.get();
  return p;
}

}  // namespace

TEST_CASE("layer input vectors: their dot products with the weights are the Conv's outputs", "[quant][adaround]") {
  ConvPair p = conv_pair("adaround_patches.onnx");
  auto ex = Executor::create(*p.g, ExecutorOptions{"reference", 1});
  REQUIRE(ex.is_ok());
  const Tensor x = test::random_tensor({1, 4, 7, 6}, 5);
  REQUIRE((*ex)->run(std::vector<Tensor>{x}).is_ok());
  for (Node* node : {p.conv, p.depthwise}) {
    auto in = (*ex)->fetch(node->input(0));
    auto out = (*ex)->fetch(node->outputs[0]);
    REQUIRE(in.is_ok());
    REQUIRE(out.is_ok());
    int64_t vectors = 0;
    auto patches = layer_input_vectors(*node, *in, &vectors);
    REQUIRE(patches.is_ok());
    const Tensor& w = *node->input(1)->constant;
    const int64_t m_total = w.dim(0), k = w.numel() / m_total, group = node->attr_int("group", 1);
    REQUIRE(vectors == out->numel() / m_total);
    REQUIRE(static_cast<int64_t>(patches->size()) == group * vectors * k);
    const Value* bias = node->input(2);
    double worst = 0;
    for (int64_t m = 0; m < m_total; ++m) {
      const int64_t g = m / (m_total / group);
      for (int64_t p_i = 0; p_i < vectors; ++p_i) {
        double dot = bias ? bias->constant->data<float>()[m] : 0.0;
        for (int64_t j = 0; j < k; ++j)
          dot += (*patches)[static_cast<size_t>((g * vectors + p_i) * k + j)] * w.data<float>()[m * k + j];
        worst = std::max(worst, std::abs(dot - out->data<float>()[m * vectors + p_i]));
      }
    }
    INFO(node->name);
    CHECK(worst < 1e-5);
  }
}

namespace {

// The input list of `count` random samples in [lo, hi] (a non-zero mean, as after a Relu).
InputList sample_list(const std::string& name, int count, float lo, float hi, const Shape& shape = {1, 4, 7, 6}) {
  const auto dir = testing::scratch_dir(name);
  std::string list;
  for (int i = 0; i < count; ++i) {
    const auto file = dir / fmt::format("{}.raw", i);
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    testing::write_floats(file, random_values(static_cast<size_t>(n), static_cast<uint32_t>(100 + i), lo, hi));
    list += fmt::format("x:={}\n", file.string());
  }
  testing::write_text(dir / "list.txt", list);
  auto l = read_input_list((dir / "list.txt").string());
  REQUIRE(l.is_ok());
  return std::move(*l);
}

// Calibrates the graph on `list` (collecting the statistics of its `layers` layers), sets the
// encodings (per-channel / per-row weights) and applies `algorithms` (none: nearest rounding,
// written back the same way).
WeightAlgorithmsReport quantize_graph(Graph& g, size_t layers, const InputList& list,
                                      const WeightAlgorithms& algorithms, LayerInputMoments* moments_out = nullptr) {
  auto plan = plan_quantization(g, PlanOptions{true, true});
  REQUIRE(plan.is_ok());
  CalibrationOptions calibration;
  auto state = CalibrationState::create(*plan, calibration);
  REQUIRE(state.is_ok());
  LayerInputMoments moments = LayerInputMoments::for_graph(g);
  REQUIRE(moments.layers() == layers);
  REQUIRE(calibrate(g, *plan, list, calibration, *state,
                    [&](const Executor& e) { return moments.observe(e); })
              .is_ok());
  QuantizerOptions quantizer;
  REQUIRE(assign_encodings(g, *plan, quantizer, nullptr, &*state).is_ok());
  auto report = apply_weight_algorithms(g, moments, algorithms, quantizer);
  REQUIRE(report.is_ok());
  if (moments_out) *moments_out = std::move(moments);
  return *report;
}

// Per output channel of the tensor y (axis 1), over the list: the mean of (y~ - y) and the mean
// of (y~ - y)^2, y from the original float weights, y~ from the rewritten ones, both in float.
struct OutputError {
  std::vector<double> mean_shift;
  double mean_square = 0;
};

OutputError output_error(const Graph& original, const Graph& rounded, const InputList& list) {
  auto a = Executor::create(original, ExecutorOptions{"reference", 1, false});
  auto b = Executor::create(rounded, ExecutorOptions{"reference", 1, false});
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  OutputError err;
  int64_t per_channel = 0;
  for (size_t i = 0; i < list.inferences.size(); ++i) {
    auto inputs = load_inference_inputs(list, i, original);
    REQUIRE(inputs.is_ok());
    REQUIRE((*a)->run(*inputs).is_ok());
    REQUIRE((*b)->run(*inputs).is_ok());
    auto ya = (*a)->fetch(original.find_value("y"));
    auto yb = (*b)->fetch(rounded.find_value("y"));
    REQUIRE(ya.is_ok());
    REQUIRE(yb.is_ok());
    const int64_t channels = ya->dim(1), plane = ya->numel() / channels;
    err.mean_shift.resize(static_cast<size_t>(channels), 0.0);
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t j = 0; j < plane; ++j) {
        const double d = yb->data<float>()[c * plane + j] - ya->data<float>()[c * plane + j];
        err.mean_shift[static_cast<size_t>(c)] += d;
        err.mean_square += d * d;
      }
    per_channel += plane;
  }
  for (double& s : err.mean_shift) s /= static_cast<double>(per_channel);
  err.mean_square /= static_cast<double>(per_channel * static_cast<int64_t>(err.mean_shift.size()));
  return err;
}

double largest_shift(const OutputError& e) {
  double m = 0;
  for (double s : e.mean_shift) m = std::max(m, std::abs(s));
  return m;
}

}  // namespace

TEST_CASE("layer input moments: the sum and Gram matrix of every layer's input vectors", "[quant][adaround]") {
  const InputList list = sample_list("adaround_moments", 3, -1.f, 1.f);
  ConvPair p = conv_pair("adaround_moments.onnx");
  LayerInputMoments moments;
  quantize_graph(*p.g, 2, list, WeightAlgorithms{}, &moments);
  // The oracle: the same vectors summed naively, from a separate float run on calibration's backend.
  ConvPair fresh = conv_pair("adaround_moments_fresh.onnx");
  auto ex = Executor::create(*fresh.g, ExecutorOptions{"onednn", 0});
  REQUIRE(ex.is_ok());
  for (const auto& [mine, theirs] : {std::pair{p.conv, fresh.conv}, std::pair{p.depthwise, fresh.depthwise}}) {
    const InputMoments* m = moments.find(mine);
    REQUIRE(m);
    const size_t k = static_cast<size_t>(m->size);
    std::vector<double> sum(m->sum.size(), 0.0), gram(m->gram.size(), 0.0);
    int64_t count = 0;
    for (size_t i = 0; i < list.inferences.size(); ++i) {
      auto inputs = load_inference_inputs(list, i, *fresh.g);
      REQUIRE(inputs.is_ok());
      REQUIRE((*ex)->run(*inputs).is_ok());
      auto in = (*ex)->fetch(theirs->input(0));
      REQUIRE(in.is_ok());
      int64_t vectors = 0;
      auto x = layer_input_vectors(*theirs, *in, &vectors);
      REQUIRE(x.is_ok());
      for (int64_t g = 0; g < m->groups; ++g)
        for (int64_t v = 0; v < vectors; ++v) {
          const float* row = x->data() + (g * vectors + v) * m->size;
          for (size_t a = 0; a < k; ++a) {
            sum[g * k + a] += row[a];
            for (size_t b = 0; b < k; ++b) gram[(g * k + a) * k + b] += double(row[a]) * row[b];
          }
        }
      count += vectors;
    }
    INFO(mine->name << ": K = " << k);
    CHECK(m->count == count);
    for (size_t i = 0; i < sum.size(); ++i) CHECK(m->sum[i] == Approx(sum[i]).margin(1e-9));
    for (size_t i = 0; i < gram.size(); ++i) CHECK(m->gram[i] == Approx(gram[i]).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("bc takes rounding's mean output shift off the bias; adaround lowers the output error", "[quant][adaround]") {
  // Inputs in [0, 2]: a mean of 1 turns any net rounding error of a row into a mean shift.
  const InputList list = sample_list("adaround_effect", 12, 0.f, 2.f);
  ConvPair original = conv_pair("adaround_original.onnx");
  std::vector<float> nearest_scales;
  auto error_with = [&](bool adaround, bool bc, WeightAlgorithmsReport* report) {
    ConvPair p = conv_pair("adaround_" + std::to_string(adaround) + std::to_string(bc) + ".onnx");
    *report = quantize_graph(*p.g, 2, list, WeightAlgorithms{adaround, bc});
    // The grid is the one calibration chose, and every rewritten weight lies on it.
    const Value* w = p.conv->input(1);
    if (nearest_scales.empty()) nearest_scales = w->encoding->scale;
    CHECK(w->encoding->scale == nearest_scales);
    const int64_t per_channel = w->constant->numel() / w->constant->dim(0);
    for (int64_t i = 0; i < w->constant->numel(); ++i) {
      const float v = w->constant->data<float>()[i];
      const auto c = static_cast<size_t>(i / per_channel);
      CHECK(dequantize_value(quantize_value(v, *w->encoding, c), *w->encoding, c) == v);
    }
    return output_error(*original.g, *p.g, list);
  };
  WeightAlgorithmsReport r_nearest, r_bc, r_ada, r_both;
  const OutputError nearest = error_with(false, false, &r_nearest);
  const OutputError bc = error_with(false, true, &r_bc);
  const OutputError ada = error_with(true, false, &r_ada);
  const OutputError both = error_with(true, true, &r_both);

  REQUIRE(largest_shift(nearest) > 1e-4);
  CHECK(largest_shift(bc) < 0.01 * largest_shift(nearest));
  CHECK(largest_shift(both) < 0.01 * largest_shift(nearest));
  // Removing the mean can only lower the mean square: E[(e - m)^2] = E[e^2] - m^2. adaround starts
  // from nearest rounding and only takes moves that lower its objective: E[e^2] alone, the
  // variance with bc.
  CHECK(bc.mean_square < nearest.mean_square);
  CHECK(ada.mean_square < nearest.mean_square);
  CHECK(both.mean_square <= bc.mean_square);
  CHECK(r_nearest.moved_codes == 0);
  CHECK(r_ada.moved_codes > 0);
  CHECK(r_both.layers == 2);
  CHECK(r_both.added_biases == 1);  // the depthwise Conv had none
  // The report measures the same thing through the Gram matrices.
  CHECK(r_ada.error_chosen < r_ada.error_nearest);
  CHECK(r_both.error_chosen <= r_bc.error_chosen);
}

TEST_CASE("bc on Gemm: weights [N, K] (transB) and [K, N], a row per output feature", "[quant][adaround]") {
  const InputList list = sample_list("adaround_gemm", 16, 0.f, 2.f, {1, 24});
  for (int64_t trans_b : {0, 1}) {
    auto make = [&](const std::string& file) {
      OnnxBuilder b(13);
      b.input("x", {1, 24}).output("y");
      b.initializer("w", trans_b ? std::vector<int64_t>{5, 24} : std::vector<int64_t>{24, 5},
                    random_values(24 * 5, 9, -0.7f, 0.7f));
      b.initializer("b", {5}, random_values(5, 10, -0.1f, 0.1f));
      auto& gemm = b.node("Gemm", {"x", "w", "b"}, {"y"}, "gemm");
      OnnxBuilder::attr(gemm, "transB", trans_b);
      auto g = load_onnx_file(b.write(file));
      REQUIRE(g.is_ok());
      return std::move(*g);
    };
    INFO("transB = " << trans_b);
    const auto original = make("adaround_gemm_original.onnx");
    auto nearest = make("adaround_gemm_nearest.onnx");
    auto corrected = make("adaround_gemm_bc.onnx");
    quantize_graph(*nearest, 1, list, WeightAlgorithms{});
    const WeightAlgorithmsReport r = quantize_graph(*corrected, 1, list, WeightAlgorithms{true, true});
    CHECK(r.layers == 1);
    CHECK(r.codes == 24 * 5);
    const OutputError before = output_error(*original, *nearest, list);
    const OutputError after = output_error(*original, *corrected, list);
    REQUIRE(largest_shift(before) > 1e-4);
    CHECK(largest_shift(after) < 0.01 * largest_shift(before));
    CHECK(after.mean_square < before.mean_square);
  }
}

TEST_CASE("layer input moments: a layer whose Gram matrix would pass 2^24 entries is left out", "[quant][adaround]") {
  // 3x3 over 456 channels: K = 4104 and K^2 = 16.8 M > 2^24; one channel fewer fits (K^2 = 16.77 M).
  for (int64_t channels : {int64_t{456}, int64_t{8}}) {
    OnnxBuilder b(13);
    b.input("x", {1, channels, 3, 3}).output("y");
    b.initializer("w", {1, channels, 3, 3}, random_values(static_cast<size_t>(channels * 9), 4, -1.f, 1.f));
    b.node("Conv", {"x", "w"}, {"y"}, "wide");
    auto g = load_onnx_file(b.write("adaround_wide_" + std::to_string(channels) + ".onnx"));
    REQUIRE(g.is_ok());
    INFO(channels << " channels");
    CHECK(LayerInputMoments::for_graph(**g).layers() == (channels == 456 ? 0u : 1u));
  }
}

}  // namespace qf
