// SPDX-License-Identifier: Apache-2.0
// oneDNN fp32 kernels against the reference kernels (the oracle), in both activation layouts.
#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "ir/graph.h"
#include "ir/infer.h"
#include "runtime/executor.h"
#include "runtime/kernel.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

using Attrs = std::map<std::string, AttrValue>;

Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kF32, std::move(shape));
  for (float& v : t.span<float>()) v = dist(gen);
  return t;
}
Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }
Tensor floats(std::vector<float> v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }

// The test's own layout conversion ([N, C, S] <-> [N, S, C]), independent of lib/runtime/layout.
Tensor to_layout(const Tensor& t, Layout layout) {
  Tensor out(t.dtype(), t.shape(), layout);
  if (t.rank() < 3 || t.layout() == layout) {
    std::copy(t.bytes(), t.bytes() + t.nbytes(), out.bytes());
    return out;
  }
  const int64_t n = t.dim(0), c = t.dim(1), s = t.numel() / (n * c);
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < s; ++i) {
        const int64_t plain = (b * c + ch) * s + i, last = (b * s + i) * c + ch;
        if (layout == Layout::kChannelsLast) dst[last] = src[plain];
        else dst[plain] = src[last];
      }
  return out;
}

struct Arg {
  std::optional<Tensor> tensor;
  bool constant = false;
};
Arg in(Tensor t) { return {std::move(t), false}; }
Arg cst(Tensor t) { return {std::move(t), true}; }
Arg absent() { return {}; }

// A one-node graph with inferred output types.
struct OneNode {
  Graph g;
  Node* node = nullptr;
  std::vector<std::optional<Tensor>> inputs;
};

std::unique_ptr<OneNode> make_node(OpKind kind, std::vector<Arg> args, Attrs attrs = {}, size_t num_outputs = 1) {
  auto one = std::make_unique<OneNode>();
  std::vector<Value*> ins;
  for (size_t i = 0; i < args.size(); ++i) {
    one->inputs.push_back(args[i].tensor);
    if (!args[i].tensor) {
      ins.push_back(nullptr);
    } else if (args[i].constant) {
      ins.push_back(one->g.add_constant(fmt::format("c{}", i), *args[i].tensor));
    } else {
      auto v = one->g.add_value(fmt::format("x{}", i));
      REQUIRE(v.is_ok());
      (*v)->type = TensorType{args[i].tensor->dtype(), args[i].tensor->shape(), true};
      one->g.inputs().push_back(*v);
      ins.push_back(*v);
    }
  }
  std::vector<Value*> outs;
  for (size_t i = 0; i < num_outputs; ++i) outs.push_back(*one->g.add_value(fmt::format("y{}", i)));
  auto node = one->g.add_node(kind, "n", ins, outs);
  REQUIRE(node.is_ok());
  one->node = *node;
  one->node->attrs = std::move(attrs);
  const Status st = infer_node(*one->node);
  INFO(st.message());
  REQUIRE(st.is_ok());
  for (Value* o : outs) one->g.outputs().push_back(o);
  return one;
}

struct Outcome {
  std::unique_ptr<Kernel> kernel;  // null: declined
  std::string why;
  std::vector<Tensor> outputs;     // plain
};

// Creates the oneDNN kernel as the executor would, with every non-constant input delivered in
// `producer` layout, converts inputs to what the kernel asks for, runs, and returns plain outputs.
Outcome run_onednn(const OneNode& one, Layout producer, int threads = 1) {
  const Node& node = *one.node;
  KernelConfig config;
  for (const Value* v : node.inputs)
    config.input_layouts.push_back(v && !v->is_constant() && v->type.shape.size() >= 3 ? producer : Layout::kPlain);
  auto backend = make_onednn_backend(threads);
  Outcome r;
  auto created = backend->create_kernel(node, config, &r.why);
  INFO(created.status().message());
  REQUIRE(created.is_ok());
  r.kernel = std::move(*created);
  if (!r.kernel) return r;
  std::vector<Tensor> ins(node.inputs.size());
  std::vector<const Tensor*> in_ptrs;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!node.inputs[i]) {
      in_ptrs.push_back(nullptr);
      continue;
    }
    ins[i] = to_layout(to_layout(*one.inputs[i], config.input_layouts[i]), r.kernel->input_layout(i));
    in_ptrs.push_back(&ins[i]);
  }
  std::vector<Tensor> outs;
  for (size_t i = 0; i < node.outputs.size(); ++i)
    outs.emplace_back(node.outputs[i]->type.dtype, node.outputs[i]->type.shape, r.kernel->output_layout(i));
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outs) out_ptrs.push_back(&t);
  // Twice: primitives are built once and must be reusable.
  for (int rep = 0; rep < 2; ++rep) {
    const Status st = r.kernel->run(in_ptrs, out_ptrs);
    INFO(st.message());
    REQUIRE(st.is_ok());
  }
  for (Tensor& t : outs) r.outputs.push_back(to_layout(t, Layout::kPlain));
  return r;
}

std::vector<Tensor> run_reference(const OneNode& one) {
  const Node& node = *one.node;
  std::vector<const Tensor*> in_ptrs;
  for (const auto& t : one.inputs) in_ptrs.push_back(t ? &*t : nullptr);
  std::vector<Tensor> outs;
  for (const Value* v : node.outputs) outs.emplace_back(v->type.dtype, v->type.shape);
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outs) out_ptrs.push_back(&t);
  const Status st = reference_kernel(node.kind)(node, in_ptrs, out_ptrs);
  INFO(st.message());
  REQUIRE(st.is_ok());
  return outs;
}

// |a - b| <= rtol * max(|b|, 1): relative, with an absolute floor of rtol for values below 1.
void expect_close(const Tensor& got, const Tensor& want, double rtol = 1e-4) {
  REQUIRE(got.shape() == want.shape());
  double worst = 0;
  int64_t worst_at = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double a = got.data<float>()[i], b = want.data<float>()[i];
    const double err = std::abs(a - b) / std::max(std::abs(b), 1.0);
    if (!(err <= worst) || std::isnan(a) != std::isnan(b)) {
      worst = std::isnan(err) ? INFINITY : err;
      worst_at = i;
    }
    if (std::isnan(a) && std::isnan(b)) continue;
  }
  INFO("worst relative error " << worst << " at element " << worst_at);
  CHECK(worst <= rtol);
}

// Runs the node through oneDNN in each producer layout and compares with the reference.
// Returns the kernels' impl names (one per layout) so callers can check the path taken.
std::vector<std::string> check_against_reference(const OneNode& one,
                                                 std::vector<Layout> layouts = {Layout::kPlain,
                                                                                Layout::kChannelsLast},
                                                 double rtol = 1e-4) {
  const std::vector<Tensor> want = run_reference(one);
  std::vector<std::string> impls;
  for (Layout layout : layouts) {
    INFO("producer layout " << (layout == Layout::kPlain ? "plain" : "channels-last"));
    Outcome r = run_onednn(one, layout);
    INFO("declined: " << r.why);
    REQUIRE(r.kernel);
    impls.push_back(r.kernel->impl_name());
    INFO("impl " << impls.back());
    CHECK(impls.back().rfind("onednn:", 0) == 0);
    for (size_t i = 0; i < want.size(); ++i) expect_close(r.outputs[i], want[i], rtol);
  }
  return impls;
}

std::string declined_why(const OneNode& one) {
  Outcome r = run_onednn(one, Layout::kPlain);
  CHECK_FALSE(r.kernel);
  CHECK_FALSE(r.why.empty());
  return r.why;
}

bool is_ref_impl(const std::string& impl) { return impl.find(":ref") != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("onednn conv 2-D: bias, pads, strides, dilations", "[onednn]") {
  SECTION("3x3 pad 1 with bias") {
    auto one = make_node(OpKind::kConv,
                         {in(random_tensor({2, 8, 9, 11}, 1)), cst(random_tensor({16, 8, 3, 3}, 2)),
                          cst(random_tensor({16}, 3))},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    auto impls = check_against_reference(*one);
    for (const auto& impl : impls) CHECK_FALSE(is_ref_impl(impl));
  }
  SECTION("strided, dilated, asymmetric pads, no bias") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 5, 13, 10}, 4)), cst(random_tensor({7, 5, 3, 2}, 5))},
                         {{"pads", std::vector<int64_t>{0, 1, 2, 1}},
                          {"strides", std::vector<int64_t>{2, 3}},
                          {"dilations", std::vector<int64_t>{2, 1}}});
    check_against_reference(*one);
  }
  SECTION("auto_pad SAME_UPPER / SAME_LOWER / VALID with stride 2 on odd sizes") {
    for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
      INFO(mode);
      auto one = make_node(OpKind::kConv,
                           {in(random_tensor({1, 4, 7, 8}, 6)), cst(random_tensor({6, 4, 4, 3}, 7)),
                            cst(random_tensor({6}, 8))},
                           {{"auto_pad", std::string(mode)}, {"strides", std::vector<int64_t>{2, 2}}});
      check_against_reference(*one);
    }
  }
  SECTION("1x1 conv (pointwise), 64 channels") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 64, 14, 14}, 9)), cst(random_tensor({32, 64, 1, 1}, 10))});
    check_against_reference(*one);
  }
}

TEST_CASE("onednn conv: groups and depthwise", "[onednn]") {
  SECTION("group 4") {
    auto one = make_node(OpKind::kConv,
                         {in(random_tensor({2, 8, 6, 6}, 11)), cst(random_tensor({12, 2, 3, 3}, 12)),
                          cst(random_tensor({12}, 13))},
                         {{"group", int64_t{4}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    check_against_reference(*one);
  }
  SECTION("depthwise 3x3 stride 2 (mobilenet block)") {
    auto one = make_node(OpKind::kConv,
                         {in(random_tensor({1, 32, 15, 15}, 14)), cst(random_tensor({32, 1, 3, 3}, 15)),
                          cst(random_tensor({32}, 16))},
                         {{"group", int64_t{32}},
                          {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                          {"strides", std::vector<int64_t>{2, 2}}});
    auto impls = check_against_reference(*one);
    for (const auto& impl : impls) CHECK_FALSE(is_ref_impl(impl));
  }
  SECTION("depthwise with channel multiplier 2") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 4, 5, 5}, 17)), cst(random_tensor({8, 1, 3, 3}, 18))},
                         {{"group", int64_t{4}}});
    check_against_reference(*one);
  }
}

TEST_CASE("onednn conv: 1-D and 3-D, and the plain-input first layer", "[onednn]") {
  SECTION("1-D") {
    auto one = make_node(OpKind::kConv,
                         {in(random_tensor({2, 6, 17}, 19)), cst(random_tensor({5, 6, 3}, 20)), cst(random_tensor({5}, 21))},
                         {{"pads", std::vector<int64_t>{2, 1}}, {"strides", std::vector<int64_t>{2}}});
    check_against_reference(*one);
  }
  SECTION("3-D") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 3, 5, 6, 7}, 22)), cst(random_tensor({4, 3, 3, 3, 3}, 23))},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1, 1, 1}}});
    check_against_reference(*one);
  }
  SECTION("first layer: plain 3-channel image, 7x7 stride 2") {
    auto one = make_node(OpKind::kConv,
                         {in(random_tensor({1, 3, 32, 32}, 24)), cst(random_tensor({8, 3, 7, 7}, 25)),
                          cst(random_tensor({8}, 26))},
                         {{"pads", std::vector<int64_t>{3, 3, 3, 3}}, {"strides", std::vector<int64_t>{2, 2}}});
    Outcome r = run_onednn(*one, Layout::kPlain);
    REQUIRE(r.kernel);
    // Takes the image as it comes (no executor conversion) and produces channels-last.
    CHECK(r.kernel->input_layout(0) == Layout::kPlain);
    CHECK(r.kernel->output_layout(0) == Layout::kChannelsLast);
    CHECK_FALSE(is_ref_impl(r.kernel->impl_name()));
    expect_close(r.outputs[0], run_reference(*one)[0]);
  }
  SECTION("channels-last input is taken as is") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 16, 8, 8}, 27)), cst(random_tensor({16, 16, 3, 3}, 28))});
    Outcome r = run_onednn(*one, Layout::kChannelsLast);
    REQUIRE(r.kernel);
    CHECK(r.kernel->input_layout(0) == Layout::kChannelsLast);
    CHECK(r.kernel->output_layout(0) == Layout::kChannelsLast);
  }
  SECTION("declines non-constant weights") {
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 2, 4, 4}, 29)), in(random_tensor({2, 2, 3, 3}, 30))});
    declined_why(*one);
  }
}

// Row bands (runtime/row_bands.h): on n threads a small 2-D conv of one image is n convs over bands
// of rows; each reads only the input rows its windows reach and writes only its own rows.
TEST_CASE("onednn conv row bands: each band computes its rows, together the whole conv", "[onednn]") {
  SECTION("the rows of a 3x3 stride-2 conv over 9 rows, by hand") {
    // 5 output rows: band 0 has rows 0-1, whose windows cover input rows -1..3 (row -1 is
    // padding); band 1 has rows 2-4, covering input rows 3..9 (row 9 is padding).
    auto one = make_node(OpKind::kConv, {in(random_tensor({1, 8, 9, 9}, 40)), cst(random_tensor({8, 8, 3, 3}, 41))},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}});
    Outcome r = run_onednn(*one, Layout::kChannelsLast, 2);
    REQUIRE(r.kernel);
    REQUIRE(r.kernel->row_bands() != nullptr);
    REQUIRE(r.kernel->row_bands()->bands() == 2);
    CHECK(r.kernel->row_bands()->output_rows(0).begin == 0);
    CHECK(r.kernel->row_bands()->output_rows(0).end == 2);
    CHECK(r.kernel->row_bands()->output_rows(1).begin == 2);
    CHECK(r.kernel->row_bands()->output_rows(1).end == 5);
    CHECK(r.kernel->row_bands()->input_rows(0, 0).begin == 0);
    CHECK(r.kernel->row_bands()->input_rows(0, 0).end == 4);
    CHECK(r.kernel->row_bands()->input_rows(1, 0).begin == 3);
    CHECK(r.kernel->row_bands()->input_rows(1, 0).end == 9);
    expect_close(r.outputs[0], run_reference(*one)[0]);
  }
  struct Case {
    const char* what;
    Shape x, w;
    Attrs attrs;
  };
  const Case cases[] = {
      {"3x3 pad 1", {1, 16, 12, 10}, {16, 16, 3, 3}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}},
      {"1x1", {1, 24, 7, 7}, {40, 24, 1, 1}, {}},
      {"depthwise 3x3 stride 2, odd rows",
       {1, 32, 15, 15},
       {32, 1, 3, 3},
       {{"group", int64_t{32}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}}},
      {"dilated, asymmetric pads",
       {1, 5, 17, 10},
       {7, 5, 3, 2},
       {{"pads", std::vector<int64_t>{2, 1, 0, 1}}, {"dilations", std::vector<int64_t>{2, 1}}}},
      {"stride 2 that never reads the last row", {1, 8, 16, 12}, {8, 8, 3, 3}, {{"strides", std::vector<int64_t>{2, 2}}}},
  };
  for (const Case& c : cases)
    for (Layout producer : {Layout::kPlain, Layout::kChannelsLast})
      for (int threads : {2, 3}) {
        INFO(c.what << ", " << threads << " threads, producer "
                    << (producer == Layout::kPlain ? "plain (the conv reorders its rows)" : "channels-last"));
        auto one = make_node(OpKind::kConv, {in(random_tensor(c.x, 42)), cst(random_tensor(c.w, 43)),
                                             cst(random_tensor({c.w[0]}, 44))},
                             c.attrs);
        const Tensor want = run_reference(*one)[0];
        Outcome r = run_onednn(*one, producer, threads);
        REQUIRE(r.kernel);
        INFO(r.kernel->impl_name());
        REQUIRE(r.kernel->row_bands() != nullptr);
        REQUIRE(r.kernel->row_bands()->bands() == static_cast<size_t>(threads));
        expect_close(r.outputs[0], want);
        // The bands tile the output rows in order.
        const int64_t rows = want.shape()[2];
        CHECK(r.kernel->row_bands()->output_rows(0).begin == 0);
        CHECK(r.kernel->row_bands()->output_rows(static_cast<size_t>(threads) - 1).end == rows);
        for (size_t b = 1; b < r.kernel->row_bands()->bands(); ++b)
          CHECK(r.kernel->row_bands()->output_rows(b).begin == r.kernel->row_bands()->output_rows(b - 1).end);
        // Run alone, last band first, onto NaNs: each band writes exactly its rows, with the same
        // values as the whole run.
        Tensor x = to_layout(to_layout(*one->inputs[0], producer), r.kernel->input_layout(0));
        Tensor y(DType::kF32, want.shape(), r.kernel->output_layout(0));
        std::fill_n(y.data<float>(), y.numel(), NAN);
        const Tensor* ins[] = {&x, &*one->node->input(1)->constant, &*one->node->input(2)->constant};
        Tensor* outs[] = {&y};
        for (size_t b = r.kernel->row_bands()->bands(); b-- > 0;) {
          REQUIRE(r.kernel->row_bands()->run_band(b, ins, outs).is_ok());
          const Tensor plain = to_layout(y, Layout::kPlain);
          const int64_t cols = want.shape()[3];
          for (int64_t row = 0; row < rows; ++row) {
            const bool written = row >= r.kernel->row_bands()->output_rows(b).begin;
            INFO("after band " << b << ", row " << row);
            CHECK(std::isnan(plain.data<float>()[row * cols]) != written);
          }
        }
        expect_close(to_layout(y, Layout::kPlain), r.outputs[0], 0);
      }
  SECTION("whole convs: a batch of two, or too few rows for two each, on one thread; a big one split by oneDNN") {
    auto batch = make_node(OpKind::kConv, {in(random_tensor({2, 8, 8, 8}, 45)), cst(random_tensor({8, 8, 1, 1}, 46))});
    auto short_rows = make_node(OpKind::kConv, {in(random_tensor({1, 8, 3, 8}, 47)), cst(random_tensor({8, 8, 1, 1}, 48))});
    // 3 rows of 512 pixels, 64 -> 128 channels, 3x3: 2^27 multiply-adds.
    auto big = make_node(OpKind::kConv, {in(random_tensor({1, 64, 3, 512}, 49)), cst(random_tensor({128, 64, 3, 3}, 50))},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    for (const OneNode* one : {batch.get(), short_rows.get(), big.get()}) {
      Outcome r = run_onednn(*one, Layout::kChannelsLast, 2);
      REQUIRE(r.kernel);
      INFO(r.kernel->impl_name());
      CHECK(r.kernel->row_bands() == nullptr);
      CHECK((r.kernel->impl_name().find(" on one thread") != std::string::npos) == (one != big.get()));
      expect_close(r.outputs[0], run_reference(*one)[0]);
    }
  }
}

TEST_CASE("onednn conv transpose", "[onednn]") {
  SECTION("stride 2, pads 1, output_padding 1, bias") {
    auto one = make_node(OpKind::kConvTranspose,
                         {in(random_tensor({1, 6, 5, 4}, 31)), cst(random_tensor({6, 4, 3, 3}, 32)),
                          cst(random_tensor({4}, 33))},
                         {{"strides", std::vector<int64_t>{2, 2}},
                          {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                          {"output_padding", std::vector<int64_t>{1, 1}}});
    check_against_reference(*one);
  }
  SECTION("groups 2, dilation 2, asymmetric pads") {
    auto one = make_node(OpKind::kConvTranspose,
                         {in(random_tensor({2, 4, 4, 5}, 34)), cst(random_tensor({4, 3, 2, 3}, 35))},
                         {{"group", int64_t{2}},
                          {"dilations", std::vector<int64_t>{2, 1}},
                          {"pads", std::vector<int64_t>{0, 1, 1, 0}}});
    check_against_reference(*one);
  }
  SECTION("1-D") {
    auto one = make_node(OpKind::kConvTranspose, {in(random_tensor({1, 3, 7}, 36)), cst(random_tensor({3, 2, 4}, 37))},
                         {{"strides", std::vector<int64_t>{3}}});
    check_against_reference(*one);
  }  // The odd pixel of an odd SAME total: oneDNN takes the pads shape inference and the reference
  // resolve (ir/infer/spatial_util.cpp), for both SAME modes (it once declined these).
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    SECTION(std::string("auto_pad ") + mode + " with an odd total") {
      auto one = make_node(OpKind::kConvTranspose,
                           {in(random_tensor({1, 2, 5, 4}, 38)), cst(random_tensor({2, 3, 3, 3}, 39))},
                           {{"strides", std::vector<int64_t>{2, 2}}, {"auto_pad", std::string(mode)}});
      REQUIRE(one->node->outputs[0]->type.shape == Shape{1, 3, 10, 8});
      check_against_reference(*one);
    }
  }
}

TEST_CASE("onednn batchnorm", "[onednn]") {
  auto params = [](int64_t c, uint32_t seed) {
    return std::vector<Arg>{cst(random_tensor({c}, seed, 0.5f, 1.5f)), cst(random_tensor({c}, seed + 1)),
                            cst(random_tensor({c}, seed + 2)), cst(random_tensor({c}, seed + 3, 0.1f, 2.f))};
  };
  SECTION("4-D") {
    std::vector<Arg> args{in(random_tensor({2, 6, 5, 7}, 40))};
    for (Arg& a : params(6, 41)) args.push_back(a);
    auto one = make_node(OpKind::kBatchNormalization, args, {{"epsilon", 1e-3f}});
    auto impls = check_against_reference(*one);
  }
  SECTION("2-D") {
    std::vector<Arg> args{in(random_tensor({3, 5}, 45))};
    for (Arg& a : params(5, 46)) args.push_back(a);
    auto one = make_node(OpKind::kBatchNormalization, args);
    check_against_reference(*one, {Layout::kPlain});
  }
}

TEST_CASE("onednn eltwise", "[onednn]") {
  const Shape shape{2, 5, 4, 3};
  struct Case {
    OpKind kind;
    Attrs attrs;
  };
  std::vector<Case> cases = {{OpKind::kRelu, {}},
                             {OpKind::kLeakyRelu, {{"alpha", 0.1f}}},
                             {OpKind::kLeakyRelu, {}},
                             {OpKind::kSigmoid, {}},
                             {OpKind::kHardSwish, {}},
                             {OpKind::kTanh, {}},
                             {OpKind::kExp, {}}};
  for (const Case& c : cases) {
    INFO(op_name(c.kind));
    auto one = make_node(c.kind, {in(random_tensor(shape, 50, -4.f, 4.f))}, c.attrs);
    check_against_reference(*one);
    Outcome r = run_onednn(*one, Layout::kChannelsLast);
    REQUIRE(r.kernel);
    CHECK(r.kernel->input_layout(0) == Layout::kChannelsLast);
    CHECK(r.kernel->output_layout(0) == Layout::kChannelsLast);
  }
  SECTION("Sqrt on positives") {
    auto one = make_node(OpKind::kSqrt, {in(random_tensor(shape, 51, 0.f, 9.f))});
    check_against_reference(*one);
  }
  SECTION("Clip with both, min only, max only, neither") {
    std::vector<std::vector<Arg>> variants = {
        {in(random_tensor(shape, 52, -3.f, 3.f)), cst(Tensor::scalar(-0.5f)), cst(Tensor::scalar(1.25f))},
        {in(random_tensor(shape, 52, -3.f, 3.f)), cst(Tensor::scalar(0.f))},
        {in(random_tensor(shape, 52, -3.f, 3.f)), absent(), cst(Tensor::scalar(6.f))},
        {in(random_tensor(shape, 52, -3.f, 3.f))}};
    for (auto& args : variants) {
      auto one = make_node(OpKind::kClip, args);
      check_against_reference(*one);
    }
  }
  SECTION("HardSigmoid declines (no oneDNN 2.6 algorithm)") {
    auto one = make_node(OpKind::kHardSigmoid, {in(random_tensor(shape, 56))}, {{"alpha", 0.3f}, {"beta", 0.4f}});
    declined_why(*one);
  }
  SECTION("Clip declines a non-constant bound") {
    auto one = make_node(OpKind::kClip, {in(random_tensor(shape, 53)), in(Tensor::scalar(0.f))});
    declined_why(*one);
  }
  SECTION("Pow with a constant scalar exponent") {
    auto one = make_node(OpKind::kPow, {in(random_tensor(shape, 54, 0.1f, 3.f)), cst(Tensor::scalar(2.5f))});
    check_against_reference(*one);
  }
  SECTION("2-D and scalar-free 1-D shapes") {
    auto one = make_node(OpKind::kRelu, {in(random_tensor({7}, 55))});
    check_against_reference(*one, {Layout::kPlain});
  }
}

TEST_CASE("onednn binary", "[onednn]") {
  const Shape shape{2, 6, 5, 4};
  for (OpKind kind : {OpKind::kAdd, OpKind::kSub, OpKind::kMul, OpKind::kDiv}) {
    INFO(op_name(kind));
    SECTION(std::string(op_name(kind)) + " same shape") {
      auto one = make_node(kind, {in(random_tensor(shape, 60)), in(random_tensor(shape, 61, 0.5f, 2.f))});
      check_against_reference(*one);
      Outcome r = run_onednn(*one, Layout::kChannelsLast);
      REQUIRE(r.kernel);
      CHECK(r.kernel->input_layout(1) == Layout::kChannelsLast);
      CHECK(r.kernel->output_layout(0) == Layout::kChannelsLast);
    }
    SECTION(std::string(op_name(kind)) + " per-channel constant [1,C,1,1] and [C,1,1]") {
      for (Shape b : {Shape{1, 6, 1, 1}, Shape{6, 1, 1}}) {
        auto one = make_node(kind, {in(random_tensor(shape, 62)), cst(random_tensor(b, 63, 0.5f, 2.f))});
        check_against_reference(*one);
      }
    }
    SECTION(std::string(op_name(kind)) + " trailing-dim vector [W] and scalar") {
      for (Shape b : {Shape{4}, Shape{}}) {
        auto one = make_node(kind, {in(random_tensor(shape, 64)), cst(random_tensor(b, 65, 0.5f, 2.f))});
        check_against_reference(*one);
      }
    }
    SECTION(std::string(op_name(kind)) + " lower-rank full operand [C,H,W] over [N,C,H,W]") {
      auto one = make_node(kind, {in(random_tensor(shape, 66)), in(random_tensor({6, 5, 4}, 67, 0.5f, 2.f))});
      check_against_reference(*one);
    }
    SECTION(std::string(op_name(kind)) + " 2-D") {
      auto one = make_node(kind, {in(random_tensor({3, 4}, 68)), in(random_tensor({1, 4}, 69, 0.5f, 2.f))});
      check_against_reference(*one, {Layout::kPlain});
    }
  }
  SECTION("broadcast first operand: Add swaps, Sub declines") {
    auto add = make_node(OpKind::kAdd, {cst(random_tensor({1, 6, 1, 1}, 70)), in(random_tensor(shape, 71))});
    check_against_reference(*add);
    auto sub = make_node(OpKind::kSub, {cst(random_tensor({1, 6, 1, 1}, 70)), in(random_tensor(shape, 71))});
    declined_why(*sub);
  }
  SECTION("constant full-shape operand is converted once, not by the executor") {
    auto one = make_node(OpKind::kAdd, {in(random_tensor(shape, 74)), cst(random_tensor(shape, 75))});
    check_against_reference(*one);
    Outcome r = run_onednn(*one, Layout::kChannelsLast);
    REQUIRE(r.kernel);
    CHECK(r.kernel->input_layout(0) == Layout::kChannelsLast);
    CHECK(r.kernel->input_layout(1) == Layout::kPlain);
  }
  SECTION("PRelu with per-channel [C,1,1], scalar and full slopes") {
    for (Shape s : {Shape{6, 1, 1}, Shape{1}, shape}) {
      auto one = make_node(OpKind::kPRelu, {in(random_tensor(shape, 76)), cst(random_tensor(s, 77, 0.f, 0.5f))});
      check_against_reference(*one);
    }
    auto runtime_slope = make_node(OpKind::kPRelu, {in(random_tensor(shape, 78)), in(random_tensor({6, 1, 1}, 79))});
    check_against_reference(*runtime_slope);
  }
  SECTION("both operands broadcast: declined") {
    auto one = make_node(OpKind::kAdd, {in(random_tensor({2, 1, 4}, 72)), in(random_tensor({1, 3, 1}, 73))});
    declined_why(*one);
  }
}

TEST_CASE("onednn pooling", "[onednn]") {
  const Shape shape{2, 5, 11, 10};
  SECTION("MaxPool 3x3 stride 2 pad 1") {
    auto one = make_node(OpKind::kMaxPool, {in(random_tensor(shape, 80))},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}},
                          {"strides", std::vector<int64_t>{2, 2}},
                          {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    auto impls = check_against_reference(*one);
    CHECK_FALSE(is_ref_impl(impls.back()));
  }
  SECTION("MaxPool ceil_mode and dilation") {
    auto one = make_node(OpKind::kMaxPool, {in(random_tensor(shape, 81))},
                         {{"kernel_shape", std::vector<int64_t>{3, 2}},
                          {"strides", std::vector<int64_t>{2, 3}},
                          {"dilations", std::vector<int64_t>{2, 1}},
                          {"ceil_mode", int64_t{1}}});
    check_against_reference(*one);
  }
  SECTION("AveragePool exclude and include padding, SAME_UPPER") {
    for (int64_t include : {0, 1}) {
      INFO("count_include_pad " << include);
      auto one = make_node(OpKind::kAveragePool, {in(random_tensor(shape, 82))},
                           {{"kernel_shape", std::vector<int64_t>{3, 3}},
                            {"pads", std::vector<int64_t>{1, 0, 1, 2}},
                            {"count_include_pad", include}});
      check_against_reference(*one);
      auto same = make_node(OpKind::kAveragePool, {in(random_tensor(shape, 83))},
                            {{"kernel_shape", std::vector<int64_t>{2, 3}},
                             {"strides", std::vector<int64_t>{2, 2}},
                             {"auto_pad", std::string("SAME_UPPER")},
                             {"count_include_pad", include}});
      check_against_reference(*same);
    }
  }
  SECTION("AveragePool ceil_mode: exclude-pad works, include-pad declines when the window overhangs") {
    Attrs attrs{{"kernel_shape", std::vector<int64_t>{3, 3}},
                {"strides", std::vector<int64_t>{2, 2}},
                {"ceil_mode", int64_t{1}}};
    auto exclude = make_node(OpKind::kAveragePool, {in(random_tensor(shape, 84))}, attrs);
    check_against_reference(*exclude);
    attrs["count_include_pad"] = int64_t{1};
    auto include = make_node(OpKind::kAveragePool, {in(random_tensor(shape, 84))}, attrs);
    declined_why(*include);
  }
  SECTION("Global average and max, 2-D and 1-D") {
    for (OpKind kind : {OpKind::kGlobalAveragePool, OpKind::kGlobalMaxPool}) {
      INFO(op_name(kind));
      auto one = make_node(kind, {in(random_tensor(shape, 85))});
      check_against_reference(*one);
      // [N, C, 1, 1] is the same bytes in both layouts: reported plain so the classifier needs no reorder.
      Outcome r = run_onednn(*one, Layout::kChannelsLast);
      REQUIRE(r.kernel);
      CHECK(r.kernel->input_layout(0) == Layout::kChannelsLast);
      CHECK(r.kernel->output_layout(0) == Layout::kPlain);
      auto one_d = make_node(kind, {in(random_tensor({2, 3, 9}, 86))});
      check_against_reference(*one_d);
    }
  }
  SECTION("1-D MaxPool") {
    auto one = make_node(OpKind::kMaxPool, {in(random_tensor({1, 4, 12}, 87))},
                         {{"kernel_shape", std::vector<int64_t>{4}}, {"strides", std::vector<int64_t>{3}}});
    check_against_reference(*one);
  }
}

TEST_CASE("onednn gemm", "[onednn]") {
  SECTION("classifier: transB, bias [N]") {
    auto one = make_node(OpKind::kGemm,
                         {in(random_tensor({2, 64}, 90)), cst(random_tensor({10, 64}, 91)), cst(random_tensor({10}, 92))},
                         {{"transB", int64_t{1}}});
    check_against_reference(*one, {Layout::kPlain});
  }
  SECTION("transA, alpha, beta, C [M,N] / [M,1] / scalar") {
    for (Shape cshape : {Shape{3, 5}, Shape{3, 1}, Shape{}}) {
      auto one = make_node(OpKind::kGemm,
                           {in(random_tensor({4, 3}, 93)), cst(random_tensor({4, 5}, 94)), cst(random_tensor(cshape, 95))},
                           {{"transA", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.f}});
      check_against_reference(*one, {Layout::kPlain});
    }
  }
  SECTION("non-constant B with alpha, constant C") {
    auto one = make_node(OpKind::kGemm,
                         {in(random_tensor({3, 4}, 96)), in(random_tensor({5, 4}, 97)), cst(random_tensor({5}, 98))},
                         {{"transB", int64_t{1}}, {"alpha", 1.5f}, {"beta", 0.25f}});
    check_against_reference(*one, {Layout::kPlain});
  }
  SECTION("non-constant C") {
    auto one = make_node(OpKind::kGemm,
                         {in(random_tensor({3, 4}, 99)), cst(random_tensor({4, 6}, 100)), in(random_tensor({3, 6}, 101))});
    check_against_reference(*one, {Layout::kPlain});
  }
  SECTION("no C") {
    auto one = make_node(OpKind::kGemm, {in(random_tensor({3, 4}, 102)), cst(random_tensor({4, 6}, 103))});
    check_against_reference(*one, {Layout::kPlain});
  }
}

TEST_CASE("onednn matmul", "[onednn]") {
  SECTION("2-D with constant B") {
    auto one = make_node(OpKind::kMatMul, {in(random_tensor({5, 7}, 110)), cst(random_tensor({7, 3}, 111))});
    check_against_reference(*one, {Layout::kPlain});
  }
  SECTION("batched with broadcast batch dims") {
    auto one = make_node(OpKind::kMatMul, {in(random_tensor({2, 1, 4, 6}, 112)), in(random_tensor({3, 6, 5}, 113))});
    check_against_reference(*one);
  }
  SECTION("4-D activations times a constant 2-D matrix") {
    auto one = make_node(OpKind::kMatMul, {in(random_tensor({2, 3, 4, 8}, 114)), cst(random_tensor({8, 5}, 115))});
    check_against_reference(*one);
  }
  SECTION("vector cases") {
    auto a = make_node(OpKind::kMatMul, {in(random_tensor({6}, 116)), in(random_tensor({6, 4}, 117))});
    check_against_reference(*a, {Layout::kPlain});
    auto b = make_node(OpKind::kMatMul, {in(random_tensor({3, 6}, 118)), in(random_tensor({6}, 119))});
    check_against_reference(*b, {Layout::kPlain});
    auto c = make_node(OpKind::kMatMul, {in(random_tensor({2, 3, 6}, 120)), cst(random_tensor({6}, 121))});
    check_against_reference(*c);
  }
}

TEST_CASE("onednn softmax", "[onednn]") {
  for (OpKind kind : {OpKind::kSoftmax, OpKind::kLogSoftmax}) {
    INFO(op_name(kind));
    SECTION(std::string(op_name(kind)) + " opset 13 axis semantics") {
      for (int64_t axis : {1, -1, 0}) {
        INFO("axis " << axis);
        auto one = make_node(kind, {in(random_tensor({2, 5, 3, 4}, 130, -3.f, 3.f))}, {{"axis", axis}});
        check_against_reference(*one);
      }
    }
    SECTION(std::string(op_name(kind)) + " legacy 2-D coercion") {
      for (int64_t axis : {1, 2}) {
        INFO("axis " << axis);
        auto one = make_node(kind, {in(random_tensor({2, 5, 3, 4}, 131, -3.f, 3.f))},
                             {{"axis", axis}, {"legacy_2d", int64_t{1}}});
        check_against_reference(*one);
      }
    }
    SECTION(std::string(op_name(kind)) + " classifier [1, 1000]") {
      auto one = make_node(kind, {in(random_tensor({1, 1000}, 132, -5.f, 5.f))}, {{"axis", int64_t{-1}}});
      check_against_reference(*one, {Layout::kPlain});
    }
  }
}

TEST_CASE("onednn concat", "[onednn]") {
  SECTION("channels, both layouts") {
    auto one = make_node(OpKind::kConcat,
                         {in(random_tensor({2, 3, 4, 5}, 140)), in(random_tensor({2, 5, 4, 5}, 141)),
                          cst(random_tensor({2, 1, 4, 5}, 142)), cst(random_tensor({2, 2, 4, 5}, 147))},
                         {{"axis", int64_t{1}}});
    check_against_reference(*one);
    Outcome r = run_onednn(*one, Layout::kChannelsLast);
    REQUIRE(r.kernel);
    CHECK(r.kernel->output_layout(0) == Layout::kChannelsLast);
    CHECK(r.kernel->input_layout(3) == Layout::kPlain);  // constant, converted at creation
  }
  SECTION("other axes and ranks") {
    auto a = make_node(OpKind::kConcat, {in(random_tensor({2, 3, 4}, 143)), in(random_tensor({2, 3, 2}, 144))},
                       {{"axis", int64_t{-1}}});
    check_against_reference(*a);
    auto b = make_node(OpKind::kConcat, {in(random_tensor({1, 3}, 145)), in(random_tensor({2, 3}, 146))},
                       {{"axis", int64_t{0}}});
    check_against_reference(*b, {Layout::kPlain});
  }
}

TEST_CASE("onednn reduce mean", "[onednn]") {
  const Shape shape{2, 6, 5, 4};
  SECTION("spatial, keepdims (runs as a global average pool)") {
    auto one = make_node(OpKind::kReduceMean, {in(random_tensor(shape, 150)), cst(ints({2, 3}))},
                         {{"keepdims", int64_t{1}}});
    for (const auto& impl : check_against_reference(*one)) CHECK_FALSE(is_ref_impl(impl));
  }
  SECTION("spatial, no keepdims") {
    auto one = make_node(OpKind::kReduceMean, {in(random_tensor(shape, 151)), cst(ints({-1, -2}))},
                         {{"keepdims", int64_t{0}}});
    check_against_reference(*one);
  }
  SECTION("channels, no keepdims; all axes") {
    auto a = make_node(OpKind::kReduceMean, {in(random_tensor(shape, 152)), cst(ints({1}))}, {{"keepdims", int64_t{0}}});
    check_against_reference(*a);
    auto b = make_node(OpKind::kReduceMean, {in(random_tensor(shape, 153))});
    check_against_reference(*b);
  }
  SECTION("empty axes with noop declines") {
    auto one = make_node(OpKind::kReduceMean, {in(random_tensor(shape, 154))}, {{"noop_with_empty_axes", int64_t{1}}});
    declined_why(*one);
  }
}

TEST_CASE("onednn resize", "[onednn]") {
  const Shape shape{1, 3, 5, 6};
  auto resize = [&](Attrs attrs, std::vector<float> scales, uint32_t seed) {
    return make_node(OpKind::kResize, {in(random_tensor(shape, seed)), absent(), cst(floats(scales))}, attrs);
  };
  SECTION("nearest x2 asymmetric/floor (Upsample) and half_pixel/round_prefer_floor x3") {
    check_against_reference(*resize({{"mode", std::string("nearest")},
                                     {"coordinate_transformation_mode", std::string("asymmetric")},
                                     {"nearest_mode", std::string("floor")}},
                                    {1, 1, 2, 2}, 160));
    check_against_reference(*resize({{"mode", std::string("nearest")}}, {1, 1, 3, 2}, 161));
  }
  SECTION("linear half_pixel up and down, and via sizes") {
    check_against_reference(*resize({{"mode", std::string("linear")}}, {1, 1, 2, 2}, 162));
    auto down = make_node(OpKind::kResize,
                          {in(random_tensor({1, 2, 8, 12}, 163)), absent(), cst(floats({1, 1, 0.5f, 0.25f}))},
                          {{"mode", std::string("linear")}});
    check_against_reference(*down);
    auto sizes = make_node(OpKind::kResize,
                           {in(random_tensor(shape, 164)), absent(), absent(), cst(ints({1, 3, 7, 9}))},
                           {{"mode", std::string("linear")},
                            {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}});
    check_against_reference(*sizes);
  }
  SECTION("declines what oneDNN computes differently") {
    declined_why(*resize({{"mode", std::string("linear")},
                          {"coordinate_transformation_mode", std::string("align_corners")}},
                         {1, 1, 2, 2}, 165));
    declined_why(*resize({{"mode", std::string("nearest")},
                          {"coordinate_transformation_mode", std::string("asymmetric")},
                          {"nearest_mode", std::string("round_prefer_floor")}},
                         {1, 1, 2, 2}, 166));
    declined_why(*resize({{"mode", std::string("nearest")}}, {1, 1, 1.5f, 1.5f}, 167));
    declined_why(*resize({{"mode", std::string("cubic")}}, {1, 1, 2, 2}, 168));
  }
}

TEST_CASE("onednn backend declines what it does not handle", "[onednn]") {
  SECTION("an op without a oneDNN kernel") {
    auto one = make_node(OpKind::kErf, {in(random_tensor({2, 3}, 170))});
    CHECK(declined_why(*one).find("no oneDNN kernel") != std::string::npos);
  }
  SECTION("non-f32 data") {
    auto one = make_node(OpKind::kAdd, {in(ints({1, 2, 3})), in(ints({4, 5, 6}))});
    declined_why(*one);
  }
}

TEST_CASE("onednn kernels rebind buffers per run and apply the thread count", "[onednn]") {
  auto one = make_node(OpKind::kConv,
                       {in(random_tensor({1, 8, 6, 6}, 190)), cst(random_tensor({8, 8, 3, 3}, 191))},
                       {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  KernelConfig config{{Layout::kChannelsLast, Layout::kPlain}};
  std::string why;
  auto backend = make_onednn_backend(2);
  CHECK(omp_get_max_threads() == 2);
  auto created = backend->create_kernel(*one->node, config, &why);
  REQUIRE(created.is_ok());
  std::unique_ptr<Kernel> kernel = std::move(*created);
  REQUIRE(kernel);
  const Tensor* weights = &*one->node->input(1)->constant;
  // Two different input/output buffer pairs through the same kernel: each result must match.
  for (uint32_t seed : {192u, 193u}) {
    one->inputs[0] = random_tensor({1, 8, 6, 6}, seed);
    const Tensor want = run_reference(*one)[0];
    Tensor x = to_layout(*one->inputs[0], Layout::kChannelsLast);
    Tensor y(DType::kF32, want.shape(), kernel->output_layout(0));
    const Tensor* ins[] = {&x, weights};
    Tensor* outs[] = {&y};
    REQUIRE(kernel->run(ins, outs).is_ok());
    expect_close(to_layout(y, Layout::kPlain), want);
  }
  omp_set_num_threads(1);
  (void)make_onednn_backend(0);  // 0 leaves the current setting alone
  CHECK(omp_get_max_threads() == 1);
}

// On two threads a chain of small convs runs as row bands in one parallel region; only the 3x3,
// whose windows reach into the other band's rows, waits for the other thread.
TEST_CASE("onednn executor: a chain of convs in row bands waits only where a window crosses bands", "[onednn]") {
  Graph g;
  auto value = [&](const std::string& name) { return *g.add_value(name); };
  auto node = [&](OpKind kind, const std::string& name, std::vector<Value*> ins, Value* out, Attrs attrs = {}) {
    Node* n = *g.add_node(kind, name, ins, {out});
    n->attrs = std::move(attrs);
    REQUIRE(infer_node(*n).is_ok());
  };
  Value* x = value("x");
  x->type = TensorType{DType::kF32, {1, 8, 14, 14}, true};
  g.inputs().push_back(x);
  Value* expanded = value("expanded");
  node(OpKind::kConv, "expand", {x, g.add_constant("w1", random_tensor({24, 8, 1, 1}, 60))}, expanded);
  Value* spread = value("spread");
  node(OpKind::kConv, "depthwise", {expanded, g.add_constant("w2", random_tensor({24, 1, 3, 3}, 61))}, spread,
       {{"group", int64_t{24}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  Value* projected = value("projected");
  node(OpKind::kConv, "project", {spread, g.add_constant("w3", random_tensor({8, 24, 1, 1}, 62))}, projected);
  Value* pooled = value("pooled");
  node(OpKind::kGlobalAveragePool, "pool", {projected}, pooled);
  g.outputs().push_back(pooled);
  const Tensor input = random_tensor({1, 8, 14, 14}, 63);
  auto onednn = Executor::create(g, ExecutorOptions{"onednn", 2});
  auto reference = Executor::create(g, ExecutorOptions{"reference", 1});
  REQUIRE(onednn.is_ok());
  REQUIRE(reference.is_ok());
  for (int rep = 0; rep < 3; ++rep) {
    REQUIRE((*onednn)->run(std::span<const Tensor>(&input, 1)).is_ok());
    REQUIRE((*reference)->run(std::span<const Tensor>(&input, 1)).is_ok());
    for (const Value* v : {projected, pooled}) {
      INFO(v->name);
      expect_close(*(*onednn)->fetch(v), *(*reference)->fetch(v));
    }
  }
  std::map<std::string, bool> waits;
  for (const StepProfile& p : (*onednn)->profile()) {
    INFO(p.name << ": " << p.impl);
    if (p.op != op_name(OpKind::kConv)) continue;
    CHECK(p.impl.find("in 2 row bands") != std::string::npos);
    waits[p.name] = p.waits_for_other_bands;
  }
  CHECK(waits == std::map<std::string, bool>{{"expand", false}, {"depthwise", true}, {"project", false}});
}

// A small CNN through the executor: conv -> relu -> maxpool -> conv -> add (residual) -> GAP ->
// flatten -> gemm. The only layout change should happen inside the first conv.
TEST_CASE("onednn executor: a small residual CNN matches the reference backend", "[onednn]") {
  Graph g;
  auto value = [&](const std::string& name, Shape shape) {
    Value* v = *g.add_value(name);
    v->type = TensorType{DType::kF32, std::move(shape), true};
    return v;
  };
  auto node = [&](OpKind kind, const std::string& name, std::vector<Value*> ins, std::vector<Value*> outs,
                  Attrs attrs = {}) {
    Node* n = *g.add_node(kind, name, ins, outs);
    n->attrs = std::move(attrs);
    REQUIRE(infer_node(*n).is_ok());
  };
  Value* x = value("x", {1, 3, 32, 32});
  g.inputs().push_back(x);
  Value* c1 = value("c1", {});
  node(OpKind::kConv, "conv1",
       {x, g.add_constant("w1", random_tensor({16, 3, 3, 3}, 180)), g.add_constant("b1", random_tensor({16}, 181))},
       {c1}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}});
  Value* r1 = value("r1", {});
  node(OpKind::kRelu, "relu1", {c1}, {r1});
  Value* p1 = value("p1", {});
  node(OpKind::kMaxPool, "pool1", {r1}, {p1},
       {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{1, 1}},
        {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  Value* c2 = value("c2", {});
  node(OpKind::kConv, "conv2", {p1, g.add_constant("w2", random_tensor({16, 16, 3, 3}, 182))}, {c2},
       {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  Value* s = value("s", {});
  node(OpKind::kAdd, "add", {c2, p1}, {s});
  Value* gap = value("gap", {});
  node(OpKind::kGlobalAveragePool, "gap", {s}, {gap});
  Value* flat = value("flat", {});
  node(OpKind::kFlatten, "flatten", {gap}, {flat}, {{"axis", int64_t{1}}});
  Value* logits = value("logits", {});
  node(OpKind::kGemm, "fc", {flat, g.add_constant("wf", random_tensor({10, 16}, 183)), g.add_constant("bf", random_tensor({10}, 184))},
       {logits}, {{"transB", int64_t{1}}});
  g.outputs().push_back(logits);

  const Tensor input = random_tensor({1, 3, 32, 32}, 185);
  auto run = [&](const std::string& backend) {
    ExecutorOptions options;
    options.backend = backend;
    options.threads = 1;
    auto ex = Executor::create(g, options);
    INFO(ex.status().message());
    REQUIRE(ex.is_ok());
    REQUIRE((*ex)->run(std::span<const Tensor>(&input, 1), true).is_ok());
    auto out = (*ex)->fetch(logits);
    REQUIRE(out.is_ok());
    return std::make_pair(std::move(*ex), *out);
  };
  auto [onednn, got] = run("onednn");
  auto [reference, want] = run("reference");
  expect_close(got, want);
  int reorders = 0;
  for (const StepProfile& p : onednn->profile()) {
    INFO(p.name << " " << p.impl);
    if (p.name.rfind("reorder:", 0) == 0) ++reorders;
    if (p.op != op_name(OpKind::kFlatten)) CHECK(p.impl.rfind("onednn:", 0) == 0);
  }
  CHECK(reorders == 0);
  CHECK(onednn->fallbacks().size() == 1);  // Flatten
}

}  // namespace qf
