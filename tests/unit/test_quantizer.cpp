// SPDX-License-Identifier: Apache-2.0
// The quantization plan (groups read off the op table), the quantizer's precedence and rules, and
// Q/DQ absorption, on small graphs whose encodings can be worked out by hand.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "driver/load_model.h"
#include "io/input_list.h"
#include "quant/calibrate.h"
#include "onnx_builder.h"
#include "passes/passes.h"
#include "quant/observer_registry.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "scratch_files.h"
#include "test_support.h"

namespace qf {
namespace {

using test::OnnxBuilder;

std::vector<float> ramp(size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1);
  return v;
}

// x -> Conv(w, b) + Relu -> MaxPool -> Concat(., y) -> out, with y = Relu(x2): a shared group.
std::unique_ptr<Graph> small_graph() {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4}).input("x2", {1, 3, 2, 2}).output("out");
  b.initializer("w", {3, 2, 1, 1}, ramp(6, -0.6f, 0.9f));
  b.initializer("b", {3}, {0.1f, -0.2f, 0.3f});
  b.node("Conv", {"x", "w", "b"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"r"}, "relu");
  auto& pool = b.node("MaxPool", {"r"}, {"p"}, "pool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  b.node("Relu", {"x2"}, {"y"}, "relu2");
  auto& cat = b.node("Concat", {"p", "y"}, {"out"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{1});
  auto g = load_onnx_file(b.write("quantizer_small.onnx"));
  REQUIRE(g.is_ok());
  REQUIRE(run_optimization_passes(**g).is_ok());
  return std::move(*g);
}

const ActivationGroup& group_of(const QuantPlan& plan, const Graph& g, const std::string& name) {
  return plan.groups.at(plan.group_of.at(g.find_value(name)));
}

// A calibration state whose observers have seen `ranges` (group name -> [lo, hi]).
CalibrationState calibrated(const QuantPlan& plan, const std::map<std::string, std::pair<float, float>>& ranges) {
  CalibrationOptions options;
  auto state = CalibrationState::create(plan, options);
  REQUIRE(state.is_ok());
  nlohmann::json j = state->to_json();
  for (const auto& [name, range] : ranges) {
    auto o = make_observer("min-max");
    REQUIRE(o.is_ok());
    const std::vector<float> values{range.first, range.second};
    (*o)->observe(values);
    j["tensors"][name] = (*o)->to_json();
  }
  j["inferences"] = 1;
  auto restored = CalibrationState::from_json(j, plan, options, "test");
  INFO(restored.status().message());
  REQUIRE(restored.is_ok());
  return std::move(*restored);
}

}  // namespace

TEST_CASE("the plan groups data movement with its input and Concat's inputs with its output", "[quant][plan]") {
  auto g = small_graph();
  auto plan = plan_quantization(*g, PlanOptions{true, false});
  REQUIRE(plan.is_ok());
  // Relu fused into the conv: r is the conv's output; MaxPool shares it; Concat joins p and y.
  const ActivationGroup& shared = group_of(*plan, *g, "out");
  std::vector<std::string> members;
  for (const Value* v : shared.members) members.push_back(v->name);
  CHECK(members == std::vector<std::string>{"r", "y", "p", "out"});
  std::vector<std::string> observed;
  for (const Value* v : shared.observed) observed.push_back(v->name);
  CHECK(observed == std::vector<std::string>{"r", "y"});  // p and out hold no other values
  CHECK(group_of(*plan, *g, "x").members.size() == 1);
  // Constants by role: the weight per channel on axis 0, the bias on input x times the weight.
  REQUIRE(plan->constants.size() == 2);
  CHECK(plan->constants[0].kind == ConstantUse::Kind::kWeight);
  CHECK(plan->constants[0].axis == 0);
  CHECK(plan->constants[1].kind == ConstantUse::Kind::kBias);
  CHECK(plan->constants[1].input == g->find_value("x"));
}

TEST_CASE("calibrated encodings: shared groups, weights per channel, int32 bias = s_in x s_w", "[quant][quantizer]") {
  auto g = small_graph();
  auto plan = plan_quantization(*g, PlanOptions{true, false});
  REQUIRE(plan.is_ok());
  const auto state = calibrated(*plan, {{"x", {0.f, 2.55f}}, {"x2", {-1.f, 1.f}}, {"r", {0.f, 5.1f}}});
  QuantizerOptions options;
  REQUIRE(assign_encodings(*g, *plan, options, nullptr, &state).is_ok());
  const Encoding& x = *g->find_value("x")->encoding;
  CHECK(x.scale[0] == Approx(0.01f));
  CHECK(x.offset[0] == 0);
  // One encoding for the whole Concat group, from the union of what was observed: [0, 5.1].
  for (const char* name : {"r", "p", "y", "out"}) {
    INFO(name);
    CHECK(g->find_value(name)->encoding->scale[0] == Approx(0.02f));
  }
  CHECK(g->find_value("r")->encoding_source == EncodingSource::kCalibration);
  CHECK(g->find_value("p")->encoding_source == EncodingSource::kPropagated);
  // w = ramp(-0.6 .. 0.9) over [3, 2, 1, 1]: channel absmax 0.6, 0.3, 0.9 -> scale absmax / 127.
  const Encoding& w = *g->find_value("w")->encoding;
  REQUIRE(w.channels() == 3);
  CHECK(w.scale[0] == Approx(0.6f / 127));
  CHECK(w.scale[1] == Approx(0.3f / 127));
  CHECK(w.scale[2] == Approx(0.9f / 127));
  const Encoding& b = *g->find_value("b")->encoding;
  CHECK(b.bitwidth == 32);
  for (size_t c = 0; c < 3; ++c) CHECK(b.scale[c] == Approx(x.scale[0] * w.scale[c]));
  REQUIRE(quantize_constants(*g).is_ok());
  CHECK(g->find_value("w")->constant->dtype() == DType::kS8);
  CHECK(g->find_value("w")->constant->data<int8_t>()[0] == -127);
  CHECK(g->find_value("b")->constant->data<int32_t>()[0] == static_cast<int32_t>(std::nearbyint(0.1 / b.scale[0])));
}

TEST_CASE("an override beats calibration, for its tensor and the group it governs", "[quant][quantizer]") {
  auto g = small_graph();
  auto plan = plan_quantization(*g, PlanOptions{});
  REQUIRE(plan.is_ok());
  const auto state = calibrated(*plan, {{"x", {0.f, 2.55f}}, {"x2", {-1.f, 1.f}}, {"r", {0.f, 5.1f}}});
  auto overrides = parse_quantization_overrides(R"({"activation_encodings": {
      "c": [{"bitwidth": 8, "scale": 0.5, "offset": 0}],
      "x": [{"bitwidth": 8, "dtype": "float"}]}})",
                                                "o.json");
  REQUIRE(overrides.is_ok());
  QuantizerOptions options;
  options.float_fallback = true;
  REQUIRE(assign_encodings(*g, *plan, options, &*overrides, &state).is_ok());
  // "c", the conv output before its Relu was squashed, names the fused output "r" now.
  const Value* r = g->find_value("r");
  CHECK(r->encoding->scale[0] == 0.5f);
  CHECK(r->encoding_source == EncodingSource::kOverride);
  CHECK(g->find_value("out")->encoding->scale[0] == 0.5f);
  CHECK(g->find_value("out")->encoding_source == EncodingSource::kPropagated);
  // dtype float keeps x in float, and the conv's int32 bias (which needs s_in) with it.
  CHECK_FALSE(g->find_value("x")->encoding);
  CHECK_FALSE(g->find_value("b")->encoding);
}

TEST_CASE("Softmax's output is encoded as [0, 1] whatever calibration saw; an override still wins",
          "[quant][quantizer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("out");
  b.node("Softmax", {"x"}, {"p"}, "softmax");
  b.node("Flatten", {"p"}, {"out"}, "flatten");  // data movement: shares p's encoding
  auto imported = load_onnx_file(b.write("quantizer_softmax.onnx"));
  REQUIRE(imported.is_ok());
  Graph& g = **imported;
  REQUIRE(run_optimization_passes(g).is_ok());
  auto plan = plan_quantization(g, PlanOptions{});
  REQUIRE(plan.is_ok());
  CHECK(group_of(*plan, g, "out").unit_interval);  // Flatten joins the Softmax's group
  // A calibration set whose probabilities never passed 0.68 (a 2-class model on ambiguous
  // inputs): a calibrated encoding would clip every confident answer at 0.68.
  const auto state = calibrated(*plan, {{"x", {-2.f, 2.f}}, {"p", {0.f, 0.68f}}});
  QuantizerOptions options;
  REQUIRE(assign_encodings(g, *plan, options, nullptr, &state).is_ok());
  for (const char* name : {"p", "out"}) {
    INFO(name);
    const Encoding& e = *g.find_value(name)->encoding;
    CHECK(e.scale[0] == Approx(1.0f / 255));  // 8-bit asymmetric [0, 1]: zero point 0, q 255 is 1.0
    CHECK(e.offset[0] == 0);
  }
  CHECK(g.find_value("p")->encoding_source == EncodingSource::kOpRange);
  CHECK(g.find_value("out")->encoding_source == EncodingSource::kPropagated);
  CHECK(encoding_source_name(EncodingSource::kOpRange) == "op_range");

  auto overrides = parse_quantization_overrides(R"({"activation_encodings": {
      "p": [{"bitwidth": 8, "scale": 0.00390625, "offset": 0}]}})", "o.json");
  REQUIRE(overrides.is_ok());
  REQUIRE(assign_encodings(g, *plan, options, &*overrides, &state).is_ok());
  CHECK(g.find_value("out")->encoding->scale[0] == 0.00390625f);
  CHECK(g.find_value("p")->encoding_source == EncodingSource::kOverride);
}

TEST_CASE("attention's second MatMul operand is calibrated symmetric signed, through the data movement before it",
          "[quant][quantizer]") {
  OnnxBuilder b(13);
  b.input("q", {1, 2, 4, 8}).input("k", {1, 2, 4, 8}).output("s");
  auto& t = b.node("Transpose", {"k"}, {"kt"}, "transpose_k");
  OnnxBuilder::attr(t, "perm", std::vector<int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"q", "kt"}, {"s"}, "scores");
  auto imported = load_onnx_file(b.write("quantizer_attention.onnx"));
  REQUIRE(imported.is_ok());
  Graph& g = **imported;
  REQUIRE(run_optimization_passes(g).is_ok());
  auto plan = plan_quantization(g, PlanOptions{});
  REQUIRE(plan.is_ok());
  CHECK(group_of(*plan, g, "kt").symmetric);  // the Transpose shares k's group
  CHECK_FALSE(group_of(*plan, g, "q").symmetric);
  CHECK_FALSE(group_of(*plan, g, "s").symmetric);
  const auto state = calibrated(*plan, {{"q", {-1.f, 3.f}}, {"k", {-0.5f, 2.54f}}, {"s", {-4.f, 4.f}}});
  REQUIRE(assign_encodings(g, *plan, QuantizerOptions{}, nullptr, &state).is_ok());
  for (const char* name : {"k", "kt"}) {
    INFO(name);
    const Encoding& e = *g.find_value(name)->encoding;
    CHECK(e.is_signed);
    CHECK(e.offset[0] == 0);
    CHECK(e.scale[0] == Approx(2.54f / 127));
  }
  CHECK_FALSE(g.find_value("q")->encoding->is_signed);  // the first operand keeps its zero point
  CHECK(g.find_value("q")->encoding->offset[0] != 0);
}

TEST_CASE("a causal mask's -inf (Where with an infinite constant) calibrates without --skip_non_finite",
          "[quant][quantizer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 4}).output("p");
  auto& mask = b.empty_initializer("mask", onnx::TensorProto::BOOL, {1, 4, 4});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) mask.add_int32_data(j > i ? 1 : 0);  // the future is masked
  b.initializer("neg_inf", {}, {-std::numeric_limits<float>::infinity()});
  b.node("Where", {"mask", "neg_inf", "x"}, {"scores"}, "mask");
  b.node("Softmax", {"scores"}, {"p"}, "softmax");
  auto imported = load_onnx_file(b.write("quantizer_mask.onnx"));
  REQUIRE(imported.is_ok());
  Graph& g = **imported;
  // Unfused, as a mask read by more than the Softmax stays (fuse_masked_softmax takes this one).
  PipelineOptions unfused;
  unfused.disabled = {"fuse_masked_softmax"};
  REQUIRE(run_optimization_passes(g, unfused).is_ok());
  auto plan = plan_quantization(g, PlanOptions{});
  REQUIRE(plan.is_ok());
  const auto dir = testing::scratch_dir("quantizer_mask");
  testing::write_floats(dir / "0.raw", test::random_values(16, 53, -2.f, 3.f));
  testing::write_text(dir / "list.txt", "x:=" + (dir / "0.raw").string() + "\n");
  auto list = read_input_list((dir / "list.txt").string());
  REQUIRE(list.is_ok());
  CalibrationOptions options;  // skip_non_finite off
  auto state = CalibrationState::create(*plan, options);
  REQUIRE(state.is_ok());
  const Status calibrated_status = calibrate(g, *plan, *list, options, *state);
  INFO(calibrated_status.message());
  REQUIRE(calibrated_status.is_ok());
  REQUIRE(assign_encodings(g, *plan, QuantizerOptions{}, nullptr, &*state).is_ok());
  const Encoding& e = *g.find_value("scores")->encoding;
  CHECK(std::isfinite(e.scale[0]));
  CHECK(e.scale[0] < 6.f / 255 * 1.01f);  // the finite scores' range, not -inf's
  // The mask constant itself stays float: -inf has no grid.
  CHECK_FALSE(g.find_value("neg_inf")->encoding.has_value());
}

TEST_CASE("a Concat of a Softmax with other values is calibrated as a whole", "[quant][quantizer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).input("y", {1, 4}).output("out");
  b.node("Softmax", {"x"}, {"p"}, "softmax");
  b.node("Relu", {"y"}, {"r"}, "relu");  // after the Softmax: p heads the Concat's group
  OnnxBuilder::attr(b.node("Concat", {"p", "r"}, {"out"}, "concat"), "axis", int64_t{1});
  auto imported = load_onnx_file(b.write("quantizer_softmax_concat.onnx"));
  REQUIRE(imported.is_ok());
  Graph& g = **imported;
  auto plan = plan_quantization(g, PlanOptions{});
  REQUIRE(plan.is_ok());
  REQUIRE(group_of(*plan, g, "out").members.front() == g.find_value("p"));
  CHECK_FALSE(group_of(*plan, g, "out").unit_interval);
  // One observer per group, named after its first member.
  const auto state = calibrated(*plan, {{"x", {-2.f, 2.f}}, {"y", {-3.f, 2.1f}}, {"p", {0.f, 2.1f}}});
  QuantizerOptions options;
  REQUIRE(assign_encodings(g, *plan, options, nullptr, &state).is_ok());
  const Encoding& e = *g.find_value("out")->encoding;
  CHECK(e.scale[0] == Approx(2.1f / 255));  // what p and r spanned, not [0, 1]
  CHECK(g.find_value("p")->encoding_source == EncodingSource::kCalibration);
}

TEST_CASE("overrides for unknown tensors, or for values a fold destroyed, are errors", "[quant][quantizer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 3, 3}).output("y");
  b.initializer("w", {2, 2, 1, 1}, ramp(4, -1.f, 1.f));
  for (const char* p : {"g", "beta", "m", "v"}) b.initializer(p, {2}, {1.f, 1.f});
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("BatchNormalization", {"c", "g", "beta", "m", "v"}, {"y"}, "bn");
  auto g = load_onnx_file(b.write("quantizer_bn.onnx"));
  REQUIRE(g.is_ok());
  REQUIRE(run_optimization_passes(**g).is_ok());
  auto plan = plan_quantization(**g, PlanOptions{});
  REQUIRE(plan.is_ok());
  QuantizerOptions options;
  options.float_fallback = true;
  auto folded = parse_quantization_overrides(R"({"activation_encodings": {"c": [{"bitwidth": 8, "scale": 0.5, "offset": 0}]}})", "o.json");
  const Status s = assign_encodings(**g, *plan, options, &*folded, nullptr);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find("'c' (fold_batchnorm folded it into 'y')") != std::string::npos);
  auto unknown = parse_quantization_overrides(R"({"activation_encodings": {"nope": [{"bitwidth": 8, "scale": 0.5, "offset": 0}]}})", "o.json");
  CHECK(assign_encodings(**g, *plan, options, &*unknown, nullptr).message().find("nope") != std::string::npos);
  // The converter's early check (before calibration) finds the same, and names the closest
  // tensors: those of the graph and the ONNX names a pass removed ('c').
  auto typo = parse_quantization_overrides(
      R"({"activation_encodings": {"yy": [{"bitwidth": 8, "scale": 0.5, "offset": 0}]}})", "o.json");
  const Status early = check_override_tensors(**g, *typo, false);
  CHECK(early.code() == StatusCode::kBadInput);
  CHECK(early.message().starts_with("o.json: overrides for tensors the model does not have: 'yy' (did you mean 'y'"));
  CHECK(early.message().ends_with("?) (--ignore_unknown_override_tensors skips them)"));
  CHECK(check_override_tensors(**g, *folded, true).message().find("fold_batchnorm folded it") != std::string::npos);
  CHECK(check_override_tensors(**g, *typo, true).is_ok());
  options.ignore_unknown_overrides = true;
  CHECK(assign_encodings(**g, *plan, options, &*unknown, nullptr).is_ok());
}

TEST_CASE("without calibration or overrides, missing encodings are listed (or kept float)", "[quant][quantizer]") {
  auto g = small_graph();
  auto plan = plan_quantization(*g, PlanOptions{});
  REQUIRE(plan.is_ok());
  QuantizerOptions options;
  const Status s = assign_encodings(*g, *plan, options, nullptr, nullptr);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find("no encoding for 6 tensor(s): x, x2, r") != std::string::npos);
  options.float_fallback = true;
  REQUIRE(assign_encodings(*g, *plan, options, nullptr, nullptr).is_ok());
  CHECK_FALSE(g->find_value("r")->encoding);
  CHECK(g->find_value("w")->encoding);  // weights are still quantized from their values
}

TEST_CASE("absorb_qdq turns Q/DQ pairs and DQ'd integer weights into encodings", "[quant][qdq]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 3, 3}).output("y");
  b.initializer("s_in", {}, {0.5f});
  b.initializer("s_w", {2}, {0.25f, 0.125f});
  auto& model = b.model();
  auto add_int8 = [&](const std::string& name, std::vector<int64_t> dims, const std::string& bytes, int type) {
    auto* t = model.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(bytes);
  };
  add_int8("zp_in", {}, std::string(1, '\x03'), onnx::TensorProto::UINT8);
  add_int8("zp_w", {2}, std::string(2, '\0'), onnx::TensorProto::INT8);
  add_int8("w_q", {2, 2, 1, 1}, std::string("\x02\xfe\x04\x08", 4), onnx::TensorProto::INT8);
  b.node("QuantizeLinear", {"x", "s_in", "zp_in"}, {"xq"}, "q");
  auto& cast = b.node("Cast", {"xq"}, {"xq_cast"}, "noop_cast");  // as torch exports
  OnnxBuilder::attr(cast, "to", int64_t{onnx::TensorProto::UINT8});
  b.node("DequantizeLinear", {"xq_cast", "s_in", "zp_in"}, {"xdq"}, "dq");
  auto& dqw = b.node("DequantizeLinear", {"w_q", "s_w", "zp_w"}, {"w"}, "dq_w");
  OnnxBuilder::attr(dqw, "axis", int64_t{0});
  b.node("Conv", {"xdq", "w"}, {"y"}, "conv");
  auto g = load_onnx_file(b.write("absorb_qdq.onnx"));
  REQUIRE(g.is_ok());
  auto changed = absorb_qdq(**g);
  INFO(changed.status().message());
  REQUIRE(changed.is_ok());
  CHECK(*changed);
  for (const auto& n : (*g)->nodes()) CHECK(n->kind == OpKind::kConv);
  const Value* x = (*g)->find_value("x");
  REQUIRE(x->encoding);
  CHECK(x->encoding->scale == std::vector<float>{0.5f});
  CHECK(x->encoding->offset == std::vector<int64_t>{-3});
  CHECK(x->encoding_source == EncodingSource::kQdq);
  const Value* w = (*g)->find_value("w");
  REQUIRE(w->is_constant());
  REQUIRE(w->encoding);
  CHECK(w->encoding->axis == 0);
  CHECK(w->encoding->is_signed);
  CHECK(w->encoding->symmetric);
  // (q - 0) * scale per output channel: 2*0.25, -2*0.25, 4*0.125, 8*0.125.
  CHECK(w->constant->to_float_vector() == std::vector<float>{0.5f, -0.5f, 0.5f, 1.f});
  CHECK((*g)->nodes()[0]->input(0) == x);
}

}  // namespace qf
