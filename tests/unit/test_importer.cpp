// SPDX-License-Identifier: Apache-2.0
// ONNX import: opset canonicalization, shape folding, bad files and unsupported ops.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "driver/load_model.h"
#include "onnx_builder.h"
#include "runtime/executor.h"

using namespace qf;
using qf::test::OnnxBuilder;

namespace {

const Node* only_node_of(const Graph& g, OpKind kind) {
  const Node* found = nullptr;
  for (const auto& n : g.nodes())
    if (n->kind == kind) found = n.get();
  return found;
}

std::vector<float> run_one(const Graph& g, const Tensor& x, const std::string& backend = "reference") {
  auto ex = Executor::create(g, {backend, 1});
  REQUIRE(ex.is_ok());
  std::vector<Tensor> in{x};
  REQUIRE((*ex)->run(in).is_ok());
  auto out = (*ex)->fetch(g.outputs()[0]);
  REQUIRE(out.is_ok());
  return out->to_float_vector();
}

}  // namespace

TEST_CASE("Clip-6 attributes become constant inputs", "[importer]") {
  OnnxBuilder b(7);
  b.input("x", {1, 4}).output("y");
  auto& clip = b.node("Clip", {"x"}, {"y"}, "clip");
  OnnxBuilder::attr(clip, "min", -1.0f);
  OnnxBuilder::attr(clip, "max", 2.0f);
  auto g = load_onnx_file(b.write("clip6.onnx"));
  REQUIRE(g.is_ok());
  const Node* n = only_node_of(**g, OpKind::kClip);
  REQUIRE(n);
  REQUIRE(n->inputs.size() == 3);
  REQUIRE(n->inputs[1]->is_constant());
  CHECK(n->inputs[1]->constant->data<float>()[0] == -1.0f);
  CHECK(n->inputs[2]->constant->data<float>()[0] == 2.0f);
  CHECK_FALSE(n->has_attr("min"));
  auto y = run_one(**g, Tensor::from_vector<float>({1, 4}, {-3.f, 0.5f, 1.5f, 9.f}));
  CHECK(y == std::vector<float>{-1.f, 0.5f, 1.5f, 2.f});
}

TEST_CASE("Softmax keeps each opset's axis semantics", "[importer]") {
  for (int64_t opset : {11, 13}) {
    OnnxBuilder b(opset);
    b.input("x", {1, 2, 2}).output("y");
    b.node("Softmax", {"x"}, {"y"}, "sm");
    auto g = load_onnx_file(b.write("softmax" + std::to_string(opset) + ".onnx"));
    REQUIRE(g.is_ok());
    const Node* n = only_node_of(**g, OpKind::kSoftmax);
    REQUIRE(n);
    // Opset 11: default axis 1 over the flattened [1, 4]; opset 13: default axis -1 over the last dim.
    CHECK(n->attr_int("axis", 99) == (opset < 13 ? 1 : -1));
    CHECK(n->attr_int("legacy_2d", 0) == (opset < 13 ? 1 : 0));
    auto y = run_one(**g, Tensor::from_vector<float>({1, 2, 2}, {0.f, 0.f, 0.f, 0.f}));
    const float expected = opset < 13 ? 0.25f : 0.5f;
    for (float v : y) CHECK(v == Approx(expected));
  }
}

TEST_CASE("Squeeze axes move from attribute (opset 11) to input (opset 13)", "[importer]") {
  OnnxBuilder b(11);
  b.input("x", {1, 3, 1}).output("y");
  OnnxBuilder::attr(b.node("Squeeze", {"x"}, {"y"}, "sq"), "axes", std::vector<int64_t>{0, 2});
  auto g = load_onnx_file(b.write("squeeze11.onnx"));
  REQUIRE(g.is_ok());
  CHECK((*g)->outputs()[0]->type.shape == Shape{3});
}

TEST_CASE("A Shape->Gather->Unsqueeze->Concat->Reshape chain folds to a constant shape", "[importer]") {
  // What a PyTorch export of x.view(x.size(0), -1) looks like with a dynamic batch.
  OnnxBuilder b(13);
  b.input("x", {-1, 2, 3}).output("y");
  b.node("Shape", {"x"}, {"s"}, "shape");
  auto& idx = b.node("Constant", {}, {"zero"}, "zero");
  {
    auto* a = idx.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_int64_data(0);
  }
  b.node("Gather", {"s", "zero"}, {"n"}, "gather");
  auto& minus_one = b.node("Constant", {}, {"m1"}, "m1");
  OnnxBuilder::attr(minus_one, "value_ints", std::vector<int64_t>{-1});
  auto& axes = b.node("Constant", {}, {"axes"}, "axes");
  OnnxBuilder::attr(axes, "value_ints", std::vector<int64_t>{0});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"}, "unsq");
  OnnxBuilder::attr(b.node("Concat", {"n1", "m1"}, {"target"}, "concat"), "axis", int64_t{0});
  b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
  ImportOptions options;
  options.input_dims["x"] = {4, 2, 3};
  auto g = load_onnx_file(b.write("dynamic_reshape.onnx"), options);
  REQUIRE(g.is_ok());
  REQUIRE((*g)->nodes().size() == 1);
  const Node* reshape = (*g)->nodes()[0].get();
  CHECK(reshape->kind == OpKind::kReshape);
  REQUIRE(reshape->inputs[1]->is_constant());
  CHECK(reshape->inputs[1]->constant->to_int_vector() == std::vector<int64_t>{4, -1});
  CHECK((*g)->outputs()[0]->type.shape == Shape{4, 6});
}

TEST_CASE("Upsample-9 becomes Resize with asymmetric floor nearest", "[importer]") {
  OnnxBuilder b(9);
  b.input("x", {1, 1, 1, 2}).output("y");
  b.initializer("scales", {4}, {1.f, 1.f, 2.f, 2.f});
  OnnxBuilder::attr(b.node("Upsample", {"x", "scales"}, {"y"}, "up"), "mode", std::string("nearest"));
  auto g = load_onnx_file(b.write("upsample9.onnx"));
  REQUIRE(g.is_ok());
  const Node* n = only_node_of(**g, OpKind::kResize);
  REQUIRE(n);
  CHECK(n->input(1) == nullptr);
  REQUIRE(n->input(2));
  CHECK(n->attr_string("coordinate_transformation_mode", "") == "asymmetric");
  CHECK(n->attr_string("nearest_mode", "") == "floor");
  auto y = run_one(**g, Tensor::from_vector<float>({1, 1, 1, 2}, {1.f, 2.f}));
  CHECK(y == std::vector<float>{1.f, 1.f, 2.f, 2.f, 1.f, 1.f, 2.f, 2.f});
}

TEST_CASE("Every unsupported op is listed at once", "[importer]") {
  OnnxBuilder b(13);
  b.input("x", {4}).output("z");
  b.node("TopK", {"x", "k"}, {"y", "i"}, "topk");
  b.node("Relu", {"y"}, {"r"}, "relu");
  b.node("NonZero", {"r"}, {"z"}, "nz");
  auto g = load_onnx_file(b.write("unsupported.onnx"));
  REQUIRE_FALSE(g.is_ok());
  CHECK(g.status().code() == StatusCode::kUnsupported);
  const std::string& m = g.status().message();
  CHECK(m.find("TopK (node 'topk')") != std::string::npos);
  CHECK(m.find("NonZero (node 'nz')") != std::string::npos);
  CHECK(m.find("2 unsupported ops") != std::string::npos);
}

TEST_CASE("Bad model files give one-line errors with the right code", "[importer]") {
  auto dir = std::filesystem::temp_directory_path() / "qforge_test_models";
  std::filesystem::create_directories(dir);

  auto missing = load_onnx_file((dir / "does_not_exist.onnx").string());
  CHECK(missing.status().code() == StatusCode::kBadInput);
  CHECK(missing.status().message().find("does_not_exist.onnx") != std::string::npos);

  std::ofstream((dir / "garbage.onnx").string(), std::ios::binary) << std::string("\x07\xff\xfe garbage \x01", 13);
  auto garbage = load_onnx_file((dir / "garbage.onnx").string());
  CHECK(garbage.status().code() == StatusCode::kBadInput);

  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("y");
  b.initializer("w", {4, 4}, std::vector<float>(16, 0.5f));
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  const std::string whole = b.bytes();
  std::ofstream((dir / "truncated.onnx").string(), std::ios::binary) << whole.substr(0, whole.size() / 2);
  auto truncated = load_onnx_file((dir / "truncated.onnx").string());
  CHECK(truncated.status().code() == StatusCode::kBadInput);
  CHECK(truncated.status().message().find("truncated.onnx") != std::string::npos);

  OnnxBuilder future(22);
  future.input("x", {1}).output("y");
  future.node("Relu", {"x"}, {"y"});
  auto too_new = load_onnx_file(future.write("opset22.onnx"));
  CHECK(too_new.status().code() == StatusCode::kUnsupported);
  CHECK(too_new.status().message().find("opset 22") != std::string::npos);

  for (const auto& s : {missing.status(), garbage.status(), truncated.status(), too_new.status()})
    CHECK(s.message().find('\n') == std::string::npos);
}

TEST_CASE("A model imports from its bytes in memory as from its file", "[importer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("y");
  b.initializer("w", {4, 4}, std::vector<float>(16, 0.5f));
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  auto g = load_onnx_bytes(b.bytes(), "mem/model.onnx");
  REQUIRE(g.is_ok());
  CHECK((*g)->source_path == "mem/model.onnx");
  CHECK((*g)->outputs()[0]->type.shape == Shape{1, 4});
  CHECK(run_one(**g, Tensor::from_vector<float>({1, 4}, {1.f, 2.f, 3.f, 4.f})) == std::vector<float>(4, 5.f));
  auto bad = load_onnx_bytes(b.bytes().substr(0, 7), "mem/model.onnx");
  CHECK(bad.status().code() == StatusCode::kBadInput);
  CHECK(bad.status().message().find("'mem/model.onnx' is not an ONNX model") != std::string::npos);
}

TEST_CASE("A missing external data file is named", "[importer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2}).output("y");
  auto* w = &b.empty_initializer("w", onnx::TensorProto::FLOAT, {2, 2});
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = w->add_external_data();
  loc->set_key("location");
  loc->set_value("weights_that_are_not_there.bin");
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  auto g = load_onnx_file(b.write("external.onnx"));
  REQUIRE_FALSE(g.is_ok());
  CHECK(g.status().code() == StatusCode::kBadInput);
  CHECK(g.status().message().find("weights_that_are_not_there.bin") != std::string::npos);
}

TEST_CASE("External data stays in the model's folder and its offsets are byte counts", "[importer]") {
  const auto dir = std::filesystem::temp_directory_path() / "qforge_test_external_data";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "w.bin", std::ios::binary) << std::string(32, '\0');
  const auto error_with = [&](const std::vector<std::pair<std::string, std::string>>& entries) {
    OnnxBuilder b(13);
    b.input("x", {1, 2}).output("y");
    auto* w = &b.empty_initializer("w", onnx::TensorProto::FLOAT, {2, 2});
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto& [key, value] : entries) {
      auto* kv = w->add_external_data();
      kv->set_key(key);
      kv->set_value(value);
    }
    b.node("MatMul", {"x", "w"}, {"y"}, "mm");
    auto g = load_onnx_bytes(b.bytes(), (dir / "model.onnx").string());
    if (g.is_ok()) return std::string("imported");
    CHECK(g.status().code() == StatusCode::kBadInput);
    return g.status().message();
  };
  CHECK(error_with({{"location", "w.bin"}, {"offset", "16"}}) == "imported");
  CHECK(error_with({{"location", "w.bin"}, {"length", "16"}}) == "imported");
  CHECK(error_with({{"location", "w.bin"}, {"offset", "0x10"}}).find("offset '0x10' is not a byte count") !=
        std::string::npos);
  CHECK(error_with({{"location", "w.bin"}, {"length", "-16"}}).find("is not a byte count") != std::string::npos);
  CHECK(error_with({{"location", "w.bin"}, {"offset", "99999999999999999999"}}).find("is not a byte count") !=
        std::string::npos);
  CHECK(error_with({{"location", "w.bin"}, {"offset", "9223372036854775807"}, {"length", "16"}})
            .find("reach past it") != std::string::npos);
  CHECK(error_with({{"location", "/etc/passwd"}}).find("not a path inside the model's folder") != std::string::npos);
  CHECK(error_with({{"location", "../w.bin"}}).find("not a path inside the model's folder") != std::string::npos);
  CHECK(error_with({{"location", "."}}).find("not a regular file") != std::string::npos);
}

TEST_CASE("An inferred shape past 2^40 elements is refused before anything is folded", "[importer]") {
  OnnxBuilder b(13);
  b.output("y");
  auto* shape = &b.empty_initializer("shape", onnx::TensorProto::INT64, {2});
  shape->add_int64_data(10);
  shape->add_int64_data(int64_t{1} << 62);
  b.node("ConstantOfShape", {"shape"}, {"y"}, "fill");
  auto g = load_onnx_bytes(b.bytes(), "huge.onnx");
  REQUIRE_FALSE(g.is_ok());
  CHECK(g.status().code() == StatusCode::kBadInput);
  CHECK(g.status().message().find("more than 2^40 elements") != std::string::npos);
}

TEST_CASE("An initializer whose dims ask for more than its data holds is refused unallocated", "[importer]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("y");
  auto* w = &b.empty_initializer("w", onnx::TensorProto::FLOAT, {int64_t{1} << 20, int64_t{1} << 19});  // 2 TB of float32
  w->add_float_data(1.f);
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  auto g = load_onnx_bytes(b.bytes(), "big_weights.onnx");
  REQUIRE_FALSE(g.is_ok());
  CHECK(g.status().code() == StatusCode::kBadInput);
  CHECK(g.status().message().find("has 1 values, its shape needs 549755813888") != std::string::npos);
}

TEST_CASE("Pads, windows and strides past 2^40 are refused, not overflowed", "[importer]") {
  const auto import_error = [](OnnxBuilder& b) {
    auto g = load_onnx_bytes(b.bytes(), "window.onnx");
    REQUIRE_FALSE(g.is_ok());
    CHECK(g.status().code() == StatusCode::kBadInput);
    return g.status().message();
  };
  OnnxBuilder pad(13);
  pad.input("x", {1, 4}).output("y");
  auto* pads = &pad.empty_initializer("pads", onnx::TensorProto::INT64, {4});
  for (int64_t p : {int64_t{0}, int64_t{1} << 62, int64_t{0}, int64_t{1} << 62}) pads->add_int64_data(p);
  pad.node("Pad", {"x", "pads"}, {"y"}, "pad");
  CHECK(import_error(pad).find("pad 4611686018427387904 is out of range") != std::string::npos);

  const auto max_pool_error = [&](int64_t kernel, const std::string& key, int64_t value) {
    OnnxBuilder pool(13);
    pool.input("x", {1, 1, 8}).output("y");
    auto& node = pool.node("MaxPool", {"x"}, {"y"}, "pool");
    OnnxBuilder::attr(node, "kernel_shape", std::vector<int64_t>{kernel});
    OnnxBuilder::attr(node, key, std::vector<int64_t>{value});
    return import_error(pool);
  };
  CHECK(max_pool_error(3, "dilations", int64_t{1} << 40).find("a window of 2 x 1099511627776 elements is out of range") !=
        std::string::npos);
  CHECK(max_pool_error(1, "strides", int64_t{1} << 62).find("attribute strides value 4611686018427387904 is out of range") !=
        std::string::npos);
}

TEST_CASE("input_dim option fixes a free batch and rejects unknown names", "[importer]") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu");
  const std::string path = b.write("dynamic.onnx");
  ImportOptions options;
  options.input_dims["x"] = {5, 3};
  auto g = load_onnx_file(path, options);
  REQUIRE(g.is_ok());
  CHECK((*g)->outputs()[0]->type.shape == Shape{5, 3});

  ImportOptions wrong;
  wrong.input_dims["nope"] = {1, 3};
  auto bad = load_onnx_file(path, wrong);
  CHECK(bad.status().code() == StatusCode::kUsage);
  CHECK(bad.status().message().find("'nope'") != std::string::npos);
}

TEST_CASE("IR 9 / opset 18 models import: ReduceMean axes as an input", "[importer]") {
  OnnxBuilder b(18, 9);
  b.input("x", {1, 2, 2}).output("y");
  auto* axes = &b.empty_initializer("axes", onnx::TensorProto::INT64, {1});
  axes->add_int64_data(-1);
  OnnxBuilder::attr(b.node("ReduceMean", {"x", "axes"}, {"y"}, "mean"), "keepdims", int64_t{0});
  auto g = load_onnx_file(b.write("ir9_opset18.onnx"));
  REQUIRE(g.is_ok());
  CHECK((*g)->outputs()[0]->type.shape == Shape{1, 2});
  auto y = run_one(**g, Tensor::from_vector<float>({1, 2, 2}, {1.f, 3.f, 10.f, 20.f}));
  CHECK(y == std::vector<float>{2.f, 15.f});
}
