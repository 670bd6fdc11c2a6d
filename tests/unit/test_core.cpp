// SPDX-License-Identifier: Apache-2.0
// Core types: Status exit codes, Tensor, half floats, Graph edges and topological order.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/closest_names.h"
#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ir/verify.h"

using namespace qf;

TEST_CASE("exit codes are the documented ones", "[core]") {
  CHECK(exit_code(StatusCode::kOk) == 0);
  CHECK(exit_code(StatusCode::kCompareFailed) == 1);
  CHECK(exit_code(StatusCode::kUsage) == 2);
  CHECK(exit_code(StatusCode::kBadInput) == 3);
  CHECK(exit_code(StatusCode::kUnsupported) == 4);
  CHECK(exit_code(StatusCode::kInternal) == 5);
}

TEST_CASE("Result carries a value or a status", "[core]") {
  Result<int> good = 3;
  Result<int> bad = bad_input("file '{}' is missing", "x.raw");
  REQUIRE(good.is_ok());
  CHECK(*good == 3);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == StatusCode::kBadInput);
  CHECK(bad.status().message() == "file 'x.raw' is missing");
  CHECK(bad.status().with_context("run").message() == "run: file 'x.raw' is missing");
}

TEST_CASE("Tensor storage is aligned, zeroed and shared by copies", "[core]") {
  Tensor t(DType::kF32, {2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.nbytes() == 24);
  CHECK(reinterpret_cast<uintptr_t>(t.bytes()) % Tensor::kAlignment == 0);
  for (float v : t.span<float>()) CHECK(v == 0.f);
  Tensor shared = t;
  Tensor deep = t.clone();
  t.data<float>()[4] = 7.f;
  CHECK(shared.data<float>()[4] == 7.f);
  CHECK(deep.data<float>()[4] == 0.f);
  CHECK(t.reshaped({6}).shape() == Shape{6});
  Tensor empty(DType::kS64, {0, 4});
  CHECK(empty.numel() == 0);
  CHECK(empty.bytes() != nullptr);
}

TEST_CASE("float16 conversions are exact on representable values", "[core]") {
  // 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF (largest half), 2^-24 = 0x0001 (smallest subnormal).
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0xC000) == -2.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(float_to_half(1.0f) == 0x3C00);
  CHECK(float_to_half(-2.0f) == 0xC000);
  CHECK(float_to_half(65504.0f) == 0x7BFF);
  CHECK(float_to_half(1e6f) == 0x7C00);
  CHECK(float_to_half(std::ldexp(1.0f, -24)) == 0x0001);
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to even gives 1.0.
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);
}

TEST_CASE("float values read as integers truncate, saturate and map NaN to 0", "[core]") {
  CHECK(float_to_int64(-2.7) == -2);
  CHECK(float_to_int64(std::nan("")) == 0);
  CHECK(float_to_int64(1e300) == std::numeric_limits<int64_t>::max());
  CHECK(float_to_int64(-4.5e279) == std::numeric_limits<int64_t>::lowest());
  CHECK(float_to_int64(9223372036854775808.0) == std::numeric_limits<int64_t>::max());
  const Tensor sizes = Tensor::from_vector<double>({3}, {-4.5e279, 7.9, std::nan("")});
  CHECK(sizes.to_int_vector() == std::vector<int64_t>{std::numeric_limits<int64_t>::lowest(), 7, 0});
}

TEST_CASE("Graph keeps edges consistent and orders nodes topologically", "[core][ir]") {
  Graph g;
  Value* x = *g.add_value("x");
  x->type = {DType::kF32, {1, 4}, true};
  g.inputs().push_back(x);
  Value* a = *g.add_value("a");
  Value* b = *g.add_value("b");
  Value* c = *g.add_value("c");
  for (Value* v : {a, b, c}) v->type = {DType::kF32, {1, 4}, true};
  // Created out of order on purpose: c = Add(a, b) before a and b exist.
  Node* add = *g.add_node(OpKind::kAdd, "add", {a, b}, {c});
  Node* relu = *g.add_node(OpKind::kRelu, "relu", {x}, {a});
  Node* sig = *g.add_node(OpKind::kSigmoid, "sig", {a}, {b});
  g.outputs().push_back(c);
  auto order = g.topo_order();
  REQUIRE(order.is_ok());
  CHECK(*order == std::vector<Node*>{relu, sig, add});
  CHECK(verify_graph(g).is_ok());
  CHECK(a->consumers.size() == 2);

  // Rewire Add to read x twice: `a` loses a consumer, x gains two.
  g.replace_all_uses_with(b, x);
  g.set_input(add, 0, x);
  CHECK(x->consumers.size() == 3);
  CHECK(a->consumers.size() == 1);
  CHECK(g.topo_order().is_ok());

  auto dup = g.add_value("c");
  CHECK_FALSE(dup.is_ok());
}

TEST_CASE("A cycle is reported, not looped over", "[core][ir]") {
  Graph g;
  Value* a = *g.add_value("a");
  Value* b = *g.add_value("b");
  REQUIRE(g.add_node(OpKind::kRelu, "r1", {a}, {b}).is_ok());
  REQUIRE(g.add_node(OpKind::kRelu, "r2", {b}, {a}).is_ok());
  auto order = g.topo_order();
  REQUIRE_FALSE(order.is_ok());
  CHECK(order.status().message().find("cycle") != std::string::npos);
}

TEST_CASE("The verifier rejects a tensor nobody produces", "[core][ir]") {
  Graph g;
  Value* ghost = *g.add_value("ghost");
  Value* y = *g.add_value("y");
  y->type = {DType::kF32, {1}, true};
  REQUIRE(g.add_node(OpKind::kRelu, "r", {ghost}, {y}).is_ok());
  g.outputs().push_back(y);
  Status s = verify_graph(g);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find("'ghost'") != std::string::npos);
}

TEST_CASE("closest names: edit distance, nearest first, only what could be a typo", "[core]") {
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("--input-list", "--input_list") == 1);
  const std::vector<std::string> flags{"--input_list", "--input_network", "--output_path", "--input_dim"};
  CHECK(closest_names("--input-list", flags) == std::vector<std::string>{"--input_list"});
  CHECK(closest_names("--inpt_dim", flags, 1) == std::vector<std::string>{"--input_dim"});
  CHECK(closest_names("--frobnicate", flags).empty());
  const std::vector<std::string> tensors{"conv1_out", "conv2_out", "fc_out"};
  CHECK(closest_names("conv3_out", tensors) == std::vector<std::string>{"conv1_out", "conv2_out"});
}
