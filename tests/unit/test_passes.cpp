// SPDX-License-Identifier: Apache-2.0
// Every pass keeps the results: the reference backend before and after, on small models built
// for each pattern and on the real models (max error relative to each tensor's magnitude
// <= 1e-5, on the outputs and on every activation that survives). Structural checks make sure
// the pattern really was rewritten.
#include <catch2/catch.hpp>

#include <map>

#include "ir/fused_activation.h"
#include "driver/load_model.h"
#include "onnx_builder.h"
#include "passes/passes.h"
#include "runtime/executor.h"
#include "test_support.h"

namespace qf {
namespace {

using test::OnnxBuilder;
using test::random_values;
constexpr double kPassTolerance = 1e-5;

// Every non-constant tensor's value after one run, by name.
std::map<std::string, Tensor> run_graph(const Graph& graph, const std::vector<Tensor>& inputs,
                                        const std::string& backend = "reference") {
  auto ex = Executor::create(graph, ExecutorOptions{backend, 1});
  REQUIRE(ex.is_ok());
  REQUIRE((*ex)->run(inputs).is_ok());
  std::map<std::string, Tensor> values;
  for (const auto& v : graph.values()) {
    if (v->is_constant() || (!v->producer && std::find(graph.inputs().begin(), graph.inputs().end(), v.get()) ==
                                                 graph.inputs().end()))
      continue;
    auto t = (*ex)->fetch(v.get());
    REQUIRE(t.is_ok());
    values.emplace(v->name, std::move(*t));
  }
  return values;
}

// The tensors of `after` that also exist in `before` hold the same values; the graph outputs
// exist in both.
void check_same_results(const Graph& after, const std::map<std::string, Tensor>& before,
                        const std::vector<Tensor>& inputs, double tolerance = kPassTolerance,
                        const std::string& backend = "reference") {
  const auto now = run_graph(after, inputs, backend);
  for (const Value* out : after.outputs()) REQUIRE(before.count(out->name));
  for (const auto& [name, t] : now) {
    auto it = before.find(name);
    if (it == before.end()) continue;
    INFO("tensor '" << name << "'");
    REQUIRE(it->second.shape() == t.shape());
    CHECK(test::max_relative_error(it->second, t) <= tolerance);
  }
}

std::unique_ptr<Graph> import(const OnnxBuilder& b, const std::string& file) {
  auto g = load_onnx_file(b.write(file));
  INFO(g.status().message());
  REQUIRE(g.is_ok());
  return std::move(*g);
}

int count_ops(const Graph& g, OpKind kind) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->kind == kind;
  return n;
}

// Input + Conv(W, b) + BatchNormalization with random (non-trivial) statistics.
void add_batchnorm(OnnxBuilder& b, const std::string& in, const std::string& out, int64_t channels, uint32_t seed,
                   const std::string& prefix = "bn") {
  b.initializer(prefix + "_g", {channels}, random_values(static_cast<size_t>(channels), seed, 0.5f, 2.f));
  b.initializer(prefix + "_b", {channels}, random_values(static_cast<size_t>(channels), seed + 1));
  b.initializer(prefix + "_m", {channels}, random_values(static_cast<size_t>(channels), seed + 2));
  b.initializer(prefix + "_v", {channels}, random_values(static_cast<size_t>(channels), seed + 3, 0.1f, 3.f));
  b.node("BatchNormalization", {in, prefix + "_g", prefix + "_b", prefix + "_m", prefix + "_v"}, {out}, prefix);
}

struct Case {
  std::unique_ptr<Graph> graph;
  std::vector<Tensor> inputs;
  std::map<std::string, Tensor> before;
};

Case prepare(const OnnxBuilder& b, const std::string& file, std::vector<Tensor> inputs) {
  Case c{import(b, file), std::move(inputs), {}};
  c.before = run_graph(*c.graph, c.inputs);
  return c;
}

}  // namespace

TEST_CASE("fold_batchnorm folds into Conv (plain, grouped, no bias) and keeps the results", "[passes]") {
  for (int64_t group : {1, 2, 4}) {
    for (bool bias : {true, false}) {
      OnnxBuilder b(13);
      b.input("x", {1, 4, 6, 6}).output("y");
      b.initializer("w", {8, 4 / group, 3, 3}, random_values(static_cast<size_t>(8 * 4 / group * 9), 1));
      std::vector<std::string> ins{"x", "w"};
      if (bias) {
        b.initializer("cb", {8}, random_values(8, 2));
        ins.push_back("cb");
      }
      auto& conv = b.node("Conv", ins, {"a"}, "conv");
      OnnxBuilder::attr(conv, "group", group);
      OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
      add_batchnorm(b, "a", "y", 8, 10);
      Case c = prepare(b, "fold_bn_conv.onnx", {test::random_tensor({1, 4, 6, 6}, 3)});
      auto changed = fold_batchnorm(*c.graph);
      REQUIRE(changed.is_ok());
      CHECK(*changed);
      CHECK(count_ops(*c.graph, OpKind::kBatchNormalization) == 0);
      CHECK(c.graph->find_value("w"));  // folded in place, under the name overrides use
      auto removed = c.graph->resolve_removed("a");
      REQUIRE(removed);
      CHECK(removed->survivor == "y");
      CHECK_FALSE(removed->same_values);
      check_same_results(*c.graph, c.before, c.inputs);
    }
  }
}

TEST_CASE("fold_batchnorm folds into ConvTranspose (grouped) and Gemm (transB, C)", "[passes]") {
  SECTION("ConvTranspose") {
    for (int64_t group : {1, 2}) {
      OnnxBuilder b(13);
      b.input("x", {1, 4, 5, 5}).output("y");
      b.initializer("w", {4, 6 / group, 3, 3}, random_values(static_cast<size_t>(4 * 6 / group * 9), 4));
      auto& ct = b.node("ConvTranspose", {"x", "w"}, {"a"}, "deconv");
      OnnxBuilder::attr(ct, "group", group);
      OnnxBuilder::attr(ct, "strides", std::vector<int64_t>{2, 2});
      add_batchnorm(b, "a", "y", 6, 20);
      Case c = prepare(b, "fold_bn_deconv.onnx", {test::random_tensor({1, 4, 5, 5}, 5)});
      REQUIRE(fold_batchnorm(*c.graph).is_ok());
      CHECK(count_ops(*c.graph, OpKind::kBatchNormalization) == 0);
      check_same_results(*c.graph, c.before, c.inputs);
    }
  }
  SECTION("Gemm") {
    for (int64_t trans_b : {0, 1}) {
      for (bool with_c : {true, false}) {
        OnnxBuilder b(13);
        b.input("x", {2, 5}).output("y");
        b.initializer("w", trans_b ? std::vector<int64_t>{3, 5} : std::vector<int64_t>{5, 3}, random_values(15, 6));
        std::vector<std::string> ins{"x", "w"};
        if (with_c) {
          b.initializer("c", {3}, random_values(3, 7));
          ins.push_back("c");
        }
        auto& gemm = b.node("Gemm", ins, {"a"}, "fc");
        OnnxBuilder::attr(gemm, "transB", trans_b);
        OnnxBuilder::attr(gemm, "alpha", 0.5f);
        OnnxBuilder::attr(gemm, "beta", 2.f);
        add_batchnorm(b, "a", "y", 3, 30);
        Case c = prepare(b, "fold_bn_gemm.onnx", {test::random_tensor({2, 5}, 8)});
        REQUIRE(fold_batchnorm(*c.graph).is_ok());
        CHECK(count_ops(*c.graph, OpKind::kBatchNormalization) == 0);
        check_same_results(*c.graph, c.before, c.inputs);
      }
    }
  }
}

TEST_CASE("fold_batchnorm turns a standalone BatchNormalization into a depthwise 1x1 Conv", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4}).output("y");
  b.node("Relu", {"x"}, {"r"}, "relu");
  add_batchnorm(b, "r", "y", 3, 40);
  Case c = prepare(b, "standalone_bn.onnx", {test::random_tensor({1, 3, 4, 4}, 9)});
  REQUIRE(fold_batchnorm(*c.graph).is_ok());
  CHECK(count_ops(*c.graph, OpKind::kBatchNormalization) == 0);
  REQUIRE(count_ops(*c.graph, OpKind::kConv) == 1);
  check_same_results(*c.graph, c.before, c.inputs);
}

TEST_CASE("fold_bias_add moves constant Adds into Conv and Gemm biases; MatMul + Add becomes Gemm", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 5, 5}).output("y");
  b.initializer("w", {4, 2, 3, 3}, random_values(72, 11));
  b.initializer("cb", {4, 1, 1}, random_values(4, 12));
  b.initializer("shape", {2}, {1, 36});
  b.model().mutable_graph()->mutable_initializer(2)->set_data_type(onnx::TensorProto::INT64);
  b.model().mutable_graph()->mutable_initializer(2)->clear_float_data();
  b.model().mutable_graph()->mutable_initializer(2)->add_int64_data(1);
  b.model().mutable_graph()->mutable_initializer(2)->add_int64_data(36);
  b.initializer("mw", {36, 3}, random_values(108, 13));
  b.initializer("mb", {1, 3}, random_values(3, 14));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Add", {"cb", "c"}, {"cadd"}, "conv_bias");  // constant first: either order folds
  b.node("Reshape", {"cadd", "shape"}, {"flat"}, "flatten");
  b.node("MatMul", {"flat", "mw"}, {"mm"}, "fc");
  b.node("Add", {"mm", "mb"}, {"y"}, "fc_bias");
  Case c = prepare(b, "bias_add.onnx", {test::random_tensor({1, 2, 5, 5}, 15)});
  auto changed = fold_bias_add(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kAdd) == 0);
  CHECK(count_ops(*c.graph, OpKind::kMatMul) == 0);
  CHECK(count_ops(*c.graph, OpKind::kGemm) == 1);
  CHECK(c.graph->resolve_removed("mm")->survivor == "y");
  check_same_results(*c.graph, c.before, c.inputs);
}

TEST_CASE("fold_bias_add gives a token-wise MatMul [B, T, C] x [C, D] its bias as a third input", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {2, 5, 8}).output("y").output("z");
  b.initializer("w", {8, 6}, random_values(48, 31));
  b.initializer("c", {1, 1, 6}, random_values(6, 32));  // broadcast over B and T: a bias
  b.initializer("full", {5, 6}, random_values(30, 33));  // varies over T: not a bias
  b.node("MatMul", {"x", "w"}, {"mm"}, "fc");
  b.node("Add", {"mm", "c"}, {"y"}, "fc_bias");
  b.node("MatMul", {"x", "w"}, {"mm2"}, "fc2");
  b.node("Add", {"mm2", "full"}, {"z"}, "not_bias");
  Case c = prepare(b, "matmul_bias.onnx", {test::random_tensor({2, 5, 8}, 34)});
  auto changed = fold_bias_add(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kAdd) == 1);
  CHECK(count_ops(*c.graph, OpKind::kMatMul) == 2);
  const Node* fc = c.graph->find_value("y")->producer;
  CHECK(fc->kind == OpKind::kMatMul);
  REQUIRE(fc->input(2));
  CHECK(fc->input(2)->type.shape == Shape{6});
  CHECK(c.graph->resolve_removed("mm")->survivor == "y");
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, kPassTolerance, "onednn");
}

TEST_CASE("fold_bias_add leaves an Add that is not a per-channel constant", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 3, 3}).output("y");
  b.initializer("w", {2, 2, 1, 1}, random_values(4, 16));
  b.initializer("full", {1, 2, 3, 3}, random_values(18, 17));  // varies over space: not a bias
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Add", {"c", "full"}, {"y"}, "add");
  Case c = prepare(b, "not_bias.onnx", {test::random_tensor({1, 2, 3, 3}, 18)});
  auto changed = fold_bias_add(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK_FALSE(*changed);
  CHECK(count_ops(*c.graph, OpKind::kAdd) == 1);
}

TEST_CASE("squash_activations clamps the producer and keeps the activation's output name", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4}).input("z", {1, 3, 4, 4}).output("y").output("zr");
  b.initializer("w", {3, 2, 1, 1}, random_values(6, 19, -3.f, 3.f));
  b.initializer("lo", {}, {0.f});
  b.initializer("hi", {}, {1.5f});
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("Clip", {"r", "lo", "hi"}, {"clipped"}, "clip");
  b.node("Add", {"clipped", "z"}, {"s"}, "add");
  b.node("Relu", {"s"}, {"y"}, "relu2");
  b.node("Relu", {"z"}, {"zr"}, "relu_on_input");  // a graph input has no producer: stays
  Case c = prepare(b, "squash.onnx", {test::random_tensor({1, 2, 4, 4}, 20), test::random_tensor({1, 3, 4, 4}, 21)});
  auto changed = squash_activations(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kRelu) == 1);
  CHECK(count_ops(*c.graph, OpKind::kClip) == 0);
  const Value* clipped = c.graph->find_value("clipped");
  REQUIRE(clipped);
  REQUIRE(clipped->producer->kind == OpKind::kConv);
  auto act = fused_activation(*clipped->producer);
  REQUIRE(act);
  CHECK(act->min == 0.f);
  CHECK(act->max == 1.5f);
  CHECK(fused_activation(*c.graph->find_value("y")->producer)->is_relu());
  CHECK(c.graph->resolve_removed("c")->survivor == "clipped");
  check_same_results(*c.graph, c.before, c.inputs);
  // oneDNN runs the fused clamp as a post-op.
  check_same_results(*c.graph, c.before, c.inputs, 1e-5, "onednn");
}

TEST_CASE("fuse_residual_add moves a skip connection's Add and its Relu into the later Conv", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 5, 5}).output("y");
  b.initializer("w1", {4, 4, 3, 3}, random_values(144, 30));
  b.initializer("w2", {4, 4, 1, 1}, random_values(16, 31));
  auto& c1 = b.node("Conv", {"x", "w1"}, {"a"}, "conv1");
  OnnxBuilder::attr(c1, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Conv", {"a", "w2"}, {"c"}, "conv2");  // a feeds conv2 and the Add: it is the residual
  b.node("Add", {"a", "c"}, {"s"}, "add");
  b.node("Relu", {"s"}, {"y"}, "relu");
  Case c = prepare(b, "residual.onnx", {test::random_tensor({1, 4, 5, 5}, 32)});
  REQUIRE(squash_activations(*c.graph).is_ok());
  auto changed = fuse_residual_add(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kAdd) == 0);
  const Node* conv2 = c.graph->find_value("y")->producer;
  REQUIRE(conv2->name == "conv2");
  CHECK(conv2->input(3) == c.graph->find_value("a"));
  CHECK(fused_activation(*conv2)->is_relu());
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, 1e-5, "onednn");
}

TEST_CASE("fuse_hard_activations recognises the HardSwish and HardSigmoid chains", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4}).output("y").output("h");
  b.initializer("three", {}, {3.f});
  b.initializer("zero", {}, {0.f});
  b.initializer("six", {}, {6.f});
  b.initializer("sixth", {}, {1.f / 6.f});
  // x * clip(x + 3, 0, 6) / 6  (Paddle2ONNX's hardswish)
  b.node("Add", {"x", "three"}, {"a"}, "hs_add");
  b.node("Clip", {"a", "zero", "six"}, {"cl"}, "hs_clip");
  b.node("Mul", {"x", "cl"}, {"m"}, "hs_mul");
  b.node("Div", {"m", "six"}, {"hs"}, "hs_div");
  // clip(hs + 3, 0, 6) * (1/6)  -> HardSigmoid, then hs * HardSigmoid(hs) -> HardSwish
  b.node("Add", {"three", "hs"}, {"a2"}, "sig_add");
  b.node("Clip", {"a2", "zero", "six"}, {"cl2"}, "sig_clip");
  b.node("Mul", {"cl2", "sixth"}, {"h"}, "sig_scale");
  auto& sig = b.node("HardSigmoid", {"hs"}, {"hsig"}, "hsig");
  OnnxBuilder::attr(sig, "alpha", 1.f / 6.f);
  OnnxBuilder::attr(sig, "beta", 0.5f);
  b.node("Mul", {"hsig", "hs"}, {"y"}, "swish2");
  Case c = prepare(b, "hard.onnx", {test::random_tensor({1, 3, 4, 4}, 22, -5.f, 5.f)});
  auto changed = fuse_hard_activations(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kHardSwish) == 2);
  CHECK(count_ops(*c.graph, OpKind::kHardSigmoid) == 1);
  CHECK(count_ops(*c.graph, OpKind::kClip) == 0);
  CHECK(count_ops(*c.graph, OpKind::kMul) == 0);
  check_same_results(*c.graph, c.before, c.inputs);
}

namespace {

// x -> LayerNorm spelled out over the trailing `axes` (as torch exports opset < 17), with γ / β
// when given; Mul(d, d) in place of Pow(d, 2) when `square_by_mul`.
void add_decomposed_layer_norm(OnnxBuilder& b, const std::string& x, const std::string& y, std::vector<int64_t> axes,
                               const std::string& gamma, const std::string& beta, bool square_by_mul,
                               const std::string& p) {
  auto& mean = b.node("ReduceMean", {x}, {p + "m"}, p + "mean");
  OnnxBuilder::attr(mean, "axes", axes);
  b.node("Sub", {x, p + "m"}, {p + "d"}, p + "sub");
  if (square_by_mul) {
    b.node("Mul", {p + "d", p + "d"}, {p + "sq"}, p + "square");
  } else {
    b.node("Pow", {p + "d", "two"}, {p + "sq"}, p + "square");
  }
  auto& var = b.node("ReduceMean", {p + "sq"}, {p + "v"}, p + "var");
  OnnxBuilder::attr(var, "axes", axes);
  b.node("Add", {p + "v", "eps"}, {p + "ve"}, p + "add_eps");
  b.node("Sqrt", {p + "ve"}, {p + "s"}, p + "sqrt");
  const std::string n = gamma.empty() && beta.empty() ? y : p + "n";
  b.node("Div", {p + "d", p + "s"}, {n}, p + "div");
  std::string tail = n;
  if (!gamma.empty()) {
    const std::string g = beta.empty() ? y : p + "g";
    b.node("Mul", {tail, gamma}, {g}, p + "gamma");
    tail = g;
  }
  if (!beta.empty()) b.node("Add", {beta, tail}, {y}, p + "beta");
}

}  // namespace

TEST_CASE("fuse_layer_norm turns the opset-13 decomposition into LayerNormalization", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 5, 8}).output("y1").output("y2").output("y3");
  b.initializer("two", {}, {2.f});
  b.initializer("eps", {}, {1e-5f});
  b.initializer("gamma", {8}, random_values(8, 41, 0.5f, 2.f));
  b.initializer("beta", {8}, random_values(8, 42));
  b.initializer("gamma2", {5, 8}, random_values(40, 43, 0.5f, 2.f));
  add_decomposed_layer_norm(b, "x", "y1", {-1}, "gamma", "beta", false, "a_");
  add_decomposed_layer_norm(b, "y1", "y2", {2}, "", "", true, "b_");         // no γ, β; Mul(d, d)
  add_decomposed_layer_norm(b, "y2", "y3", {1, 2}, "gamma2", "", false, "c_");  // two trailing axes
  Case c = prepare(b, "ln.onnx", {test::random_tensor({1, 5, 8}, 44, -3.f, 5.f)});
  auto changed = fuse_layer_norm(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kLayerNormalization) == 3);
  CHECK(count_ops(*c.graph, OpKind::kReduceMean) == 0);
  CHECK(count_ops(*c.graph, OpKind::kSqrt) == 0);
  for (const auto& n : c.graph->nodes())
    if (n->outputs[0]->name == "y3") CHECK(n->attr_int("axis", 0) == 1);
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, kPassTolerance, "onednn");
}

TEST_CASE("fuse_layer_norm leaves a mean over a leading axis and a shared deviation alone", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 5, 8}).output("y").output("d_out");
  b.initializer("two", {}, {2.f});
  b.initializer("eps", {}, {1e-5f});
  add_decomposed_layer_norm(b, "x", "y", {1}, "", "", false, "a_");  // axis 1 of 3: not trailing
  add_decomposed_layer_norm(b, "x", "z", {-1}, "", "", false, "b_");
  b.node("Identity", {"b_d"}, {"d_out"}, "export_d");  // the deviation is used elsewhere too
  Case c = prepare(b, "ln_no.onnx", {test::random_tensor({1, 5, 8}, 45)});
  auto changed = fuse_layer_norm(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK_FALSE(*changed);
  CHECK(count_ops(*c.graph, OpKind::kLayerNormalization) == 0);
}

TEST_CASE("fuse_masked_softmax takes a constant attention mask into the Softmax, in its three spellings",
          "[passes]") {
  // Causal [4, 4] masks onto scores [1, 2, 4, 4]: Where(mask, -inf, s), Where(keep, s, -3.4e38) and
  // Add(s, M) with M 0 or -1e4. Two more that must stay: a fill of -1 (a value, not a mask) and a
  // Where whose output is also a graph output.
  OnnxBuilder b(13);
  b.input("s", {1, 2, 4, 4}).output("p1").output("p2").output("p3").output("p4").output("p5").output("w5");
  std::vector<float> causal(16), additive(16);
  for (int t = 0; t < 4; ++t)
    for (int k = 0; k < 4; ++k) {
      causal[static_cast<size_t>(t * 4 + k)] = k > t ? 1.f : 0.f;
      additive[static_cast<size_t>(t * 4 + k)] = k > t ? -1e4f : 0.f;
    }
  auto bool_mask = [&](const std::string& name, bool keep) {
    auto& t = b.empty_initializer(name, onnx::TensorProto::BOOL, {4, 4});
    for (float v : causal) t.add_int32_data((v != 0.f) != keep ? 1 : 0);
  };
  bool_mask("mask", false);
  bool_mask("keep", true);
  b.initializer("ninf", {}, {-INFINITY});
  b.initializer("lowest", {}, {-3.4e38f});
  b.initializer("minus_one", {}, {-1.f});
  b.initializer("additive", {4, 4}, additive);
  b.node("Where", {"mask", "ninf", "s"}, {"w1"}, "where1");
  b.node("Where", {"keep", "s", "lowest"}, {"w2"}, "where2");
  b.node("Add", {"s", "additive"}, {"w3"}, "add3");
  b.node("Where", {"mask", "minus_one", "s"}, {"w4"}, "where4");
  b.node("Where", {"mask", "ninf", "s"}, {"w5"}, "where5");
  for (int i = 1; i <= 5; ++i) {
    auto& sm = b.node("Softmax", {"w" + std::to_string(i)}, {"p" + std::to_string(i)}, "softmax" + std::to_string(i));
    OnnxBuilder::attr(sm, "axis", int64_t{-1});
  }
  Case c = prepare(b, "masked_softmax.onnx", {test::random_tensor({1, 2, 4, 4}, 51, -5.f, 5.f)});
  auto changed = fuse_masked_softmax(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kWhere) == 2);
  CHECK(count_ops(*c.graph, OpKind::kAdd) == 0);
  for (const char* fused : {"p1", "p2", "p3"}) {
    const Node* sm = c.graph->find_value(fused)->producer;
    INFO(fused);
    CHECK(sm->kind == OpKind::kSoftmax);
    REQUIRE(sm->input(1));
    CHECK(sm->input(1)->type.dtype == DType::kBool);
    CHECK(sm->input(0)->name == "s");
  }
  CHECK(c.graph->find_value("p4")->producer->inputs.size() == 1);
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, kPassTolerance, "onednn");
}

TEST_CASE("fuse_gelu turns the erf and tanh GELU chains into Gelu", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 16}).output("y").output("t").output("w");
  b.initializer("sqrt2", {}, {1.4142135f});
  b.initializer("inv_sqrt2", {}, {0.70710678f});
  b.initializer("one", {}, {1.f});
  b.initializer("half", {}, {0.5f});
  b.initializer("three", {}, {3.f});
  b.initializer("cubic", {}, {0.044715f});
  b.initializer("s2pi", {}, {0.7978846f});
  // torch's nn.GELU(): x * (erf(x / √2) + 1) * 0.5
  b.node("Div", {"x", "sqrt2"}, {"e_a"}, "e_div");
  b.node("Erf", {"e_a"}, {"e_e"}, "e_erf");
  b.node("Add", {"e_e", "one"}, {"e_f"}, "e_add");
  b.node("Mul", {"x", "e_f"}, {"e_g"}, "e_mul");
  b.node("Mul", {"e_g", "half"}, {"y"}, "e_half");
  // (0.5 * y) * (1 + erf(y * 1/√2))
  b.node("Mul", {"y", "inv_sqrt2"}, {"w_a"}, "w_scale");
  b.node("Erf", {"w_a"}, {"w_e"}, "w_erf");
  b.node("Add", {"one", "w_e"}, {"w_f"}, "w_add");
  b.node("Mul", {"half", "y"}, {"w_h"}, "w_half");
  b.node("Mul", {"w_h", "w_f"}, {"w"}, "w_mul");
  // HF gelu_new: 0.5 * x * (1 + tanh(√(2/π) * (x + 0.044715 x³)))
  b.node("Pow", {"x", "three"}, {"t_c"}, "t_pow");
  b.node("Mul", {"t_c", "cubic"}, {"t_c2"}, "t_cubic");
  b.node("Add", {"x", "t_c2"}, {"t_i"}, "t_add");
  b.node("Mul", {"s2pi", "t_i"}, {"t_s"}, "t_scale");
  b.node("Tanh", {"t_s"}, {"t_th"}, "t_tanh");
  b.node("Add", {"t_th", "one"}, {"t_f"}, "t_add1");
  b.node("Mul", {"x", "t_f"}, {"t_g"}, "t_mul");
  b.node("Mul", {"t_g", "half"}, {"t"}, "t_half");
  Case c = prepare(b, "gelu.onnx", {test::random_tensor({2, 3, 16}, 46, -6.f, 6.f)});
  auto changed = fuse_gelu(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kGelu) == 3);
  CHECK(count_ops(*c.graph, OpKind::kErf) == 0);
  CHECK(count_ops(*c.graph, OpKind::kTanh) == 0);
  CHECK(count_ops(*c.graph, OpKind::kMul) == 0);
  int tanh_form = 0;
  for (const auto& n : c.graph->nodes()) tanh_form += n->attr_string("approximate", "") == "tanh";
  CHECK(tanh_form == 1);
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, kPassTolerance, "onednn");
}

TEST_CASE("rewrite_einsum turns attention's Einsums into MatMul and keeps the rest", "[passes]") {
  OnnxBuilder b(13);
  b.input("q", {1, 2, 5, 4}).input("k", {1, 2, 6, 4}).input("v", {1, 2, 6, 4}).input("x", {3, 5, 4});
  b.output("o").output("y").output("z").output("diag");
  b.initializer("w", {4, 7}, random_values(28, 47));
  OnnxBuilder::attr(b.node("Einsum", {"q", "k"}, {"s"}, "scores"), "equation", std::string("bhid,bhjd->bhij"));
  b.node("Softmax", {"s"}, {"p"}, "softmax");
  OnnxBuilder::attr(b.node("Einsum", {"p", "v"}, {"o"}, "context"), "equation", std::string("bhij,bhjd->bhid"));
  OnnxBuilder::attr(b.node("Einsum", {"x", "w"}, {"y"}, "linear"), "equation", std::string("bij,jk->bik"));
  // Output order differs from MatMul's: a Transpose after it.
  OnnxBuilder::attr(b.node("Einsum", {"q", "k"}, {"z"}, "swapped"), "equation", std::string("bhid,bhjd->bhji"));
  // A sum within one operand is not a matrix product: it stays.
  OnnxBuilder::attr(b.node("Einsum", {"s"}, {"diag"}, "diag"), "equation", std::string("bhij->bhj"));
  Case c = prepare(b, "einsum.onnx",
                   {test::random_tensor({1, 2, 5, 4}, 48), test::random_tensor({1, 2, 6, 4}, 49),
                    test::random_tensor({1, 2, 6, 4}, 50), test::random_tensor({3, 5, 4}, 51)});
  auto changed = rewrite_einsum(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kMatMul) == 4);
  CHECK(count_ops(*c.graph, OpKind::kEinsum) == 1);
  check_same_results(*c.graph, c.before, c.inputs);
  check_same_results(*c.graph, c.before, c.inputs, kPassTolerance, "onednn");
}

TEST_CASE("remove_identity drops Identity and Dropout and keeps output names", "[passes]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("y").output("x_copy");
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Identity", {"r"}, {"i"}, "id");
  b.node("Dropout", {"i"}, {"d"}, "drop");
  b.node("Relu", {"d"}, {"y"}, "relu2");
  b.node("Identity", {"x"}, {"x_copy"}, "input_to_output");  // graph input to graph output: stays
  Case c = prepare(b, "identity.onnx", {test::random_tensor({1, 4}, 23)});
  auto changed = remove_identity(*c.graph);
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  CHECK(count_ops(*c.graph, OpKind::kIdentity) == 1);
  CHECK(count_ops(*c.graph, OpKind::kDropout) == 0);
  auto removed = c.graph->resolve_removed("r");
  REQUIRE(removed);
  CHECK(removed->survivor == "d");
  CHECK(removed->same_values);
  check_same_results(*c.graph, c.before, c.inputs);
}

TEST_CASE("the pipeline rejects an unknown pass name", "[passes]") {
  Graph g;
  PipelineOptions options;
  options.disabled.insert("fold_everything");
  const Status s = run_optimization_passes(g, options);
  CHECK(s.code() == StatusCode::kUsage);
  CHECK(s.message().find("fold_batchnorm") != std::string::npos);
}

TEST_CASE("real models: every pass keeps the results", "[passes][models]") {
  const auto models = test::real_models();
  if (models.empty()) {
    WARN("shared models not found: skipped");
    return;
  }
  for (const auto& model : models) {
    ImportOptions options;
    options.input_dims[model.input_name] = model.input.shape();
    auto graph = load_onnx_file(model.path.string(), options);
    REQUIRE(graph.is_ok());
    const std::vector<Tensor> inputs{model.input};
    const auto before = run_graph(**graph, inputs);
    PipelineOptions pipeline;
    std::vector<std::string> ran;
    pipeline.after_pass = [&](std::string_view pass, const Graph& g) {
      ran.emplace_back(pass);
      INFO(model.label << " after " << pass);
      check_same_results(g, before, inputs);
    };
    REQUIRE(run_optimization_passes(**graph, pipeline).is_ok());
    CHECK(ran.size() == optimization_passes().size());
    const Graph& g = **graph;
    CHECK(count_ops(g, OpKind::kBatchNormalization) == 0);
    CHECK(count_ops(g, OpKind::kRelu) == 0);
    if (model.label == "mnist") {
      CHECK(count_ops(g, OpKind::kAdd) == 0);  // conv biases and the classifier's bias
      CHECK(count_ops(g, OpKind::kGemm) == 1);
    }
    if (model.label == "ppocr_cls") {
      CHECK(count_ops(g, OpKind::kHardSwish) > 0);
      CHECK(count_ops(g, OpKind::kAdd) == 0);  // every skip connection is a Conv's residual now
    }
    // The fused graph on oneDNN (post-ops) agrees with the reference as before.
    INFO(model.label << " on oneDNN");
    check_same_results(g, before, inputs, 1e-4, "onednn");
  }
}

}  // namespace qf
