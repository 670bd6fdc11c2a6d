// SPDX-License-Identifier: Apache-2.0
// --smooth_quant: which sites it finds and where each folds, that every rewrite keeps what the
// graph computes (reference backend, 1e-5 relative), the scale formula on hand-computed values, and
// that smoothing an outlier channel lowers the layer's quantized output error. The numpy
// re-derivation of the scales, the sampled rows and the auto choice is tests/quant/smooth_quant_reference.py.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "driver/load_model.h"
#include "io/input_list.h"
#include "onnx_builder.h"
#include "quant/smooth_quant.h"
#include "runtime/executor.h"
#include "scratch_files.h"
#include "test_support.h"

namespace qf {
namespace {

using test::OnnxBuilder;
using test::random_values;

// x [1, 6, 8] -> LayerNorm -> a;  a -> MatMul w1 -> Add b1 -> b -> MatMul w3 -> y3;  a -> MatMul w2 -> Relu
// -> r (a graph output) -> MatMul w4 -> y4. Channel 3 is an outlier, as LLMs' LayerNorms make them:
// by a large γ.
std::unique_ptr<Graph> smoothing_model(const std::string& file) {
  OnnxBuilder b(17);
  b.input("x", {1, 6, 8}).output("y3").output("y4").output("r");
  std::vector<float> gamma = random_values(8, 1, 0.5f, 2.f);
  gamma[3] = 20.f;
  b.initializer("gamma", {8}, gamma);
  b.initializer("beta", {8}, random_values(8, 2));
  b.initializer("w1", {8, 5}, random_values(40, 3));
  b.initializer("b1", {5}, random_values(5, 4));
  b.initializer("w2", {8, 3}, random_values(24, 5));
  b.initializer("w3", {5, 4}, random_values(20, 6));
  b.initializer("w4", {3, 2}, random_values(6, 7));
  auto& ln = b.node("LayerNormalization", {"x", "gamma", "beta"}, {"a"}, "ln");
  OnnxBuilder::attr(ln, "axis", int64_t{-1});
  b.node("MatMul", {"a", "w1"}, {"y1"}, "fc1");
  b.node("Add", {"y1", "b1"}, {"b"}, "fc1_bias");
  b.node("MatMul", {"b", "w3"}, {"y3"}, "fc3");
  b.node("MatMul", {"a", "w2"}, {"y2"}, "fc2");
  b.node("Relu", {"y2"}, {"r"}, "relu");
  b.node("MatMul", {"r", "w4"}, {"y4"}, "fc4");
  auto g = load_onnx_file(b.write(file));
  INFO(g.status().message());
  REQUIRE(g.is_ok());
  return std::move(*g);
}

Tensor outlier_input(uint32_t seed) { return test::random_tensor({1, 6, 8}, seed, -1.f, 1.f); }

std::vector<Tensor> run_outputs(const Graph& graph, const Tensor& x) {
  auto ex = Executor::create(graph, ExecutorOptions{"reference", 1});
  REQUIRE(ex.is_ok());
  REQUIRE((*ex)->run(std::vector<Tensor>{x.clone()}).is_ok());
  std::vector<Tensor> out;
  for (const Value* v : graph.outputs()) {
    auto t = (*ex)->fetch(v);
    REQUIRE(t.is_ok());
    out.push_back(std::move(*t));
  }
  return out;
}

const SmoothingSite* site_for(const std::vector<SmoothingSite>& sites, const std::string& input) {
  for (const SmoothingSite& s : sites)
    if (s.input->name == input) return &s;
  return nullptr;
}

InputList write_calibration_list(const std::string& dir, int inferences) {
  const auto folder = testing::scratch_dir(dir);
  std::string text;
  for (int i = 0; i < inferences; ++i) {
    const auto raw = folder / ("x" + std::to_string(i) + ".raw");
    const Tensor x = outlier_input(100 + static_cast<uint32_t>(i));
    testing::write_floats(raw, std::vector<float>(x.data<float>(), x.data<float>() + x.numel()));
    text += raw.string() + "\n";
  }
  testing::write_text(folder / "list.txt", text);
  auto list = read_input_list((folder / "list.txt").string());
  REQUIRE(list.is_ok());
  return *list;
}

}  // namespace

TEST_CASE("smooth_quant finds each linear layer's input and where its division folds", "[quant][smooth_quant]") {
  auto graph = smoothing_model("smooth_sites.onnx");
  const std::vector<SmoothingSite> sites = find_smoothing_sites(*graph);
  REQUIRE(sites.size() == 3);
  const SmoothingSite* a = site_for(sites, "a");
  const SmoothingSite* b = site_for(sites, "b");
  const SmoothingSite* r = site_for(sites, "r");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(r);
  CHECK(a->fold == SmoothingFold::kLayerNorm);
  CHECK(a->layers.size() == 2);
  CHECK(b->fold == SmoothingFold::kLinear);
  CHECK(b->fold_into->name == "fc1");
  CHECK(b->bias_add->name == "fc1_bias");
  CHECK(r->fold == SmoothingFold::kInsertedMul);  // r is also a graph output
  CHECK(r->channels == 3);
}

TEST_CASE("every smoothing rewrite keeps the graph's values", "[quant][smooth_quant]") {
  auto graph = smoothing_model("smooth_rewrite.onnx");
  const Tensor x = outlier_input(11);
  const std::vector<Tensor> before = run_outputs(*graph, x);
  const std::vector<SmoothingSite> sites = find_smoothing_sites(*graph);
  REQUIRE(sites.size() == 3);
  // Arbitrary positive scales over two decades, last site first as smooth_sites does.
  for (size_t i = sites.size(); i-- > 0;) {
    const std::vector<float> scales = random_values(static_cast<size_t>(sites[i].channels), 20 + static_cast<uint32_t>(i), 0.1f, 10.f);
    SmoothingChoice choice;
    REQUIRE(apply_smoothing(*graph, sites[i], scales, &choice).is_ok());
    CHECK(!choice.folded_into.empty());
  }
  int muls = 0;
  for (const auto& n : graph->nodes()) muls += n->kind == OpKind::kMul;
  CHECK(muls == 1);
  const std::vector<Tensor> after = run_outputs(*graph, x);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    INFO("output " << graph->outputs()[i]->name);
    CHECK(test::max_relative_error(before[i], after[i]) <= 1e-5);
  }
  // The LayerNorm's output is now X / s: the values did change where they were meant to.
  CHECK(graph->find_value("a")->producer->input(1)->name != "gamma");
}

TEST_CASE("smoothing scales are max|X|^a / max|W|^(1-a) per input channel", "[quant][smooth_quant]") {
  auto graph = smoothing_model("smooth_scales.onnx");
  const std::vector<SmoothingSite> sites = find_smoothing_sites(*graph);
  const SmoothingSite& a = *site_for(sites, "a");
  SiteStatistics stats;
  stats.channels = 8;
  stats.channel_absmax = {1.f, 4.f, 0.f, 100.f, 0.25f, 1.f, 2.f, 9.f};
  const std::vector<float> s = smoothing_scales(a, stats, 0.5f);
  // max|W_j| over both layers' row j (w1 [8, 5] and w2 [8, 3]), by hand from the constants.
  const Tensor& w1 = *graph->find_value("w1")->constant;
  const Tensor& w2 = *graph->find_value("w2")->constant;
  for (int64_t j = 0; j < 8; ++j) {
    double w = 0;
    for (int64_t c = 0; c < 5; ++c) w = std::max(w, std::fabs(double{w1.data<float>()[j * 5 + c]}));
    for (int64_t c = 0; c < 3; ++c) w = std::max(w, std::fabs(double{w2.data<float>()[j * 3 + c]}));
    const double x = stats.channel_absmax[static_cast<size_t>(j)];
    const double expected = x == 0 ? 1.0 : std::sqrt(x) / std::sqrt(w);
    INFO("channel " << j);
    CHECK(s[static_cast<size_t>(j)] == Approx(expected).epsilon(1e-6));
  }
}

TEST_CASE("smoothing an outlier channel lowers the quantized layer's output error", "[quant][smooth_quant]") {
  auto graph = smoothing_model("smooth_error.onnx");
  const InputList list = write_calibration_list("smooth_error", 6);
  SmoothQuantOptions options;
  options.per_column_weights = true;
  options.max_rows = 16;  // 36 rows: every 3rd is kept
  auto measured = measure_smoothing_sites(*graph, list, CalibrationOptions{}, options);
  REQUIRE(measured.is_ok());
  const SiteStatistics& stats = measured->statistics.site(0);  // 'a', the LayerNorm's output
  REQUIRE(measured->sites[0].input->name == "a");
  CHECK(stats.sampled_rows() == 12);
  // γ's outlier channel holds most of the range.
  const auto it = std::max_element(stats.channel_absmax.begin(), stats.channel_absmax.end());
  CHECK(it - stats.channel_absmax.begin() == 3);
  auto unsmoothed = smoothing_error(measured->sites[0], stats, {}, options);
  auto smoothed = smoothing_error(measured->sites[0], stats, smoothing_scales(measured->sites[0], stats, 0.5f), options);
  REQUIRE(unsmoothed.is_ok());
  REQUIRE(smoothed.is_ok());
  CHECK(*smoothed < *unsmoothed);

  // auto picks the best α of its grid or nothing; its error is the lowest it saw.
  options.alpha.reset();
  auto choice = choose_smoothing(measured->sites[0], stats, options);
  REQUIRE(choice.is_ok());
  CHECK(choice->candidates.size() == 19);
  for (const auto& [alpha, error] : choice->candidates) CHECK(choice->error <= error);
  CHECK(choice->error <= choice->error_unsmoothed);
}

TEST_CASE("smooth_quant over a list keeps the graph's values and records alpha per site", "[quant][smooth_quant]") {
  for (const char* mode : {"0.5", "auto"}) {
    INFO("--smooth_quant " << mode);
    auto graph = smoothing_model(std::string("smooth_list_") + (mode[0] == 'a' ? "auto" : "half") + ".onnx");
    const Tensor x = outlier_input(11);
    const std::vector<Tensor> before = run_outputs(*graph, x);
    const InputList list = write_calibration_list("smooth_list", 4);
    SmoothQuantOptions options;
    auto alpha = parse_smooth_quant_alpha(mode);
    REQUIRE(alpha.is_ok());
    options.alpha = *alpha;
    auto report = smooth_quant(*graph, list, CalibrationOptions{}, options);
    REQUIRE(report.is_ok());
    REQUIRE(report->sites.size() == 3);
    if (options.alpha) {
      // A fixed α smooths where the division folds; the inserted-Mul site is left to auto.
      CHECK(report->sites[0].alpha == 0.5f);
      CHECK(report->sites[1].alpha == 0.5f);
      CHECK(!report->sites[2].alpha);
    }
    const std::vector<Tensor> after = run_outputs(*graph, x);
    for (size_t i = 0; i < after.size(); ++i) CHECK(test::max_relative_error(before[i], after[i]) <= 1e-5);
    const nlohmann::json j = report->to_json();
    CHECK(j["sites"].size() == 3);
    CHECK(j["alpha"] == (options.alpha ? nlohmann::json(0.5f) : nlohmann::json("auto")));
  }
}

TEST_CASE("the smooth_quant value is auto or a number strictly between 0 and 1", "[quant][smooth_quant]") {
  CHECK(!parse_smooth_quant_alpha("auto")->has_value());
  CHECK(parse_smooth_quant_alpha("0.85")->value() == 0.85f);
  for (const char* bad : {"0", "1", "1.5", "-0.2", "half", "0.5x", ""}) {
    INFO(bad);
    auto r = parse_smooth_quant_alpha(bad);
    REQUIRE(!r.is_ok());
    CHECK(r.status().code() == StatusCode::kUsage);
  }
}

}  // namespace qf
