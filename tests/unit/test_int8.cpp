// SPDX-License-Identifier: Apache-2.0
// Integer execution: the reference int8 kernels against hand-worked codes, and the oneDNN int8
// backend against the reference on every tensor of the real models, converted as a user would
// (BatchNorm folded, activations fused, calibrated on real images).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "io/input_list.h"
#include "driver/load_model.h"
#include "passes/passes.h"
#include "quant/calibrate.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "runtime/executor.h"
#include "runtime/int8.h"
#include "runtime/reference/reference_kernels.h"
#include "scratch_files.h"
#include "test_support.h"

namespace qf {
namespace {

Encoding grid(float scale, int64_t zero_point, bool is_signed = false, int bits = 8) {
  Encoding e;
  e.bitwidth = bits;
  e.is_signed = is_signed;
  e.symmetric = is_signed && zero_point == 0;
  e.scale = {scale};
  e.offset = {-zero_point};
  return e;
}

// x [1,1,2,2] -> Conv 1x1 with 2 output channels -> y, all hand-set encodings and codes.
struct TinyConv {
  Graph g;
  Value* x;
  Value* y;
};

std::unique_ptr<TinyConv> tiny_conv(bool relu) {
  auto t = std::make_unique<TinyConv>();
  Graph& g = t->g;
  t->x = *g.add_value("x");
  t->x->type = TensorType{DType::kF32, {1, 1, 2, 2}, true};
  t->x->encoding = grid(0.5f, 10);
  g.inputs().push_back(t->x);
  // Weights: channel 0 code 3 (scale 0.25), channel 1 code -2 (scale 0.5): per channel.
  Value* w = g.add_constant("w", Tensor::from_vector<int8_t>({2, 1, 1, 1}, {3, -2}));
  Encoding we = grid(0.25f, 0, true);
  we.scale = {0.25f, 0.5f};
  we.offset = {0, 0};
  we.axis = 0;
  w->encoding = we;
  w->type = TensorType{DType::kF32, {2, 1, 1, 1}, true};
  // Bias on s_in * s_w: channel 0 scale 0.125 code 8 (real 1.0), channel 1 scale 0.25 code -4 (real -1.0).
  Value* b = g.add_constant("b", Tensor::from_vector<int32_t>({2}, {8, -4}));
  Encoding be = grid(0.125f, 0, true, 32);
  be.scale = {0.125f, 0.25f};
  be.offset = {0, 0};
  be.axis = 0;
  b->encoding = be;
  b->type = TensorType{DType::kF32, {2}, true};
  t->y = *g.add_value("y");
  t->y->type = TensorType{DType::kF32, {1, 2, 2, 2}, true};
  t->y->encoding = grid(0.1f, 128);
  Node* conv = *g.add_node(OpKind::kConv, "conv", {t->x, w, b}, {t->y});
  conv->attrs["kernel_shape"] = std::vector<int64_t>{1, 1};
  if (relu) conv->attrs["fused_min"] = 0.f;
  g.outputs().push_back(t->y);
  return t;
}

std::vector<int32_t> codes_of(const Tensor& t) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(static_cast<int32_t>(t.element_as_int(i)));
  return out;
}

// A real model converted in-process: passes, calibration on `count` real inputs, encodings.
std::unique_ptr<Graph> convert(const test::RealModel& model, const std::string& method, size_t count) {
  ImportOptions options;
  options.input_dims[model.input_name] = model.input.shape();
  auto g = load_onnx_file(model.path.string(), options);
  REQUIRE(g.is_ok());
  REQUIRE(run_optimization_passes(**g).is_ok());
  auto plan = plan_quantization(**g, PlanOptions{true, false});
  REQUIRE(plan.is_ok());
  const auto dir = testing::scratch_dir("int8_" + model.label + "_" + method);
  std::string list;
  for (size_t i = 0; i < count; ++i) {
    auto m = model.label == "mnist" ? test::mnist_model(i) : model.label == "cifar10" ? test::cifar10_model(i)
                                                                                       : test::ppocr_model(i);
    const auto file = dir / fmt::format("{}.raw", i);
    testing::write_floats(file, m->input.to_float_vector());
    list += fmt::format("{}:={}\n", model.input_name, file.string());
  }
  testing::write_text(dir / "list.txt", list);
  auto inputs = read_input_list((dir / "list.txt").string());
  REQUIRE(inputs.is_ok());
  CalibrationOptions calibration;
  calibration.observer = method;
  auto state = CalibrationState::create(*plan, calibration);
  REQUIRE(state.is_ok());
  REQUIRE(calibrate(**g, *plan, *inputs, calibration, *state).is_ok());
  QuantizerOptions quantizer;
  REQUIRE(assign_encodings(**g, *plan, quantizer, nullptr, &*state).is_ok());
  REQUIRE(quantize_constants(**g).is_ok());
  return std::move(*g);
}

}  // namespace

TEST_CASE("reference int8 Conv: the formula of runtime/int8.h on hand-worked codes", "[int8]") {
  for (bool relu : {false, true}) {
    auto t = tiny_conv(relu);
    auto ex = Executor::create(t->g, ExecutorOptions{"reference", 1});
    REQUIRE(ex.is_ok());
    // x = 0.5 * (q - 10) for q = 10, 14, 2, 30: real 0, 2, -4, 10.
    const std::vector<float> x{0.f, 2.f, -4.f, 10.f};
    REQUIRE((*ex)->run(std::vector<Tensor>{Tensor::from_vector<float>({1, 1, 2, 2}, x)}).is_ok());
    auto y = (*ex)->fetch_codes(t->y);
    REQUIRE(y.is_ok());
    // Channel 0: y = 0.75 x + 1 -> 1, 2.5, -2, 8.5; channel 1: y = -x - 1 -> -1, -3, 3, -11.
    // q = round(y / 0.1) + 128, saturated; ties round to even (2.5 / 0.1 = 25 exactly).
    std::vector<int32_t> expected{138, 153, 108, 213, 118, 98, 158, 18};
    if (relu)
      for (int32_t& q : expected) q = std::max(q, 128);
    CHECK(codes_of(*y) == expected);
    // The float view of the output is the dequantized codes.
    auto yf = (*ex)->fetch(t->y);
    REQUIRE(yf.is_ok());
    CHECK(yf->data<float>()[1] == Approx(2.5f));
  }
}

// The codes of `v` after running `g` on the reference backend and on oneDNN (with `threads`), and
// what oneDNN ran for the node named `node`.
struct BothBackends {
  std::vector<int32_t> reference, onednn;
  std::string impl;
  std::vector<StepProfile> steps;
};

BothBackends run_both(const Graph& g, const std::vector<Tensor>& inputs, const Value* v, const std::string& node,
                      int threads = 1) {
  auto ref = Executor::create(g, ExecutorOptions{"reference", 1});
  auto dnn = Executor::create(g, ExecutorOptions{"onednn", threads});
  REQUIRE(ref.is_ok());
  REQUIRE(dnn.is_ok());
  REQUIRE((*ref)->run(inputs).is_ok());
  REQUIRE((*dnn)->run(inputs, true).is_ok());
  auto a = (*ref)->fetch_codes(v);
  auto b = (*dnn)->fetch_codes(v);
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  BothBackends both{codes_of(*a), codes_of(*b), "", (*dnn)->profile()};
  for (const StepProfile& step : both.steps)
    if (step.name == node) both.impl = step.impl;
  return both;
}

TEST_CASE("oneDNN int8 Conv: a short reduction takes the direct JIT kernel, with the reference's codes", "[int8]") {
  auto t = tiny_conv(true);
  const BothBackends both =
      run_both(t->g, {Tensor::from_vector<float>({1, 1, 2, 2}, {0.f, 2.f, -4.f, 10.f})}, t->y, "conv");
  CHECK(both.onednn == both.reference);
  const std::string& impl = both.impl;
  INFO(impl);
  REQUIRE(impl.rfind("onednn:", 0) == 0);
  // oneDNN 2.6's first choice there is brgconv_1x1 (of avx512_core_vnni or, with AMX,
  // avx512_core_amx_int8); the 1x1 conv of one input channel must have been moved to
  // avx512_core_vnni's direct kernel (runtime/onednn/conv.cpp).
  if (impl.find(":avx512_core_vnni") != std::string::npos) CHECK(impl.rfind("onednn:jit_int8", 0) == 0);
}

// x [1, ic, h, h] (u8, zero point 131) -> Conv k x k, pad (k - 1) / 2, oc channels -> y (u8, zero
// point 97), random per-channel weight codes (or all +-127 with `full_weights`) and bias codes;
// with `residual`, a second input r (u8, zero point 60) summed into the output; with `relu`, a
// fused Relu (whose bound, 0, lies 97 codes above the grid's lowest).
struct ZeroPointConv {
  Graph g;
  std::vector<Tensor> inputs;
  Value* y = nullptr;
};

std::unique_ptr<ZeroPointConv> zero_point_conv(int64_t ic, int64_t oc, int64_t h, int64_t k, bool residual,
                                               bool full_weights, bool relu) {
  auto t = std::make_unique<ZeroPointConv>();
  Graph& g = t->g;
  Value* x = *g.add_value("x");
  x->type = TensorType{DType::kF32, {1, ic, h, h}, true};
  x->encoding = grid(0.02f, 131);
  g.inputs().push_back(x);
  t->inputs.push_back(test::random_tensor({1, ic, h, h}, 7, -2.7f, 2.5f));
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<int8_t> w_codes(static_cast<size_t>(oc * ic * k * k));
  for (int8_t& c : w_codes) c = static_cast<int8_t>(full_weights ? (code(gen) < 0 ? -127 : 127) : code(gen));
  Value* w = g.add_constant("w", Tensor::from_vector<int8_t>({oc, ic, k, k}, w_codes));
  Encoding we = grid(0.01f, 0, true);
  we.scale.clear();
  for (int64_t c = 0; c < oc; ++c) we.scale.push_back(0.004f + 0.0005f * static_cast<float>(c % 7));
  we.offset.assign(static_cast<size_t>(oc), 0);
  we.axis = 0;
  w->encoding = we;
  w->type = TensorType{DType::kF32, {oc, ic, k, k}, true};
  std::vector<int32_t> b_codes(static_cast<size_t>(oc));
  for (int32_t& c : b_codes) c = 40 * code(gen);
  Value* b = g.add_constant("b", Tensor::from_vector<int32_t>({oc}, b_codes));
  Encoding be = grid(1.f, 0, true, 32);
  be.scale.clear();
  for (float s : we.scale) be.scale.push_back(0.02f * s);
  be.offset.assign(static_cast<size_t>(oc), 0);
  be.axis = 0;
  b->encoding = be;
  b->type = TensorType{DType::kF32, {oc}, true};
  std::vector<Value*> ins{x, w, b};
  if (residual) {
    Value* r = *g.add_value("r");
    r->type = TensorType{DType::kF32, {1, oc, h, h}, true};
    r->encoding = grid(0.05f, 60);
    g.inputs().push_back(r);
    t->inputs.push_back(test::random_tensor({1, oc, h, h}, 13, -3.f, 9.f));
    ins.push_back(r);
  }
  t->y = *g.add_value("y");
  t->y->type = TensorType{DType::kF32, {1, oc, h, h}, true};
  // The accumulator grows with the root of the reduction: the output grid follows it.
  const float spread = std::sqrt(static_cast<float>(ic * k * k) / 64.f) * (full_weights ? 2.5f : 1.f);
  t->y->encoding = grid(0.06f * spread, 97);
  Node* conv = *g.add_node(OpKind::kConv, "conv", ins, {t->y});
  conv->attrs["kernel_shape"] = std::vector<int64_t>{k, k};
  const int64_t pad = (k - 1) / 2;
  conv->attrs["pads"] = std::vector<int64_t>{pad, pad, pad, pad};
  if (relu) conv->attrs["fused_min"] = 0.f;
  g.outputs().push_back(t->y);
  return t;
}

TEST_CASE("oneDNN int8 Conv with source and destination zero points: the reference's codes", "[int8]") {
  struct Case {
    const char* what;
    int64_t ic, oc, h, k;
    bool residual, full_weights, relu;
  };
  // 1x1: the zero points are folded (bias, post-op); 3x3 padded: the source's cannot be, since
  // the padding taps would carry it; 600 channels of +-127: the folded sums leave float's exact
  // integers, so the attributes stay.
  const Case cases[] = {{"1x1, folded", 64, 48, 14, 1, false, false, false},
                        {"1x1 with a Relu, folded", 64, 48, 14, 1, false, false, true},
                        {"1x1 with a residual, folded", 48, 64, 14, 1, true, false, false},
                        {"3x3 padded", 32, 32, 9, 3, false, false, false},
                        {"3x3 padded on a 3-channel image, quantized to channels-last", 3, 16, 9, 3, false, false, false},
                        {"1x1 beyond float's exact sums", 600, 16, 4, 1, false, true, false}};
  // On two threads each conv runs as two row bands (runtime/row_bands.h): the padded 3x3's source
  // zero point then meets padding only at the image's edges, not where the bands meet.
  for (const Case& c : cases)
    for (int threads : {1, 2}) {
      auto t = zero_point_conv(c.ic, c.oc, c.h, c.k, c.residual, c.full_weights, c.relu);
      const BothBackends both = run_both(t->g, t->inputs, t->y, "conv", threads);
      INFO(c.what << " on " << both.impl << ", " << threads << " threads");
      REQUIRE(both.impl.rfind("onednn:", 0) == 0);
      CHECK((both.impl.find("in 2 row bands") != std::string::npos) == (threads == 2));
      const std::vector<int32_t>& expected = both.reference;
      CHECK(both.onednn == expected);
      // Not a degenerate case: the outputs span the grid rather than saturating at one end.
      CHECK(std::count(expected.begin(), expected.end(), 0) + std::count(expected.begin(), expected.end(), 255) <
            static_cast<std::ptrdiff_t>(expected.size() / 4));
    }
}

// x [1, c, h, w] -> depthwise Conv 3x3 (or k x k) -> y, random per-channel weight codes (or all
// +-127 with `full_weights`) and bias codes, input and output zero points off the middle.
struct DepthwiseCase {
  const char* what;
  int64_t channels, h, w, stride;
  std::vector<int64_t> pads;  // top, left, bottom, right
  bool signed_in, signed_out;
  float act_min, act_max;     // the fused activation, -inf / inf for none
  bool full_weights = false;
  int64_t k = 3;
};

// Appends x -> depthwise Conv `name` -> t->y to t's graph: c's shape and types but for the input's.
void append_depthwise(ZeroPointConv* t, Value* x, const DepthwiseCase& c, const std::string& name = "conv") {
  Graph& g = t->g;
  std::mt19937 gen(17);
  std::uniform_int_distribution<int> code(-127, 127);
  const int64_t taps = c.k * c.k;
  std::vector<int8_t> w_codes(static_cast<size_t>(c.channels * taps));
  for (int8_t& v : w_codes) v = static_cast<int8_t>(c.full_weights ? (code(gen) < 0 ? -127 : 127) : code(gen));
  Value* w = g.add_constant(name + "_w", Tensor::from_vector<int8_t>({c.channels, 1, c.k, c.k}, w_codes));
  Encoding we = grid(0.01f, 0, true);
  we.scale.clear();
  for (int64_t ch = 0; ch < c.channels; ++ch) we.scale.push_back(0.004f + 0.0005f * static_cast<float>(ch % 7));
  we.offset.assign(static_cast<size_t>(c.channels), 0);
  we.axis = 0;
  w->encoding = we;
  w->type = TensorType{DType::kF32, {c.channels, 1, c.k, c.k}, true};
  std::vector<int32_t> b_codes(static_cast<size_t>(c.channels));
  for (int32_t& v : b_codes) v = 30 * code(gen);
  Value* b = g.add_constant(name + "_b", Tensor::from_vector<int32_t>({c.channels}, b_codes));
  Encoding be = grid(1.f, 0, true, 32);
  be.scale.clear();
  for (float s : we.scale) be.scale.push_back(x->encoding->scale[0] * s);
  be.offset.assign(static_cast<size_t>(c.channels), 0);
  be.axis = 0;
  b->encoding = be;
  b->type = TensorType{DType::kF32, {c.channels}, true};
  const int64_t oh = (c.h + c.pads[0] + c.pads[2] - c.k) / c.stride + 1;
  const int64_t ow = (c.w + c.pads[1] + c.pads[3] - c.k) / c.stride + 1;
  t->y = *g.add_value(name + "_out");
  t->y->type = TensorType{DType::kF32, {1, c.channels, oh, ow}, true};
  const float out_scale = c.full_weights ? 0.15f : 0.06f;
  t->y->encoding = c.signed_out ? grid(out_scale, 3, true) : grid(out_scale, 97);
  Node* conv = *g.add_node(OpKind::kConv, name, {x, w, b}, {t->y});
  conv->attrs["kernel_shape"] = std::vector<int64_t>{c.k, c.k};
  conv->attrs["group"] = c.channels;
  conv->attrs["strides"] = std::vector<int64_t>{c.stride, c.stride};
  conv->attrs["pads"] = c.pads;
  if (c.act_min > -INFINITY) conv->attrs["fused_min"] = c.act_min;
  if (c.act_max < INFINITY) conv->attrs["fused_max"] = c.act_max;
  g.outputs() = {t->y};
}

std::unique_ptr<ZeroPointConv> depthwise_conv(const DepthwiseCase& c) {
  auto t = std::make_unique<ZeroPointConv>();
  Value* x = *t->g.add_value("x");
  x->type = TensorType{DType::kF32, {1, c.channels, c.h, c.w}, true};
  x->encoding = c.signed_in ? grid(0.02f, -5, true) : grid(0.02f, 131);
  t->g.inputs().push_back(x);
  t->inputs.push_back(test::random_tensor({1, c.channels, c.h, c.w}, 5, -2.7f, 2.5f));
  append_depthwise(t.get(), x, c);
  return t;
}

TEST_CASE("int8 depthwise 3x3 on qforge's VNNI kernel: the reference's codes", "[int8]") {
  const float none = INFINITY;
  // Channel counts that fill vectors with several pixels (16, 32), one block with a tail (40),
  // whole blocks (64), blocks plus a tail (96, 144); strides 1 and 2; symmetric and one-sided
  // (TensorFlow's SAME) padding and none; every pair of code types; Relu, Clip and none.
  const DepthwiseCase cases[] = {
      {"32 channels (2 pixels a vector), Relu", 32, 17, 23, 1, {1, 1, 1, 1}, false, false, 0.f, none},
      {"16 channels (4 pixels a vector), s8 -> s8, Clip", 16, 9, 13, 1, {1, 1, 1, 1}, true, true, -1.f, 2.f},
      {"32 channels on an even width (windows past the right edge mid-vector)", 32, 6, 16, 1, {1, 1, 1, 1}, false, false, -none, none},
      {"16 channels, width 14", 16, 5, 14, 1, {1, 1, 1, 1}, true, false, -none, none},
      {"96 channels at stride 2", 96, 15, 15, 2, {1, 1, 1, 1}, false, false, -none, none},
      {"144 channels, s8 -> u8, end padding only", 144, 12, 10, 1, {0, 0, 1, 1}, true, false, -none, none},
      {"40 channels at stride 2, end padding only, u8 -> s8", 40, 16, 16, 2, {0, 0, 1, 1}, false, true, 0.f, 6.f},
      {"64 channels, no padding", 64, 7, 9, 1, {0, 0, 0, 0}, false, false, -none, none},
      {"32 channels at stride 2", 32, 11, 14, 2, {1, 1, 1, 1}, true, true, -none, none},
      {"48 channels of +-127 weights, saturating", 48, 8, 8, 1, {1, 1, 1, 1}, false, false, -none, none, true},
  };
  const bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
  if (!vnni) WARN("this CPU has no AVX-512 VNNI: the depthwise convs run on oneDNN, only their codes are checked");
  for (const DepthwiseCase& c : cases)
    for (int threads : {1, 2}) {
      auto t = depthwise_conv(c);
      const BothBackends both = run_both(t->g, t->inputs, t->y, "conv", threads);
      INFO(c.what << " on " << both.impl << ", " << threads << " threads");
      if (vnni) CHECK(both.impl.rfind("qforge:int8_depthwise_3x3", 0) == 0);
      CHECK((both.impl.find("in 2 row bands") != std::string::npos) == (threads == 2));
      const std::vector<int32_t>& expected = both.reference;
      CHECK(both.onednn == expected);
      // Not a degenerate case: the codes spread over a range, and (activations aside) few sit at its ends.
      const auto [lo, hi] = std::minmax_element(expected.begin(), expected.end());
      CHECK(*hi - *lo > 40);
      const auto at_ends = std::count(expected.begin(), expected.end(), *lo) + std::count(expected.begin(), expected.end(), *hi);
      const bool activation = c.act_min > -none || c.act_max < none;
      CHECK(at_ends < static_cast<std::ptrdiff_t>(expected.size() / (activation ? 1.5 : 8)));
    }
}

TEST_CASE("int8 depthwise convs the VNNI kernel does not take run on oneDNN, with the reference's codes", "[int8]") {
  const float none = INFINITY;
  const DepthwiseCase cases[] = {
      {"5x5", 24, 12, 12, 1, {2, 2, 2, 2}, false, false, -none, none, false, 5},
      {"stride 3", 32, 13, 13, 3, {1, 1, 1, 1}, false, false, -none, none},
  };
  for (const DepthwiseCase& c : cases) {
    auto t = depthwise_conv(c);
    const BothBackends both = run_both(t->g, t->inputs, t->y, "conv");
    INFO(c.what << " on " << both.impl);
    CHECK(both.impl.rfind("onednn:", 0) == 0);
    CHECK(both.onednn == both.reference);
  }
}

// In a chain of row bands a depthwise conv after a 1x1 conv waits for the other threads, whose
// rows its windows reach; it computes the rows that need only its own thread's first
// (executor.cpp), then the rest. Three threads give a middle band with such rows on both sides.
TEST_CASE("int8 1x1 conv then depthwise in row bands: rows before the wait, the rest after, the reference's codes", "[int8]") {
  const float none = INFINITY;
  const DepthwiseCase cases[] = {
      {"48 channels, stride 1", 48, 12, 12, 1, {1, 1, 1, 1}, false, false, 0.f, 6.f},
      {"48 channels, stride 2, s8 out", 48, 12, 12, 2, {1, 1, 1, 1}, false, true, -none, none},
      {"48 channels, stride 2, end padding only", 48, 13, 13, 2, {0, 0, 1, 1}, false, false, -none, none},
  };
  const bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
  for (const DepthwiseCase& c : cases)
    for (int threads : {2, 3}) {
      auto t = zero_point_conv(24, c.channels, c.h, 1, false, false, true);  // h x h
      append_depthwise(t.get(), t->y, c, "dw");
      const BothBackends both = run_both(t->g, t->inputs, t->y, "dw", threads);
      INFO(c.what << " on " << both.impl << ", " << threads << " threads");
      CHECK(both.onednn == both.reference);
      const auto [lo, hi] = std::minmax_element(both.reference.begin(), both.reference.end());
      CHECK(*hi - *lo > 40);
      for (const StepProfile& step : both.steps) {
        if (step.name != "dw") continue;
        CHECK(step.waits_for_other_bands);
        if (vnni) CHECK(step.rows_before_waiting > 0);
      }
    }
}

TEST_CASE("int8 depthwise in row bands: the rows each band can compute from its own input rows", "[int8]") {
  if (!__builtin_cpu_supports("avx512vnni") || !__builtin_cpu_supports("avx512bw")) {
    WARN("this CPU has no AVX-512 VNNI: qforge's depthwise kernel does not run");
    return;
  }
  struct Case {
    int64_t stride;
    Rows band0, band1;  // rows_from when each band's own thread wrote input rows [0, 6) / [6, 12)
  };
  // 12 input rows, pad 1. Stride 1: output row r reads r - 1 .. r + 1, so row 5 needs row 6 and
  // row 6 needs row 5. Stride 2 (6 output rows): row r reads 2r - 1 .. 2r + 1; band 0's last row
  // (2) reads 3 .. 5, all its own; band 1's first (3) reads 5 .. 7.
  for (const Case& c : {Case{1, {0, 5}, {7, 12}}, Case{2, {0, 3}, {4, 6}}}) {
    INFO("stride " << c.stride);
    auto t = zero_point_conv(24, 48, 12, 1, false, false, true);
    append_depthwise(t.get(), t->y, {"", 48, 12, 12, c.stride, {1, 1, 1, 1}, false, false, -INFINITY, INFINITY}, "dw");
    const Node* dw = nullptr;
    for (const auto& node : t->g.nodes())
      if (node->name == "dw") dw = node.get();
    REQUIRE(dw);
    KernelConfig config{{Layout::kChannelsLast, Layout::kPlain, Layout::kPlain}};
    std::string why;
    auto kernel = make_onednn_backend(2)->create_int8_kernel(*dw, config, &why);
    REQUIRE(kernel.is_ok());
    REQUIRE(*kernel);
    REQUIRE((*kernel)->row_bands() != nullptr);
    REQUIRE((*kernel)->row_bands()->bands() == 2);
    const Rows got0 = (*kernel)->row_bands()->rows_from(0, {0, 6}), got1 = (*kernel)->row_bands()->rows_from(1, {6, 12});
    CHECK(got0.begin == c.band0.begin);
    CHECK(got0.end == c.band0.end);
    CHECK(got1.begin == c.band1.begin);
    CHECK(got1.end == c.band1.end);
    // Given every row, a band computes all of its rows before waiting.
    const Rows all = (*kernel)->row_bands()->rows_from(1, {0, 12});
    CHECK(all.begin == (*kernel)->row_bands()->output_rows(1).begin);
    CHECK(all.end == (*kernel)->row_bands()->output_rows(1).end);
  }
}

// Runs a graph of one node on `backend` and returns the codes of `v`; the node must run as integers.
std::vector<int32_t> codes_of_one_int8_node(const Graph& g, const char* backend, const std::vector<Tensor>& input,
                                            const Value* v) {
  auto ex = Executor::create(g, ExecutorOptions{backend, 1});
  REQUIRE(ex.is_ok());
  REQUIRE((*ex)->run(input).is_ok());
  auto codes = (*ex)->fetch_codes(v);
  REQUIRE(codes.is_ok());
  REQUIRE((*ex)->placements().size() == 1);
  CHECK((*ex)->placements()[0].how == "int8");
  return codes_of(*codes);
}

// Appends y -> GlobalAveragePool -> pooled (encoding `e`) to a graph and makes pooled its output.
Value* append_global_average(Graph& g, Value* y, const Encoding& e) {
  Value* pooled = *g.add_value("pooled");
  const Shape& shape = y->type.shape;
  pooled->type = TensorType{DType::kF32, {shape[0], shape[1], 1, 1}, true};
  pooled->encoding = e;
  REQUIRE(g.add_node(OpKind::kGlobalAveragePool, "gap", {y}, {pooled}).is_ok());
  g.outputs() = {pooled};
  return pooled;
}

TEST_CASE("int8 token-wise MatMul [B, T, C] x [C, D] (+ bias): the formula per row, on both backends", "[int8]") {
  // x [2, 3, 8] (u8, zero point 120) x w [8, 5] (s8, per output column) (+ int32 bias on the grid
  // s_x * s_w[d], qforge's third input) -> y [2, 3, 5] (u8, zero point 90).
  constexpr int64_t kB = 2, kT = 3, kC = 8, kD = 5;
  for (bool with_bias : {false, true}) {
  INFO("bias " << with_bias);
  Graph g;
  Value* x = *g.add_value("x");
  x->type = TensorType{DType::kF32, {kB, kT, kC}, true};
  x->encoding = grid(0.03f, 120);
  g.inputs().push_back(x);
  std::mt19937 gen(17);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<int8_t> w_codes(static_cast<size_t>(kC * kD));
  for (int8_t& c : w_codes) c = static_cast<int8_t>(code(gen));
  Value* w = g.add_constant("w", Tensor::from_vector<int8_t>({kC, kD}, w_codes));
  Encoding we = grid(0.01f, 0, true);
  we.scale.clear();
  for (int64_t d = 0; d < kD; ++d) we.scale.push_back(0.005f + 0.001f * static_cast<float>(d));
  we.offset.assign(static_cast<size_t>(kD), 0);
  we.axis = 1;
  w->encoding = we;
  w->type = TensorType{DType::kF32, {kC, kD}, true};
  Value* y = *g.add_value("y");
  y->type = TensorType{DType::kF32, {kB, kT, kD}, true};
  y->encoding = grid(0.02f, 90);
  const std::vector<int32_t> bias_codes{-700, 0, 1234, 55, -31};
  std::vector<Value*> inputs{x, w};
  if (with_bias) {
    Value* b = g.add_constant("b", Tensor::from_vector<int32_t>({kD}, bias_codes));
    Encoding be = we;
    be.bitwidth = 32;
    be.axis = 0;
    for (int64_t d = 0; d < kD; ++d)
      be.scale[static_cast<size_t>(d)] = static_cast<float>(0.03 * static_cast<double>(we.scale[static_cast<size_t>(d)]));
    b->encoding = be;
    b->type = TensorType{DType::kF32, {kD}, true};
    inputs.push_back(b);
  }
  REQUIRE(g.add_node(OpKind::kMatMul, "linear", inputs, {y}).is_ok());
  g.outputs().push_back(y);
  const Tensor input = test::random_tensor({kB, kT, kC}, 19, -3.5f, 4.f);

  const BothBackends both = run_both(g, {input}, y, "linear");
  INFO(both.impl);
  CHECK(both.impl.rfind("onednn:", 0) == 0);
  CHECK(both.onednn == both.reference);
  // The formula of runtime/int8.h by hand: codes of x, the int32 sum per row and column, one
  // multiply by s_x * s_w[d] / s_y, the zero point, round half to even, saturate.
  std::vector<int32_t> expected;
  for (int64_t row = 0; row < kB * kT; ++row)
    for (int64_t d = 0; d < kD; ++d) {
      int32_t acc = with_bias ? bias_codes[static_cast<size_t>(d)] : 0;
      for (int64_t c = 0; c < kC; ++c) {
        const float v = input.data<float>()[row * kC + c];
        const int32_t qx = std::clamp(static_cast<int32_t>(std::nearbyint(v / 0.03f)) + 120, 0, 255);
        acc += (qx - 120) * w_codes[static_cast<size_t>(c * kD + d)];
      }
      const float m = static_cast<float>(0.03 * static_cast<double>(we.scale[static_cast<size_t>(d)]) / 0.02);
      const float v = static_cast<float>(acc) * m + 90.f;
      expected.push_back(std::clamp(static_cast<int32_t>(std::nearbyint(v)), 0, 255));
    }
  CHECK(both.reference == expected);
  }
}

TEST_CASE("int8 MatMul of two activations (attention): the formula per batch, broadcast heads, both backends", "[int8]") {
  // q [2, 3, 4, 8] (u8, zero point 100) x kT [2, 1, 8, 5] (broadcast over the 3 heads) -> s [2, 3, 4, 5].
  // kT symmetric s8 runs on oneDNN; with a zero point (u8, 70) on the reference's integer kernel.
  for (const bool symmetric : {true, false}) {
    DYNAMIC_SECTION((symmetric ? "symmetric s8" : "asymmetric u8") << " second operand") {
      Graph g;
      Value* q = *g.add_value("q");
      q->type = TensorType{DType::kF32, {2, 3, 4, 8}, true};
      q->encoding = grid(0.04f, 100);
      Value* k = *g.add_value("k");
      k->type = TensorType{DType::kF32, {2, 1, 8, 5}, true};
      k->encoding = symmetric ? grid(0.03f, 0, true) : grid(0.03f, 70);
      g.inputs() = {q, k};
      Value* y = *g.add_value("s");
      y->type = TensorType{DType::kF32, {2, 3, 4, 5}, true};
      y->encoding = grid(0.05f, 128);
      REQUIRE(g.add_node(OpKind::kMatMul, "scores", {q, k}, {y}).is_ok());
      g.outputs().push_back(y);
      const Tensor qv = test::random_tensor({2, 3, 4, 8}, 23, -4.f, 5.f);
      const Tensor kv = test::random_tensor({2, 1, 8, 5}, 29, symmetric ? -3.5f : -2.f, 3.5f);
      const BothBackends both = run_both(g, {qv, kv}, y, "scores");
      INFO(both.impl);
      if (symmetric) CHECK(both.impl.rfind("onednn:", 0) == 0);
      CHECK(both.onednn == both.reference);
      auto quantize = [](float v, float s, int32_t z, int32_t lo, int32_t hi) {
        return std::clamp(static_cast<int32_t>(std::nearbyint(v / s)) + z, lo, hi);
      };
      const int32_t zk = symmetric ? 0 : 70;
      const float m = static_cast<float>(0.04 * static_cast<double>(0.03f) / 0.05);
      std::vector<int32_t> expected;
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t h = 0; h < 3; ++h)
          for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 5; ++j) {
              int32_t acc = 0;
              for (int64_t p = 0; p < 8; ++p) {
                const int32_t qa = quantize(qv.data<float>()[((b * 3 + h) * 4 + i) * 8 + p], 0.04f, 100, 0, 255);
                const int32_t qb = symmetric ? quantize(kv.data<float>()[(b * 8 + p) * 5 + j], 0.03f, 0, -128, 127)
                                             : quantize(kv.data<float>()[(b * 8 + p) * 5 + j], 0.03f, 70, 0, 255);
                acc += (qa - 100) * (qb - zk);
              }
              expected.push_back(std::clamp(static_cast<int32_t>(std::nearbyint(static_cast<float>(acc) * m + 128.f)), 0, 255));
            }
      CHECK(both.reference == expected);
    }
  }
}

TEST_CASE("int8 Softmax, LogSoftmax and LayerNormalization on codes: the reference float path's codes, exactly",
          "[int8]") {
  struct Case {
    OpKind op;
    Shape shape;
    int64_t axis;
    Encoding in, out;
    bool masked = false;
  };
  const Case cases[] = {
      {OpKind::kSoftmax, {2, 3, 7, 9}, -1, grid(0.09f, 140), grid(1.f / 255, 0)},          // attention rows
      {OpKind::kSoftmax, {2, 3, 7, 9}, -1, grid(0.09f, 140), grid(1.f / 255, 0), true},    // causal mask
      {OpKind::kSoftmax, {2, 5, 4}, 1, grid(0.05f, 0, true), grid(1.f / 255, 0)},          // a middle axis
      {OpKind::kLogSoftmax, {3, 11}, -1, grid(0.07f, 100), grid(0.04f, 255)},
      {OpKind::kLayerNormalization, {2, 6, 16}, -1, grid(0.06f, 120), grid(0.03f, 128)},
      {OpKind::kLayerNormalization, {2, 3, 4, 5}, 2, grid(0.06f, 0, true), grid(0.05f, 0, true)},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(op_name(c.op) << " " << shape_to_string(c.shape) << " axis " << c.axis << (c.masked ? " masked" : "")) {
      Graph g;
      Value* x = *g.add_value("x");
      x->type = TensorType{DType::kF32, c.shape, true};
      x->encoding = c.in;
      g.inputs().push_back(x);
      std::vector<Value*> ins{x};
      if (c.op == OpKind::kLayerNormalization) {
        const Shape normalized(c.shape.begin() + (c.axis < 0 ? c.axis + static_cast<int64_t>(c.shape.size()) : c.axis),
                               c.shape.end());
        const int64_t n = shape_numel(normalized);
        ins.push_back(g.add_constant("gamma", test::random_tensor(normalized, 31, 0.5f, 1.5f)));
        ins.push_back(g.add_constant("beta", test::random_tensor(normalized, 37, -0.5f, 0.5f)));
        ins[1]->type = TensorType{DType::kF32, normalized, true};
        ins[2]->type = TensorType{DType::kF32, normalized, true};
        CHECK(n > 0);
      }
      if (c.masked) {
        // [7, 9] onto [2, 3, 7, 9]: position k of row t is masked past t + 1, and row 6 entirely.
        Tensor mask(DType::kBool, {7, 9});
        for (int64_t t = 0; t < 7; ++t)
          for (int64_t k = 0; k < 9; ++k) mask.data<bool>()[t * 9 + k] = t == 6 || k > t + 1;
        ins.push_back(g.add_constant("mask", mask));
        ins[1]->type = TensorType{DType::kBool, {7, 9}, true};
      }
      Value* y = *g.add_value("y");
      y->type = TensorType{DType::kF32, c.shape, true};
      y->encoding = c.out;
      Node* node = *g.add_node(c.op, "op", ins, {y});
      node->attrs["axis"] = c.axis;
      g.outputs().push_back(y);
      const Tensor input = test::random_tensor(c.shape, 41, -6.f, 8.f);

      const BothBackends both = run_both(g, {input}, y, "op");
      CHECK(both.onednn == both.reference);
      // The float path by hand: the input's codes dequantized, the reference kernel, one quantize.
      Tensor codes(c.in.storage_dtype(), c.shape), values(DType::kF32, c.shape), result(DType::kF32, c.shape),
          expected(c.out.storage_dtype(), c.shape);
      quantize_into(input, c.in, codes);
      dequantize_into(codes, c.in, values);
      std::vector<const Tensor*> kernel_inputs{&values};
      for (size_t i = 1; i < ins.size(); ++i) kernel_inputs.push_back(&*ins[i]->constant);
      const std::array<Tensor*, 1> kernel_outputs{&result};
      REQUIRE(run_reference(*node, kernel_inputs, kernel_outputs).is_ok());
      quantize_into(result, c.out, expected);
      CHECK(both.reference == codes_of(expected));
      auto ref = Executor::create(g, ExecutorOptions{"reference", 1});
      REQUIRE(ref.is_ok());
      const std::vector<Tensor> feed{input};
      REQUIRE((*ref)->run(feed, true).is_ok());
      for (const StepProfile& step : (*ref)->profile())
        if (step.name == "op") CHECK(step.impl == "reference:int8");
    }
  }
}

TEST_CASE("int8 GlobalAveragePool: the window's codes summed, then requantized, on hand-worked codes", "[int8]") {
  Graph g;
  Value* x = *g.add_value("x");
  x->type = TensorType{DType::kF32, {1, 2, 2, 2}, true};
  x->encoding = grid(0.25f, 10);
  g.inputs().push_back(x);
  Value* pooled = append_global_average(g, x, grid(0.125f, 128));
  // m = 0.25 / (4 x 0.125) = 0.5. Channel 0: codes 10, 14, 2, 30, sum of (q - 10) 16 -> 8 -> 136.
  // Channel 1: codes 10, 10, 10, 11, sum 1 -> 0.5 -> 128.5, a tie, to the even 128.
  const std::vector<Tensor> input{Tensor::from_vector<float>({1, 2, 2, 2}, {0.f, 1.f, -2.f, 5.f, 0.f, 0.f, 0.f, 0.25f})};
  for (const char* backend : {"reference", "onednn"}) {
    INFO(backend);
    CHECK(codes_of_one_int8_node(g, backend, input, pooled) == std::vector<int32_t>{136, 128});
  }
}

TEST_CASE("int8 ReduceMean over tokens (a ViT's mean pool): codes summed per output, requantized, by hand", "[int8]") {
  // x [1, 3, 2] (scale 0.25, zero 10) -> ReduceMean(axes [1], keepdims 0) -> y [1, 2] (0.125, 128):
  // m = 0.25 / (3 x 0.125) = 2/3. Column 0: codes 10, 14, 22 -> sum of (q - 10) 16 -> 10.67 -> 139.
  // Column 1: codes 13, 10, 10 -> 3 -> 2 -> 130. (The importer gives every ReduceMean its axes as an
  // input.) Only the reference backend has this kernel: oneDNN's runs it too.
  {
    Graph g;
    Value* x = *g.add_value("x");
    x->type = TensorType{DType::kF32, {1, 3, 2}, true};
    x->encoding = grid(0.25f, 10);
    g.inputs().push_back(x);
    Value* y = *g.add_value("y");
    y->type = TensorType{DType::kF32, {1, 2}, true};
    y->encoding = grid(0.125f, 128);
    Value* axes = g.add_constant("axes", Tensor::from_vector<int64_t>({1}, {1}));
    Node* mean = *g.add_node(OpKind::kReduceMean, "pool", {x, axes}, {y});
    mean->attrs["keepdims"] = int64_t{0};
    g.outputs().push_back(y);
    const std::vector<Tensor> input{Tensor::from_vector<float>({1, 3, 2}, {0.f, 0.75f, 1.f, 0.f, 3.f, 0.f})};
    for (const char* backend : {"reference", "onednn"}) {
      INFO(backend);
      auto ex = Executor::create(g, ExecutorOptions{backend, 1});
      REQUIRE(ex.is_ok());
      REQUIRE((*ex)->run(input).is_ok());
      REQUIRE((*ex)->placements().size() == 1);
      CHECK((*ex)->placements()[0].how.rfind("int8", 0) == 0);
      auto codes = (*ex)->fetch_codes(y);
      REQUIRE(codes.is_ok());
      CHECK(codes_of(*codes) == std::vector<int32_t>{139, 130});
    }
  }
}

TEST_CASE("oneDNN int8 GlobalAveragePool on a conv's channels-last codes: the reference's codes", "[int8]") {
  // 40 channels (not a multiple of the vector width) over a 9x9 window; u8 and s8 codes.
  for (bool is_signed : {false, true}) {
    auto t = zero_point_conv(24, 40, 9, 3, false, false, false);
    if (is_signed) t->y->encoding = grid(0.06f * 0.75f, -11, true);
    Value* pooled = append_global_average(t->g, t->y, grid(is_signed ? 0.01f : 0.011f, is_signed ? 3 : 120, is_signed));
    const BothBackends both = run_both(t->g, t->inputs, pooled, "gap", 2);
    const std::vector<int32_t>& expected = both.reference;
    CHECK(both.onednn == expected);
    // The averages spread over the grid: a wrong zero point or multiplier would show.
    CHECK(*std::max_element(expected.begin(), expected.end()) - *std::min_element(expected.begin(), expected.end()) > 20);
    // No conversion step between the conv and the pool: the pool read the channels-last codes.
    for (const StepProfile& step : both.steps) {
      CHECK(step.name.rfind("reorder:", 0) != 0);
      CHECK(step.name.rfind("dequantize:y", 0) != 0);
    }
    CHECK(both.impl == "qforge:int8_average");
  }
}

// The float path of one element, written out from ONNX's definitions: dequantize, the op in
// float32, quantize (round half to even, saturate to u8).
int32_t float_path(float x_scale, int32_t x_zero, int32_t code, float (*op)(float), float y_scale, int32_t y_zero) {
  const float y = op(static_cast<float>(code - x_zero) * x_scale);
  const float q = std::nearbyint(y / y_scale) + static_cast<float>(y_zero);
  return static_cast<int32_t>(std::clamp(q, 0.f, 255.f));
}

TEST_CASE("int8 activations run as tables: every code as the float path gives it, on both backends", "[int8]") {
  struct Case {
    OpKind kind;
    float (*op)(float);
    float y_scale;
    int32_t y_zero;
  };
  const Case cases[] = {
      {OpKind::kHardSwish, [](float x) { return x * std::clamp(x * (1.f / 6.f) + 0.5f, 0.f, 1.f); }, 0.03f, 20},
      {OpKind::kHardSigmoid, [](float x) { return std::clamp(0.2f * x + 0.5f, 0.f, 1.f); }, 1.f / 255.f, 0},
      {OpKind::kSigmoid, [](float x) { return x >= 0.f ? 1.f / (1.f + std::exp(-x)) : std::exp(x) / (1.f + std::exp(x)); },
       1.f / 256.f, 0},
      {OpKind::kDiv, [](float x) { return x / 6.f; }, 0.007f, 128},
  };
  for (const Case& c : cases) {
    Graph g;
    Value* x = *g.add_value("x");
    x->type = TensorType{DType::kF32, {1, 4, 8, 8}, true};
    x->encoding = grid(0.05f, 137);
    g.inputs().push_back(x);
    std::vector<Value*> ins{x};
    if (c.kind == OpKind::kDiv) ins.push_back(g.add_constant("six", Tensor::from_vector<float>({1}, {6.f})));
    Value* y = *g.add_value("y");
    y->type = x->type;
    y->encoding = grid(c.y_scale, c.y_zero);
    REQUIRE(g.add_node(c.kind, "op", ins, {y}).is_ok());
    g.outputs().push_back(y);
    // The input holds each of the 256 codes once.
    std::vector<float> values;
    for (int q = 0; q < 256; ++q) values.push_back(static_cast<float>(q - 137) * 0.05f);
    const std::vector<Tensor> input{Tensor::from_vector<float>({1, 4, 8, 8}, values)};
    for (const char* backend : {"reference", "onednn"}) {
      INFO(op_name(c.kind) << " on " << backend);
      const std::vector<int32_t> got = codes_of_one_int8_node(g, backend, input, y);
      for (int q = 0; q < 256; ++q) {
        INFO("code " << q);
        CHECK(got[static_cast<size_t>(q)] == float_path(0.05f, 137, q, c.op, c.y_scale, c.y_zero));
      }
    }
  }
}

TEST_CASE("int8 Add / Sub / Mul / Div of two code tensors: the float path per element, broadcasting", "[int8]") {
  // a: a conv's channels-last codes [1, 40, 9, 9]; b: a graph input (plain) of the shape each case gives.
  struct Case {
    OpKind kind;
    Shape b_shape;
    bool b_first;  // b is the node's first input
  };
  const Case cases[] = {{OpKind::kMul, {1, 40, 1, 1}, false},  // squeeze-excite scaling
                        {OpKind::kMul, {40, 1, 1}, true},
                        {OpKind::kAdd, {1, 40, 9, 9}, false},  // a residual add outside a conv
                        {OpKind::kSub, {1, 1, 1, 1}, true},    // scalar minus tensor
                        {OpKind::kSub, {1, 40, 9, 9}, true},
                        {OpKind::kDiv, {1, 40, 9, 9}, false},  // b's codes include its zero point: x / 0
                        {OpKind::kDiv, {1, 40, 1, 1}, true}};
  for (const Case& c : cases) {
    auto t = zero_point_conv(24, 40, 9, 3, false, false, false);
    Graph& g = t->g;
    Value* b = *g.add_value("other");
    b->type = TensorType{DType::kF32, c.b_shape, true};
    b->encoding = grid(0.021f, 77);
    g.inputs().push_back(b);
    t->inputs.push_back(test::random_tensor(c.b_shape, 5, -1.5f, 3.5f));
    Value* y = *g.add_value("out");
    y->type = t->y->type;
    y->encoding = grid(c.kind == OpKind::kMul ? 0.09f : 0.06f, 131);
    std::vector<Value*> ins{t->y, b};
    if (c.b_first) std::swap(ins[0], ins[1]);
    REQUIRE(g.add_node(c.kind, "op", ins, {y}).is_ok());
    g.outputs() = {y};
    std::vector<std::vector<int32_t>> results;
    for (const char* backend : {"reference", "onednn"}) {
      auto ex = Executor::create(g, ExecutorOptions{backend, 2});
      REQUIRE(ex.is_ok());
      REQUIRE((*ex)->run(t->inputs, true).is_ok());
      INFO(op_name(c.kind) << " with b " << shape_to_string(c.b_shape) << " on " << backend);
      std::string impl;
      for (const StepProfile& step : (*ex)->profile())
        if (step.name == "op") impl = step.impl;
      CHECK(impl == (std::string(backend) == "onednn" ? "qforge:int8_binary" : "reference:int8"));
      auto out = (*ex)->fetch_codes(y);
      auto qa = (*ex)->fetch_codes(t->y);
      auto qb = (*ex)->fetch_codes(b);
      REQUIRE(out.is_ok());
      REQUIRE(qa.is_ok());
      REQUIRE(qb.is_ok());
      // The oracle: numpy broadcasting of b over a's [1, 40, 9, 9], each element through the float path.
      const std::vector<int32_t> a_codes = codes_of(*qa), b_codes = codes_of(*qb), got = codes_of(*out);
      int64_t mismatches = 0;
      for (int64_t i = 0; i < 40 * 81; ++i) {
        const int64_t channel = i / 81;
        const int64_t j = shape_numel(c.b_shape) == 1 ? 0 : shape_numel(c.b_shape) == 40 ? channel : i;
        const float u = static_cast<float>(a_codes[static_cast<size_t>(i)] - 97) * t->y->encoding->scale[0];
        const float v = static_cast<float>(b_codes[static_cast<size_t>(j)] - 77) * 0.021f;
        const float x = c.b_first ? v : u, z = c.b_first ? u : v;
        const float r = c.kind == OpKind::kMul   ? x * z
                        : c.kind == OpKind::kAdd ? x + z
                        : c.kind == OpKind::kDiv ? x / z
                                                 : x - z;
        const float scaled = r / y->encoding->scale[0];
        const float q = std::isnan(scaled) ? 131.f : std::clamp(std::nearbyint(scaled) + 131.f, 0.f, 255.f);
        mismatches += got[static_cast<size_t>(i)] != static_cast<int32_t>(q);
      }
      CHECK(mismatches == 0);
      results.push_back(got);
    }
    CHECK(results[0] == results[1]);
  }
}

TEST_CASE("requantize saturates and rounds half to even in output units", "[int8]") {
  Int8Linear f;
  const Encoding out = grid(1.f, 0);
  f.output = &out;
  f.multiplier = {0.5f};
  f.act_min = -INFINITY;
  f.act_max = INFINITY;
  CHECK(f.requantize(5, 0, nullptr) == 2);     // 2.5 -> 2
  CHECK(f.requantize(7, 0, nullptr) == 4);     // 3.5 -> 4
  CHECK(f.requantize(-7, 0, nullptr) == 0);    // saturates at 0 (unsigned)
  CHECK(f.requantize(1000, 0, nullptr) == 255);
  const float residual = 10.f;
  f.residual_scale = 2.f;
  f.residual_zero = 4;
  CHECK(f.requantize(4, 0, &residual) == 14);  // 2 + 2 * (10 - 4)
}

TEST_CASE("quantize and dequantize steps follow ONNX QuantizeLinear in float32", "[int8]") {
  const Encoding e = grid(0.5f, 3);
  Tensor x = Tensor::from_vector<float>({6}, {0.25f, 0.75f, -100.f, 1000.f, NAN, -1.5f});
  Tensor q(DType::kU8, {6});
  quantize_into(x, e, q);
  // 0.5 -> 0 (even) + 3; 1.5 -> 2 + 3; saturated; saturated; NaN -> the zero point; -3 + 3.
  CHECK(codes_of(q) == std::vector<int32_t>{3, 5, 0, 255, 3, 0});
  Tensor back(DType::kF32, {6});
  dequantize_into(q, e, back);
  CHECK(back.to_float_vector() == std::vector<float>{0.f, 1.f, -1.5f, 126.f, 0.f, -1.5f});
}

TEST_CASE("quantize steps into channels-last codes: each element's ONNX code at its channels-last place", "[int8]") {
  // Two images of 97x131 pixels: from 3 channels on they are shared out over the threads, and
  // their 4096-element blocks end inside a pixel. 1 to 4 channels in one pass, 6 through a
  // channels-last float copy; unsigned and signed codes.
  const int64_t images = 2, pixels = 97 * 131;
  for (const int64_t channels : {1, 2, 3, 4, 6})
    for (const bool is_signed : {false, true}) {
      const Shape shape{images, channels, 97, 131};
      std::vector<float> values = test::random_values(shape_numel(shape), 11);
      for (size_t i = 0; i < values.size(); i += 89) values[i] *= 300.f;  // some saturate
      values[3] = NAN;
      const Tensor x = Tensor::from_vector<float>(shape, values);
      const Encoding e = grid(0.0123f, is_signed ? -5 : 131, is_signed);
      Tensor q(e.storage_dtype(), shape, Layout::kChannelsLast);
      quantize_into(x, e, q);
      const float zero = static_cast<float>(-e.offset[0]);
      int64_t wrong = 0;
      for (int64_t n = 0; n < images; ++n)
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t p = 0; p < pixels; ++p) {
            const float v = values[static_cast<size_t>((n * channels + c) * pixels + p)];
            const float code = std::isnan(v) ? zero
                                             : std::clamp(std::nearbyint(v / e.scale[0]) + zero,
                                                          static_cast<float>(e.qmin()), static_cast<float>(e.qmax()));
            wrong += q.element_as_int((n * pixels + p) * channels + c) != static_cast<int64_t>(code);
          }
      INFO(channels << " channels, " << (is_signed ? "s8" : "u8"));
      CHECK(wrong == 0);
    }
}

// One node of a quantized graph as a graph of its own, its inputs graph inputs (constants kept).
std::unique_ptr<Graph> single_node(const Node& node) {
  auto g = std::make_unique<Graph>();
  auto copy = [&](const Value* v) -> Value* {
    if (!v) return nullptr;
    if (Value* existing = g->find_value(v->name)) return existing;
    Value* c = v->is_constant() ? g->add_constant(v->name, *v->constant) : *g->add_value(v->name);
    c->type = v->type;
    c->encoding = v->encoding;
    if (!v->is_constant()) g->inputs().push_back(c);
    return c;
  };
  std::vector<Value*> ins, outs;
  for (const Value* v : node.inputs) ins.push_back(copy(v));
  for (const Value* v : node.outputs) {
    Value* o = *g->add_value(v->name);
    o->type = v->type;
    o->encoding = v->encoding;
    outs.push_back(o);
    g->outputs().push_back(o);
  }
  Node* n = *g->add_node(node.kind, node.name, ins, outs);
  n->attrs = node.attrs;
  return g;
}

TEST_CASE("quantize and dequantize steps of image-sized tensors: every element as ONNX computes it", "[int8]") {
  // Large enough to be shared out over the OpenMP threads in blocks, with a ragged last block.
  const int64_t n = 3 * 224 * 224 + 17;
  std::vector<float> values = test::random_values(n, 7);
  for (int64_t i = 0; i < n; i += 97) values[i] *= 300.f;  // some saturate
  values[5] = NAN;
  const Tensor x = Tensor::from_vector<float>({n}, values);
  for (const bool is_signed : {false, true}) {
    const Encoding e = grid(0.0123f, is_signed ? -5 : 131, is_signed);
    Tensor q(e.storage_dtype(), {n});
    quantize_into(x, e, q);
    Tensor back(DType::kF32, {n});
    dequantize_into(q, e, back);
    // ONNX QuantizeLinear in float32, element by element: saturate(round_half_even(x / s) + z).
    const float zero = static_cast<float>(-e.offset[0]);
    int64_t wrong_codes = 0, wrong_values = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = values[static_cast<size_t>(i)];
      const float code = std::isnan(v) ? zero
                                       : std::clamp(std::nearbyint(v / e.scale[0]) + zero, static_cast<float>(e.qmin()),
                                                    static_cast<float>(e.qmax()));
      wrong_codes += q.element_as_int(i) != static_cast<int64_t>(code);
      wrong_values += back.data<float>()[i] != (code - zero) * e.scale[0];
    }
    INFO((is_signed ? "s8" : "u8"));
    CHECK(wrong_codes == 0);
    CHECK(wrong_values == 0);
  }
}

TEST_CASE("real models in int8: every oneDNN kernel matches the reference, layer by layer", "[int8][models]") {
  const auto models = test::real_models();
  if (models.empty()) {
    WARN("shared models not found: skipped");
    return;
  }
  for (const auto& model : models) {
    auto g = convert(model, "min-max", 8);
    auto ref = Executor::create(*g, ExecutorOptions{"reference", 1});
    REQUIRE(ref.is_ok());
    auto input = model.label == "mnist" ? test::mnist_model(3) : model.label == "cifar10" ? test::cifar10_model(3)
                                                                                           : test::ppocr_model(3);
    REQUIRE((*ref)->run(std::vector<Tensor>{input->input}).is_ok());
    int int8_nodes = 0, exact_nodes = 0;
    for (const auto& node : g->nodes()) {
      // Each node gets the reference's inputs, so a difference is this node's own.
      auto one = single_node(*node);
      std::vector<Tensor> inputs;
      for (const Value* in : one->inputs()) {
        auto t = (*ref)->fetch(g->find_value(in->name));
        REQUIRE(t.is_ok());
        inputs.push_back(std::move(*t));
      }
      auto a = Executor::create(*one, ExecutorOptions{"reference", 1});
      auto b = Executor::create(*one, ExecutorOptions{"onednn", 1});
      REQUIRE(a.is_ok());
      REQUIRE(b.is_ok());
      REQUIRE((*a)->run(inputs).is_ok());
      REQUIRE((*b)->run(inputs).is_ok());
      const bool int8 = !(*b)->placements().empty() && (*b)->placements()[0].how == "int8";
      int8_nodes += int8;
      for (const Value* v : one->outputs()) {
        if (!v->encoding) continue;
        auto qa = (*a)->fetch_codes(v);
        auto qb = (*b)->fetch_codes(v);
        REQUIRE(qa.is_ok());
        REQUIRE(qb.is_ok());
        int64_t max_lsb = 0, differing = 0;
        for (int64_t i = 0; i < qa->numel(); ++i) {
          const int64_t d = std::llabs(qa->element_as_int(i) - qb->element_as_int(i));
          max_lsb = std::max(max_lsb, d);
          differing += d != 0;
        }
        INFO(model.label << " tensor '" << v->name << "' of " << node->describe() << " ("
                         << (*b)->placements()[0].how << "): " << differing << " of " << qa->numel() << " codes differ");
        CHECK(max_lsb <= 1);
        // The integer formula is bit-exact; float-path ops may round differently by one LSB.
        if (int8_linear_form(*node, nullptr) || int8_average_form(*node, nullptr)) CHECK(differing == 0);
        exact_nodes += differing == 0;
      }
    }
    INFO(model.label);
    CHECK(int8_nodes > 0);
    WARN(model.label << ": " << int8_nodes << " of " << g->nodes().size() << " nodes in int8 on oneDNN, "
                     << exact_nodes << " bit-exact against the reference");
  }
}

TEST_CASE("mnist, cifar10 and ppocr_cls in int8: the whole network is bit-exact on oneDNN", "[int8][models]") {
  // ppocr_cls's squeeze-excite blocks run on codes: the average as integer sums (the same in any
  // layout and order), HardSigmoid and HardSwish as tables, the scaling Mul per element.
  for (auto model : {test::mnist_model(), test::cifar10_model(), test::ppocr_model()}) {
    if (!model) {
      WARN("shared models not found: skipped");
      return;
    }
    auto g = convert(*model, "entropy", 8);
    auto ref = Executor::create(*g, ExecutorOptions{"reference", 1});
    auto dnn = Executor::create(*g, ExecutorOptions{"onednn", 2});
    REQUIRE(ref.is_ok());
    REQUIRE(dnn.is_ok());
    for (size_t image = 10; image < 20; ++image) {
      auto input = model->label == "mnist"     ? test::mnist_model(image)
                   : model->label == "cifar10" ? test::cifar10_model(image)
                                               : test::ppocr_model(image);
      const std::vector<Tensor> inputs{input->input};
      REQUIRE((*ref)->run(inputs).is_ok());
      REQUIRE((*dnn)->run(inputs).is_ok());
      for (const auto& node : g->nodes())
        for (const Value* v : node->outputs) {
          auto a = (*ref)->fetch_codes(v);
          auto b = (*dnn)->fetch_codes(v);
          REQUIRE(a.is_ok());
          REQUIRE(b.is_ok());
          INFO(model->label << " image " << image << " tensor '" << v->name << "'");
          CHECK(codes_of(*a) == codes_of(*b));
        }
    }
  }
}

}  // namespace qf
