// SPDX-License-Identifier: Apache-2.0
// Shape inference + reference kernels for the spatial ops, against hand-computed values and naive
// loops written here independently of the kernels.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "ir/graph.h"
#include "ir/infer.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

struct Arg {
  std::optional<Tensor> tensor;
  bool constant = false;
};
Arg in(Tensor t) { return {std::move(t), false}; }
Arg cst(Tensor t) { return {std::move(t), true}; }
Arg absent() { return {}; }

Tensor f32(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(shape), v); }
Tensor ints(std::vector<int64_t> v) { return i64({static_cast<int64_t>(v.size())}, v); }
Tensor floats(std::vector<float> v) { return f32({static_cast<int64_t>(v.size())}, v); }

Tensor iota(Shape shape, float start = 0.f) {
  Tensor t(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Tensor t(DType::kF32, std::move(shape));
  for (float& v : t.span<float>()) v = dist(gen);
  return t;
}

using Attrs = std::map<std::string, AttrValue>;

struct OpResult {
  Status status;
  std::vector<Tensor> outputs;
  const Tensor& out() const { return outputs.at(0); }
};

// One-node graph: declares the inputs, infers, allocates the outputs from the inferred types and
// runs the reference kernel.
OpResult run_op(OpKind kind, std::vector<Arg> args, Attrs attrs = {}, size_t num_outputs = 1) {
  Graph g;
  std::vector<Value*> ins;
  std::vector<const Tensor*> in_ptrs;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].tensor) {
      ins.push_back(nullptr);
      in_ptrs.push_back(nullptr);
      continue;
    }
    const Tensor& t = *args[i].tensor;
    Value* v = nullptr;
    if (args[i].constant) {
      v = g.add_constant("in" + std::to_string(i), t);
    } else {
      v = g.add_value("in" + std::to_string(i)).value();
      v->type = TensorType{t.dtype(), t.shape(), true};
    }
    ins.push_back(v);
    in_ptrs.push_back(&*args[i].tensor);
  }
  std::vector<Value*> outs;
  for (size_t i = 0; i < num_outputs; ++i) outs.push_back(g.add_value("out" + std::to_string(i)).value());
  Node* node = g.add_node(kind, "n", ins, outs).value();
  node->attrs = std::move(attrs);
  OpResult r;
  r.status = infer_node(*node);
  if (!r.status.is_ok()) return r;
  std::vector<Tensor*> out_ptrs;
  r.outputs.reserve(num_outputs);
  for (Value* v : outs) {
    REQUIRE(v->type.is_static());
    r.outputs.emplace_back(v->type.dtype, v->type.shape);
  }
  for (Tensor& t : r.outputs) out_ptrs.push_back(&t);
  r.status = reference_kernel(kind)(*node, in_ptrs, out_ptrs);
  return r;
}

// Shape inference only, with input types that may have unknown dims (-1).
Result<TensorType> infer_only(OpKind kind, std::vector<std::variant<TensorType, Tensor>> args,
                              Attrs attrs = {}) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto* t = std::get_if<Tensor>(&args[i])) {
      ins.push_back(g.add_constant("in" + std::to_string(i), *t));
    } else {
      Value* v = g.add_value("in" + std::to_string(i)).value();
      v->type = std::get<TensorType>(args[i]);
      ins.push_back(v);
    }
  }
  Value* out = g.add_value("out").value();
  Node* node = g.add_node(kind, "n", ins, {out}).value();
  node->attrs = std::move(attrs);
  QF_RETURN_IF_ERROR(infer_node(*node));
  return out->type;
}

TensorType type_of(Shape shape) { return TensorType{DType::kF32, std::move(shape), true}; }

void check_values(const Tensor& t, const std::vector<float>& expected, double eps = 1e-5) {
  REQUIRE(t.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(t.data<float>()[i] == Approx(expected[i]).margin(eps).epsilon(eps));
  }
}

void check_close(const Tensor& a, const Tensor& b, double eps = 1e-5) {
  REQUIRE(a.shape() == b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) {
    INFO("element " << i);
    CHECK(a.data<float>()[i] == Approx(b.data<float>()[i]).margin(eps).epsilon(eps));
  }
}

// ---------------------------------------------------------------------------------------------
// Independent oracles: straightforward definitions, one output element at a time.

struct Conv2dSpec {
  int64_t group = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
};

Tensor conv2d_oracle(const Tensor& x, const Tensor& w, const Tensor* b, const Conv2dSpec& s) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  const int64_t oh = (h + s.pt + s.pb - ((kh - 1) * s.dh + 1)) / s.sh + 1;
  const int64_t ow = (wd + s.pl + s.pr - ((kw - 1) * s.dw + 1)) / s.sw + 1;
  Tensor y(DType::kF32, {n, m, oh, ow});
  auto X = [&](int64_t a, int64_t ch, int64_t i, int64_t j) -> double {
    if (i < 0 || i >= h || j < 0 || j >= wd) return 0.0;
    return x.data<float>()[((a * c + ch) * h + i) * wd + j];
  };
  const int64_t mg = m / s.group;
  for (int64_t a = 0; a < n; ++a)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double sum = b ? b->data<float>()[o] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t p = 0; p < kh; ++p)
              for (int64_t q = 0; q < kw; ++q)
                sum += w.data<float>()[((o * cg + ci) * kh + p) * kw + q] *
                       X(a, (o / mg) * cg + ci, i * s.sh + p * s.dh - s.pt, j * s.sw + q * s.dw - s.pl);
          y.data<float>()[((a * m + o) * oh + i) * ow + j] = static_cast<float>(sum);
        }
  return y;
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a.data<float>()[i]) * b.data<float>()[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Conv

TEST_CASE("Conv 3x3 on 4x4, no padding, ones kernel", "[ref-spatial]") {
  auto r =
      run_op(OpKind::kConv, {in(iota({1, 1, 4, 4})), cst(f32({1, 1, 3, 3}, std::vector<float>(9, 1.f)))});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 2, 2});
  // Window sums of 0..15 laid out 4x4: rows 0-2 cols 0-2 = 0+1+2+4+5+6+8+9+10 = 45, etc.
  check_values(r.out(), {45, 54, 81, 90});
}

TEST_CASE("Conv with pads, stride and bias", "[ref-spatial]") {
  auto w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto r = run_op(OpKind::kConv, {in(iota({1, 1, 4, 4})), cst(w), cst(floats({0.5f}))},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 2, 2});
  // (0,0): rows -1..1 cols -1..1 -> 0+1+4+5; (0,1): rows -1..1 cols 1..3 -> 1+2+3+5+6+7;
  // (1,0): rows 1..3 cols -1..1 -> 4+5+8+9+12+13; (1,1): rows 1..3 cols 1..3 -> 90.
  check_values(r.out(), {10.5f, 24.5f, 51.5f, 90.5f});
}

TEST_CASE("Conv auto_pad SAME_UPPER and SAME_LOWER place the odd pad differently", "[ref-spatial]") {
  auto x = iota({1, 1, 3, 3}, 1.f);
  auto w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  auto upper = run_op(OpKind::kConv, {in(x), cst(w)}, {{"auto_pad", std::string("SAME_UPPER")}});
  auto lower = run_op(OpKind::kConv, {in(x), cst(w)}, {{"auto_pad", std::string("SAME_LOWER")}});
  REQUIRE(upper.status.is_ok());
  REQUIRE(lower.status.is_ok());
  CHECK(upper.out().shape() == Shape{1, 1, 3, 3});
  // Upper pads the end: out(0,0) = 1+2+4+5, out(2,2) = 9 alone.
  check_values(upper.out(), {12, 16, 9, 24, 28, 15, 15, 17, 9});
  // Lower pads the start: out(0,0) = 1 alone, out(2,2) = 5+6+8+9.
  check_values(lower.out(), {1, 3, 5, 5, 12, 16, 11, 24, 28});
}

TEST_CASE("Conv auto_pad VALID ignores pads and shrinks", "[ref-spatial]") {
  auto r = run_op(OpKind::kConv, {in(iota({1, 1, 4, 4})), cst(f32({1, 1, 3, 3}, std::vector<float>(9, 1.f)))},
                  {{"auto_pad", std::string("VALID")}});
  REQUIRE(r.status.is_ok());
  check_values(r.out(), {45, 54, 81, 90});
}

TEST_CASE("Conv 1-D with dilation", "[ref-spatial]") {
  auto r = run_op(OpKind::kConv, {in(f32({1, 1, 5}, {1, 2, 3, 4, 5})), cst(f32({1, 1, 2}, {1, 10}))},
                  {{"dilations", std::vector<int64_t>{2}}});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 3});
  check_values(r.out(), {1 + 30, 2 + 40, 3 + 50});
}

TEST_CASE("Conv 3-D sums a 2x2x2 cube", "[ref-spatial]") {
  auto r = run_op(OpKind::kConv,
                  {in(iota({1, 1, 2, 2, 3}, 1.f)), cst(f32({1, 1, 2, 2, 2}, std::vector<float>(8, 1.f)))});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 1, 1, 2});
  // Input 1..12 as [2][2][3]; windows cover cols {0,1} and {1,2} of all four rows.
  check_values(r.out(), {1 + 2 + 4 + 5 + 7 + 8 + 10 + 11, 2 + 3 + 5 + 6 + 8 + 9 + 11 + 12});
}

TEST_CASE("Conv groups keep channels apart", "[ref-spatial]") {
  auto x = f32({1, 2, 1, 2}, {1, 2, 3, 4});
  auto w = f32({2, 1, 1, 1}, {2, 3});
  auto r = run_op(OpKind::kConv, {in(x), cst(w)}, {{"group", int64_t{2}}});
  REQUIRE(r.status.is_ok());
  check_values(r.out(), {2, 4, 9, 12});
}

TEST_CASE("Conv grouped/depthwise/strided/dilated matches a naive oracle", "[ref-spatial]") {
  struct Case {
    int64_t c, m, group, kh, kw;
    Conv2dSpec spec;
  };
  const std::vector<Case> cases = {
      {4, 6, 2, 3, 2, {2, 2, 1, 1, 2, 1, 0, 2, 1}},
      {3, 3, 3, 3, 3, {3, 1, 1, 1, 1, 1, 1, 1, 1}},  // depthwise
      {2, 4, 1, 2, 3, {1, 1, 2, 2, 1, 0, 2, 0, 1}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    auto x = random_tensor({2, c.c, 5, 6}, seed++);
    auto w = random_tensor({c.m, c.c / c.group, c.kh, c.kw}, seed++);
    auto b = random_tensor({c.m}, seed++);
    const auto& s = c.spec;
    auto r = run_op(OpKind::kConv, {in(x), cst(w), cst(b)},
                    {{"group", c.group},
                     {"strides", std::vector<int64_t>{s.sh, s.sw}},
                     {"dilations", std::vector<int64_t>{s.dh, s.dw}},
                     {"pads", std::vector<int64_t>{s.pt, s.pl, s.pb, s.pr}},
                     {"kernel_shape", std::vector<int64_t>{c.kh, c.kw}}});
    REQUIRE(r.status.is_ok());
    check_close(r.out(), conv2d_oracle(x, w, &b, s));
  }
}

TEST_CASE("Conv shape inference keeps unknown batch and rejects channel mismatch", "[ref-spatial]") {
  auto t = infer_only(OpKind::kConv, {type_of({-1, 3, 8, -1}), type_of({4, 3, 3, 3})},
                      {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  REQUIRE(t.is_ok());
  CHECK(t->shape == Shape{-1, 4, 8, -1});
  auto bad = infer_only(OpKind::kConv, {type_of({1, 3, 8, 8}), type_of({4, 2, 3, 3})});
  CHECK(bad.status().code() == StatusCode::kBadInput);
  auto bad_kernel = infer_only(OpKind::kConv, {type_of({1, 3, 8, 8}), type_of({4, 3, 3, 3})},
                               {{"kernel_shape", std::vector<int64_t>{5, 5}}});
  CHECK(bad_kernel.status().code() == StatusCode::kBadInput);
}

TEST_CASE("Conv on int64 input is unsupported", "[ref-spatial]") {
  auto r = run_op(OpKind::kConv, {in(i64({1, 1, 2, 2}, {1, 2, 3, 4})), cst(i64({1, 1, 1, 1}, {1}))});
  CHECK(r.status.code() == StatusCode::kUnsupported);
  CHECK(r.status.message().find("node 'n'") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose (1-D cases: x = [1, 2, 3], w = [1, 1, 1] scatters x[i] onto out[i*s .. i*s+2])

TEST_CASE("ConvTranspose 1-D: strides, pads, output_padding, output_shape, auto_pad", "[ref-spatial]") {
  auto x = f32({1, 1, 3}, {1, 2, 3});
  auto w = f32({1, 1, 3}, {1, 1, 1});
  auto run = [&](Attrs a) { return run_op(OpKind::kConvTranspose, {in(x), cst(w)}, std::move(a)); };

  auto plain = run({});
  REQUIRE(plain.status.is_ok());
  check_values(plain.out(), {1, 3, 6, 5, 3});

  // Full stride-2 result: [1, 1, 1+2, 2, 2+3, 3, 3].
  auto strided = run({{"strides", std::vector<int64_t>{2}}});
  REQUIRE(strided.status.is_ok());
  check_values(strided.out(), {1, 1, 3, 2, 5, 3, 3});

  auto padded = run({{"strides", std::vector<int64_t>{2}}, {"pads", std::vector<int64_t>{1, 1}}});
  REQUIRE(padded.status.is_ok());
  check_values(padded.out(), {1, 3, 2, 5, 3});

  auto out_pad = run({{"strides", std::vector<int64_t>{2}}, {"output_padding", std::vector<int64_t>{1}}});
  REQUIRE(out_pad.status.is_ok());
  check_values(out_pad.out(), {1, 1, 3, 2, 5, 3, 3, 0});

  // output_shape larger than the full result: the negative total pad extends the end with zeros.
  auto out_shape = run({{"strides", std::vector<int64_t>{2}}, {"output_shape", std::vector<int64_t>{8}}});
  REQUIRE(out_shape.status.is_ok());
  check_values(out_shape.out(), {1, 1, 3, 2, 5, 3, 3, 0});

  // output_shape smaller: total pad 2, split evenly.
  auto small = run({{"strides", std::vector<int64_t>{2}}, {"output_shape", std::vector<int64_t>{5}}});
  REQUIRE(small.status.is_ok());
  check_values(small.out(), {1, 3, 2, 5, 3});

  // SAME: output = input * stride = 6, total pad 1; UPPER drops the last element, LOWER the first.
  auto upper = run({{"strides", std::vector<int64_t>{2}}, {"auto_pad", std::string("SAME_UPPER")}});
  REQUIRE(upper.status.is_ok());
  check_values(upper.out(), {1, 1, 3, 2, 5, 3});
  auto lower = run({{"strides", std::vector<int64_t>{2}}, {"auto_pad", std::string("SAME_LOWER")}});
  REQUIRE(lower.status.is_ok());
  check_values(lower.out(), {1, 3, 2, 5, 3, 3});

  // Dilation 2 spreads the taps: x[i] lands on i, i+2, i+4.
  auto dilated = run({{"dilations", std::vector<int64_t>{2}}});
  REQUIRE(dilated.status.is_ok());
  check_values(dilated.out(), {1, 2, 1 + 3, 2, 1 + 3, 2, 3});
}

TEST_CASE("ConvTranspose is the adjoint of Conv (groups, strides, dilations, 2-D)", "[ref-spatial]") {
  // <Conv(x), y> == <x, ConvTranspose(y)> for the same weights, pads, strides and dilations; the
  // output_padding makes ConvTranspose give back x's size.
  const int64_t c = 4, m = 6, group = 2, h = 7, wd = 6;
  auto x = random_tensor({2, c, h, wd}, 11);
  auto w = random_tensor({m, c / group, 3, 2}, 12);
  Attrs conv_attrs = {{"group", group},
                      {"strides", std::vector<int64_t>{2, 3}},
                      {"dilations", std::vector<int64_t>{1, 2}},
                      {"pads", std::vector<int64_t>{1, 0, 2, 1}}};
  auto conv = run_op(OpKind::kConv, {in(x), cst(w)}, conv_attrs);
  REQUIRE(conv.status.is_ok());
  const Shape& ys = conv.out().shape();
  // Full transposed size s*(o-1) + (k-1)*d + 1 - pads, padded up to h/wd by output_padding.
  const int64_t full_h = 2 * (ys[2] - 1) + 3 - 1 - 2, full_w = 3 * (ys[3] - 1) + 3 - 0 - 1;
  Attrs t_attrs = conv_attrs;
  t_attrs["output_padding"] = std::vector<int64_t>{h - full_h, wd - full_w};
  auto y = random_tensor(ys, 13);
  auto convt = run_op(OpKind::kConvTranspose, {in(y), cst(w)}, t_attrs);
  REQUIRE(convt.status.is_ok());
  REQUIRE(convt.out().shape() == x.shape());
  CHECK(dot(conv.out(), y) == Approx(dot(x, convt.out())).epsilon(1e-6));
}

TEST_CASE("ConvTranspose bias and output channels = W.dim(1) * group", "[ref-spatial]") {
  auto x = f32({1, 2, 1}, {1, 2});
  auto w = f32({2, 2, 1}, {1, 10, 100, 1000});  // group 2: input ch 0 -> out 0,1; ch 1 -> out 2,3
  auto r =
      run_op(OpKind::kConvTranspose, {in(x), cst(w), cst(floats({1, 2, 3, 4}))}, {{"group", int64_t{2}}});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 4, 1});
  check_values(r.out(), {1 + 1, 10 + 2, 200 + 3, 2000 + 4});
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization

TEST_CASE("BatchNormalization per channel", "[ref-spatial]") {
  auto x = f32({1, 2, 2, 1}, {1, 2, 3, 4});
  auto r =
      run_op(OpKind::kBatchNormalization,
             {in(x), cst(floats({1, 2})), cst(floats({0, 1})), cst(floats({1, 2})), cst(floats({4, 0.25f}))},
             {{"epsilon", 0.f}});
  REQUIRE(r.status.is_ok());
  // c0: (x - 1) / 2; c1: (x - 2) / 0.5 * 2 + 1.
  check_values(r.out(), {0, 0.5f, 5, 9});
}

TEST_CASE("BatchNormalization default epsilon and training mode", "[ref-spatial]") {
  auto x = f32({2, 1}, {1, 3});
  auto r = run_op(OpKind::kBatchNormalization,
                  {in(x), cst(floats({1})), cst(floats({0})), cst(floats({0})), cst(floats({1}))});
  REQUIRE(r.status.is_ok());
  check_values(r.out(),
               {static_cast<float>(1 / std::sqrt(1 + 1e-5)), static_cast<float>(3 / std::sqrt(1 + 1e-5))},
               1e-7);
  auto t = run_op(OpKind::kBatchNormalization,
                  {in(x), cst(floats({1})), cst(floats({0})), cst(floats({0})), cst(floats({1}))},
                  {{"training_mode", int64_t{1}}});
  CHECK(t.status.code() == StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------------------------
// Pools

TEST_CASE("MaxPool 2x2 stride 2", "[ref-spatial]") {
  auto r = run_op(OpKind::kMaxPool, {in(iota({1, 1, 4, 4}))},
                  {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  REQUIRE(r.status.is_ok());
  check_values(r.out(), {5, 7, 13, 15});
}

TEST_CASE("MaxPool ceil_mode adds the partial window", "[ref-spatial]") {
  Attrs a = {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}}};
  auto floor_r = run_op(OpKind::kMaxPool, {in(iota({1, 1, 4, 4}, 1.f))}, a);
  REQUIRE(floor_r.status.is_ok());
  CHECK(floor_r.out().shape() == Shape{1, 1, 1, 1});
  check_values(floor_r.out(), {11});
  a["ceil_mode"] = int64_t{1};
  auto ceil_r = run_op(OpKind::kMaxPool, {in(iota({1, 1, 4, 4}, 1.f))}, a);
  REQUIRE(ceil_r.status.is_ok());
  CHECK(ceil_r.out().shape() == Shape{1, 1, 2, 2});
  check_values(ceil_r.out(), {11, 12, 15, 16});
}

TEST_CASE("MaxPool ceil_mode drops a window that would start in the end padding", "[ref-spatial]") {
  // in 5, k 2, s 2, pads 0/1: ceil((5 + 1 - 2) / 2) + 1 = 3 windows start at 0, 2, 4 (all inside);
  // in 4, k 2, s 2, pads 0/1: ceil(3 / 2) + 1 = 3, but the third would start at 4 = in, so 2.
  auto five = infer_only(OpKind::kMaxPool, {type_of({1, 1, 5})},
                         {{"kernel_shape", std::vector<int64_t>{2}},
                          {"strides", std::vector<int64_t>{2}},
                          {"pads", std::vector<int64_t>{0, 1}},
                          {"ceil_mode", int64_t{1}}});
  REQUIRE(five.is_ok());
  CHECK(five->shape == Shape{1, 1, 3});
  auto four = infer_only(OpKind::kMaxPool, {type_of({1, 1, 4})},
                         {{"kernel_shape", std::vector<int64_t>{2}},
                          {"strides", std::vector<int64_t>{2}},
                          {"pads", std::vector<int64_t>{0, 1}},
                          {"ceil_mode", int64_t{1}}});
  REQUIRE(four.is_ok());
  CHECK(four->shape == Shape{1, 1, 2});
}

TEST_CASE("MaxPool pads ignore the padding value", "[ref-spatial]") {
  auto x = f32({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  auto r = run_op(OpKind::kMaxPool, {in(x)},
                  {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  REQUIRE(r.status.is_ok());
  // All values are negative, so a zero from the padding would win if it were counted.
  check_values(r.out(), {-1, -1, -2, -1, -1, -2, -4, -4, -5});
}

TEST_CASE("MaxPool dilations and uint8", "[ref-spatial]") {
  auto r = run_op(OpKind::kMaxPool, {in(f32({1, 1, 4, 4}, {0, 9, 2, 0, 0, 0, 0, 0, 8, 0, 1, 7, 0, 0, 0, 0}))},
                  {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"dilations", std::vector<int64_t>{2, 2}}});
  REQUIRE(r.status.is_ok());
  // Window (0,0) reads (0,0),(0,2),(2,0),(2,2); (0,1) reads (0,1),(0,3),(2,1),(2,3); ...
  check_values(r.out(), {8, 9, 0, 0});

  auto u8 = Tensor::from_vector<uint8_t>({1, 1, 1, 4}, {200, 3, 255, 7});
  auto q = run_op(OpKind::kMaxPool, {in(u8)}, {{"kernel_shape", std::vector<int64_t>{1, 2}}});
  REQUIRE(q.status.is_ok());
  REQUIRE(q.out().dtype() == DType::kU8);
  CHECK(q.out().data<uint8_t>()[0] == 200);
  CHECK(q.out().data<uint8_t>()[1] == 255);
  CHECK(q.out().data<uint8_t>()[2] == 255);
}

TEST_CASE("MaxPool Indices output is unsupported", "[ref-spatial]") {
  auto r =
      run_op(OpKind::kMaxPool, {in(iota({1, 1, 2, 2}))}, {{"kernel_shape", std::vector<int64_t>{2, 2}}}, 2);
  CHECK(r.status.code() == StatusCode::kUnsupported);
}

TEST_CASE("AveragePool count_include_pad", "[ref-spatial]") {
  Attrs a = {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  auto excl = run_op(OpKind::kAveragePool, {in(iota({1, 1, 3, 3}, 1.f))}, a);
  REQUIRE(excl.status.is_ok());
  // Corner (0,0): (1+2+4+5)/4; edge (0,1): (1+2+3+4+5+6)/6; centre: 45/9.
  check_values(excl.out(), {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7});
  a["count_include_pad"] = int64_t{1};
  auto incl = run_op(OpKind::kAveragePool, {in(iota({1, 1, 3, 3}, 1.f))}, a);
  REQUIRE(incl.status.is_ok());
  check_values(incl.out(),
               {12.f / 9, 21.f / 9, 16.f / 9, 27.f / 9, 5, 33.f / 9, 24.f / 9, 39.f / 9, 28.f / 9});
}

TEST_CASE("AveragePool ceil_mode divides partial windows by their real size", "[ref-spatial]") {
  Attrs a = {{"kernel_shape", std::vector<int64_t>{3, 3}},
             {"strides", std::vector<int64_t>{2, 2}},
             {"ceil_mode", int64_t{1}}};
  auto r = run_op(OpKind::kAveragePool, {in(iota({1, 1, 4, 4}, 1.f))}, a);
  REQUIRE(r.status.is_ok());
  // (0,1): rows 0-2, cols 2-3 -> (3+4+7+8+11+12)/6.
  check_values(r.out(), {54.f / 9, 45.f / 6, 72.f / 6, 54.f / 4});

  // count_include_pad counts padding but not the part of a ceil window past the end padding
  // (PyTorch semantics): 1-D [1..6], k 3, s 2 -> windows [1,2,3], [3,4,5], [5,6 | beyond].
  auto p = run_op(OpKind::kAveragePool, {in(iota({1, 1, 6}, 1.f))},
                  {{"kernel_shape", std::vector<int64_t>{3}},
                   {"strides", std::vector<int64_t>{2}},
                   {"ceil_mode", int64_t{1}},
                   {"count_include_pad", int64_t{1}}});
  REQUIRE(p.status.is_ok());
  check_values(p.out(), {2, 4, 5.5f});
}

TEST_CASE("AveragePool SAME_UPPER, 1-D and 3-D", "[ref-spatial]") {
  auto same = run_op(OpKind::kAveragePool, {in(f32({1, 1, 4}, {1, 2, 3, 4}))},
                     {{"kernel_shape", std::vector<int64_t>{2}}, {"auto_pad", std::string("SAME_UPPER")}});
  REQUIRE(same.status.is_ok());
  check_values(same.out(), {1.5f, 2.5f, 3.5f, 4});
  auto cube = run_op(OpKind::kAveragePool, {in(iota({1, 1, 2, 2, 2}))},
                     {{"kernel_shape", std::vector<int64_t>{2, 2, 2}}});
  REQUIRE(cube.status.is_ok());
  check_values(cube.out(), {3.5f});
}

TEST_CASE("Global pools", "[ref-spatial]") {
  auto x = f32({1, 2, 2, 2}, {1, 2, 3, 4, -5, -6, -7, -8});
  auto avg = run_op(OpKind::kGlobalAveragePool, {in(x)});
  REQUIRE(avg.status.is_ok());
  CHECK(avg.out().shape() == Shape{1, 2, 1, 1});
  check_values(avg.out(), {2.5f, -6.5f});
  auto mx = run_op(OpKind::kGlobalMaxPool, {in(x)});
  REQUIRE(mx.status.is_ok());
  check_values(mx.out(), {4, -5});
}

// ---------------------------------------------------------------------------------------------
// Gemm / MatMul

TEST_CASE("Gemm transposes, alpha, beta and C broadcast", "[ref-spatial]") {
  auto a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto b = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  // A*B = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]].
  auto plain = run_op(OpKind::kGemm, {in(a), cst(b)});
  REQUIRE(plain.status.is_ok());
  check_values(plain.out(), {4, 5, 10, 11});

  auto at = f32({3, 2}, {1, 4, 2, 5, 3, 6});  // A transposed
  auto bt = f32({2, 3}, {1, 0, 1, 0, 1, 1});  // B transposed
  auto both = run_op(OpKind::kGemm, {in(at), cst(bt), cst(floats({100, 200}))},
                     {{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 2.f}, {"beta", 0.5f}});
  REQUIRE(both.status.is_ok());
  check_values(both.out(), {8 + 50, 10 + 100, 20 + 50, 22 + 100});

  auto scalar_c = run_op(OpKind::kGemm, {in(a), cst(b), cst(f32({}, {1}))});
  REQUIRE(scalar_c.status.is_ok());
  check_values(scalar_c.out(), {5, 6, 11, 12});
  auto column_c = run_op(OpKind::kGemm, {in(a), cst(b), cst(f32({2, 1}, {1, 2}))});
  REQUIRE(column_c.status.is_ok());
  check_values(column_c.out(), {5, 6, 12, 13});
  auto matrix_c = run_op(OpKind::kGemm, {in(a), cst(b), cst(f32({2, 2}, {1, 2, 3, 4}))}, {{"beta", -1.f}});
  REQUIRE(matrix_c.status.is_ok());
  check_values(matrix_c.out(), {3, 3, 7, 7});
  auto bad_c = run_op(OpKind::kGemm, {in(a), cst(b), cst(floats({1, 2, 3}))});
  CHECK(bad_c.status.code() == StatusCode::kBadInput);
}

TEST_CASE("MatMul 1-D operands", "[ref-spatial]") {
  auto v = floats({1, 2, 3});
  auto m = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  auto vv = run_op(OpKind::kMatMul, {in(v), in(v)});
  REQUIRE(vv.status.is_ok());
  CHECK(vv.out().shape() == Shape{});
  check_values(vv.out(), {14});
  auto vm = run_op(OpKind::kMatMul, {in(v), in(m)});
  REQUIRE(vm.status.is_ok());
  CHECK(vm.out().shape() == Shape{2});
  check_values(vm.out(), {1 + 6 + 15, 2 + 8 + 18});
  auto mt = f32({2, 3}, {1, 3, 5, 2, 4, 6});
  auto mv = run_op(OpKind::kMatMul, {in(mt), in(v)});
  REQUIRE(mv.status.is_ok());
  CHECK(mv.out().shape() == Shape{2});
  check_values(mv.out(), {22, 28});
  auto bad = run_op(OpKind::kMatMul, {in(v), in(mt)});
  CHECK(bad.status.code() == StatusCode::kBadInput);
}

TEST_CASE("MatMul batch broadcast matches a naive loop", "[ref-spatial]") {
  auto a = random_tensor({2, 1, 4, 3}, 21);
  auto b = random_tensor({3, 3, 5}, 22);
  auto r = run_op(OpKind::kMatMul, {in(a), in(b)});
  REQUIRE(r.status.is_ok());
  REQUIRE(r.out().shape() == Shape{2, 3, 4, 5});
  Tensor expect(DType::kF32, {2, 3, 4, 5});
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 3; ++q)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 5; ++j) {
          double s = 0;
          for (int64_t k = 0; k < 3; ++k)
            s += a.data<float>()[(p * 4 + i) * 3 + k] * b.data<float>()[(q * 3 + k) * 5 + j];
          expect.data<float>()[((p * 3 + q) * 4 + i) * 5 + j] = static_cast<float>(s);
        }
  check_close(r.out(), expect);

  auto t = infer_only(OpKind::kMatMul, {type_of({-1, 1, 4, 3}), type_of({7, 3, 5})});
  REQUIRE(t.is_ok());
  CHECK(t->shape == Shape{-1, 7, 4, 5});
}

// ---------------------------------------------------------------------------------------------
// Resize

Attrs resize_attrs(const std::string& mode, const std::string& coord, const std::string& nearest = "") {
  Attrs a = {{"mode", mode}, {"coordinate_transformation_mode", coord}};
  if (!nearest.empty()) a["nearest_mode"] = nearest;
  return a;
}

TEST_CASE("Resize nearest upsample (Upsample form: asymmetric, floor)", "[ref-spatial]") {
  auto r = run_op(OpKind::kResize, {in(f32({1, 1, 2, 2}, {1, 2, 3, 4})), absent(), cst(floats({1, 1, 2, 3}))},
                  resize_attrs("nearest", "asymmetric", "floor"));
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 4, 6});
  check_values(r.out(), {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST_CASE("Resize nearest modes", "[ref-spatial]") {
  // sizes 3 -> 4 with asymmetric: x = o * 0.75 = 0, 0.75, 1.5, 2.25.
  auto x = f32({3}, {10, 20, 30});
  auto run = [&](const std::string& nm) {
    return run_op(OpKind::kResize, {in(x), absent(), absent(), cst(ints({4}))},
                  resize_attrs("nearest", "asymmetric", nm));
  };
  auto pf = run("round_prefer_floor");
  REQUIRE(pf.status.is_ok());
  check_values(pf.out(), {10, 20, 20, 30});
  auto pc = run("round_prefer_ceil");
  REQUIRE(pc.status.is_ok());
  check_values(pc.out(), {10, 20, 30, 30});
  auto fl = run("floor");
  REQUIRE(fl.status.is_ok());
  check_values(fl.out(), {10, 10, 20, 30});
  auto ce = run("ceil");
  REQUIRE(ce.status.is_ok());
  check_values(ce.out(), {10, 20, 30, 30});  // ceil(2.25) = 3 is clamped to the last element
}

TEST_CASE("Resize nearest downsample half_pixel and tf_half_pixel_for_nn", "[ref-spatial]") {
  // W: 4 -> floor(2.4) = 2, x = (o + 0.5) / 0.6 - 0.5 = 0.33, 2.0; H: 2 -> 1, x = 0.33.
  auto x = iota({1, 1, 2, 4}, 1.f);
  auto r = run_op(OpKind::kResize, {in(x), absent(), cst(floats({1, 1, 0.6f, 0.6f}))},
                  resize_attrs("nearest", "half_pixel"));
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 1, 1, 2});
  check_values(r.out(), {1, 3});
  // sizes 4 -> 2 with tf_half_pixel_for_nn: x = (o + 0.5) * 2 = 1, 3.
  auto tf = run_op(OpKind::kResize, {in(floats({5, 6, 7, 8})), absent(), absent(), cst(ints({2}))},
                   resize_attrs("nearest", "tf_half_pixel_for_nn"));
  REQUIRE(tf.status.is_ok());
  check_values(tf.out(), {6, 8});
}

TEST_CASE("Resize linear 2-D half_pixel", "[ref-spatial]") {
  // x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 on both axes -> fractions t = 0, .25, .75, 1
  // (clamped at the edges). Rows differ by 2 and columns by 1, so out = 1 + 2 t[r] + t[c].
  auto r = run_op(OpKind::kResize, {in(f32({1, 1, 2, 2}, {1, 2, 3, 4})), absent(), cst(floats({1, 1, 2, 2}))},
                  resize_attrs("linear", "half_pixel"));
  REQUIRE(r.status.is_ok());
  REQUIRE(r.out().shape() == Shape{1, 1, 4, 4});
  const float t[4] = {0, 0.25f, 0.75f, 1};
  std::vector<float> expect;
  for (float tr : t)
    for (float tc : t) expect.push_back(1 + 2 * tr + tc);
  check_values(r.out(), expect);
}

TEST_CASE("Resize linear align_corners, asymmetric and pytorch_half_pixel", "[ref-spatial]") {
  auto ac = run_op(OpKind::kResize, {in(floats({0, 3})), absent(), absent(), cst(ints({4}))},
                   resize_attrs("linear", "align_corners"));
  REQUIRE(ac.status.is_ok());
  check_values(ac.out(), {0, 1, 2, 3});
  // align_corners with a scale that does not divide: the "resized length" is scale * in = 2.4,
  // so x = o * 3 / 1.4 (as the ONNX reference computes it).
  auto ac2 = run_op(OpKind::kResize, {in(floats({1, 2, 3, 4})), absent(), cst(floats({0.6f}))},
                    resize_attrs("linear", "align_corners"));
  REQUIRE(ac2.status.is_ok());
  check_values(ac2.out(), {1, static_cast<float>(1 + 3 / (4 * static_cast<double>(0.6f) - 1))});
  auto as = run_op(OpKind::kResize, {in(floats({0, 4})), absent(), cst(floats({2}))},
                   resize_attrs("linear", "asymmetric"));
  REQUIRE(as.status.is_ok());
  check_values(as.out(), {0, 2, 4, 4});
  // pytorch_half_pixel with one output element samples -0.5, i.e. the first element.
  auto pt = run_op(OpKind::kResize, {in(floats({7, 9, 11})), absent(), absent(), cst(ints({1}))},
                   resize_attrs("linear", "pytorch_half_pixel"));
  REQUIRE(pt.status.is_ok());
  check_values(pt.out(), {7});
  auto hp = run_op(OpKind::kResize, {in(floats({7, 9, 11})), absent(), absent(), cst(ints({1}))},
                   resize_attrs("linear", "half_pixel"));
  REQUIRE(hp.status.is_ok());
  check_values(hp.out(), {9});  // half_pixel: x = 0.5 * 3 - 0.5 = 1
}

TEST_CASE("Resize cubic with and without exclude_outside", "[ref-spatial]") {
  // asymmetric x2: o = 3 -> x = 1.5, taps 0..3 with A = -0.75 weights (-3/32, 19/32, 19/32, -3/32);
  // o = 1 -> x = 0.5, taps -1..2, tap -1 clamped onto element 0 (or dropped with exclude_outside).
  auto x = floats({1, 2, 4, 8});
  const double c0 = -3.0 / 32, c1 = 19.0 / 32;
  auto r = run_op(OpKind::kResize, {in(x), absent(), cst(floats({2}))}, resize_attrs("cubic", "asymmetric"));
  REQUIRE(r.status.is_ok());
  CHECK(r.out().data<float>()[3] == Approx(c0 * 1 + c1 * 2 + c1 * 4 + c0 * 8));
  CHECK(r.out().data<float>()[1] == Approx((c0 + c1) * 1 + c1 * 2 + c0 * 4));
  CHECK(r.out().data<float>()[2] == Approx(2));

  Attrs ex = resize_attrs("cubic", "asymmetric");
  ex["exclude_outside"] = int64_t{1};
  auto e = run_op(OpKind::kResize, {in(x), absent(), cst(floats({2}))}, ex);
  REQUIRE(e.status.is_ok());
  CHECK(e.out().data<float>()[1] == Approx((c1 * 1 + c1 * 2 + c0 * 4) / (c1 + c1 + c0)));

  Attrs a5 = resize_attrs("cubic", "asymmetric");
  a5["cubic_coeff_a"] = -0.5f;
  auto k = run_op(OpKind::kResize, {in(x), absent(), cst(floats({2}))}, a5);
  REQUIRE(k.status.is_ok());
  // A = -0.5 at r = 0.5: (-1/16, 9/16, 9/16, -1/16).
  CHECK(k.out().data<float>()[3] == Approx((-1 * 1 + 9 * 2 + 9 * 4 - 1 * 8) / 16.0));
}

TEST_CASE("Resize tf_crop_and_resize uses roi and extrapolation_value", "[ref-spatial]") {
  auto x = floats({0, 10, 20, 30, 40});
  Attrs a = resize_attrs("linear", "tf_crop_and_resize");
  a["extrapolation_value"] = -1.f;
  // x = roi0 * 4 + o * (roi1 - roi0) * 4 / (3 - 1).
  auto inside = run_op(OpKind::kResize, {in(x), cst(floats({0.25f, 0.75f})), absent(), cst(ints({3}))}, a);
  REQUIRE(inside.status.is_ok());
  check_values(inside.out(), {10, 20, 30});
  auto beyond = run_op(OpKind::kResize, {in(x), cst(floats({0.5f, 1.5f})), absent(), cst(ints({3}))}, a);
  REQUIRE(beyond.status.is_ok());
  check_values(beyond.out(), {20, 40, -1});
}

TEST_CASE("Resize axes and keep_aspect_ratio_policy", "[ref-spatial]") {
  Attrs a = {{"axes", std::vector<int64_t>{2, 3}}, {"keep_aspect_ratio_policy", std::string("not_larger")}};
  auto t = iota({1, 1, 2, 4});
  auto not_larger = run_op(OpKind::kResize, {in(t), absent(), absent(), cst(ints({4, 4}))}, a);
  REQUIRE(not_larger.status.is_ok());
  CHECK(not_larger.out().shape() == Shape{1, 1, 2, 4});  // common scale min(2, 1) = 1
  a["keep_aspect_ratio_policy"] = std::string("not_smaller");
  auto not_smaller = run_op(OpKind::kResize, {in(t), absent(), absent(), cst(ints({4, 4}))}, a);
  REQUIRE(not_smaller.status.is_ok());
  CHECK(not_smaller.out().shape() == Shape{1, 1, 4, 8});  // common scale max(2, 1) = 2
  auto by_axes = run_op(OpKind::kResize, {in(t), absent(), cst(floats({2}))},
                        {{"axes", std::vector<int64_t>{-1}}, {"mode", std::string("nearest")}});
  REQUIRE(by_axes.status.is_ok());
  CHECK(by_axes.out().shape() == Shape{1, 1, 2, 8});
}

TEST_CASE("Resize rejects scales and sizes together, and non-constant scales", "[ref-spatial]") {
  auto x = iota({1, 1, 2, 2});
  auto both = run_op(OpKind::kResize, {in(x), absent(), cst(floats({1, 1, 2, 2})), cst(ints({1, 1, 4, 4}))});
  CHECK(both.status.code() == StatusCode::kBadInput);
  auto dynamic = run_op(OpKind::kResize, {in(x), absent(), in(floats({1, 1, 2, 2}))});
  CHECK(dynamic.status.code() == StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------------------------
// Pad

TEST_CASE("Pad constant 2-D with value", "[ref-spatial]") {
  auto r = run_op(OpKind::kPad, {in(f32({2, 2}, {1, 2, 3, 4})), cst(ints({1, 0, 0, 1})), cst(f32({}, {9}))});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{3, 3});
  check_values(r.out(), {9, 9, 9, 1, 2, 9, 3, 4, 9});
}

TEST_CASE("Pad negative pads crop", "[ref-spatial]") {
  auto r = run_op(OpKind::kPad, {in(floats({1, 2, 3, 4, 5})), cst(ints({-1, 1}))});
  REQUIRE(r.status.is_ok());
  check_values(r.out(), {2, 3, 4, 5, 0});
  auto both = run_op(OpKind::kPad, {in(floats({1, 2, 3, 4, 5})), cst(ints({-2, -1}))});
  REQUIRE(both.status.is_ok());
  check_values(both.out(), {3, 4});
}

TEST_CASE("Pad reflect, edge and wrap", "[ref-spatial]") {
  auto x = floats({1, 2, 3});
  auto run = [&](const std::string& mode, std::vector<int64_t> pads) {
    return run_op(OpKind::kPad, {in(x), cst(ints(pads))}, {{"mode", mode}});
  };
  auto reflect = run("reflect", {2, 2});
  REQUIRE(reflect.status.is_ok());
  check_values(reflect.out(), {3, 2, 1, 2, 3, 2, 1});
  auto far = run("reflect", {4, 0});  // keeps bouncing like numpy.pad
  REQUIRE(far.status.is_ok());
  check_values(far.out(), {1, 2, 3, 2, 1, 2, 3});
  auto edge = run("edge", {2, 2});
  REQUIRE(edge.status.is_ok());
  check_values(edge.out(), {1, 1, 1, 2, 3, 3, 3});
  auto wrap = run("wrap", {2, 2});
  REQUIRE(wrap.status.is_ok());
  check_values(wrap.out(), {2, 3, 1, 2, 3, 1, 2});
}

TEST_CASE("Pad int64 data with axes input", "[ref-spatial]") {
  auto x = i64({2, 2}, {1, 2, 3, 4});
  auto r = run_op(OpKind::kPad, {in(x), cst(ints({1, 2})), cst(i64({}, {-7})), cst(ints({-1}))});
  REQUIRE(r.status.is_ok());
  REQUIRE(r.out().shape() == Shape{2, 5});
  CHECK(r.out().to_int_vector() == std::vector<int64_t>{-7, 1, 2, -7, -7, -7, 3, 4, -7, -7});
}

TEST_CASE("Pad needs constant pads for shape inference", "[ref-spatial]") {
  auto r = run_op(OpKind::kPad, {in(floats({1, 2})), in(ints({1, 1}))});
  CHECK(r.status.code() == StatusCode::kUnsupported);
  auto wrong = run_op(OpKind::kPad, {in(floats({1, 2})), cst(ints({1, 1, 1, 1}))});
  CHECK(wrong.status.code() == StatusCode::kBadInput);
}

// ---------------------------------------------------------------------------------------------
// Softmax / LogSoftmax

std::vector<float> softmax_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  std::vector<float> out;
  for (double x : v) out.push_back(static_cast<float>(std::exp(x) / s));
  return out;
}

TEST_CASE("Softmax over the last axis and large inputs", "[ref-spatial]") {
  auto r = run_op(OpKind::kSoftmax, {in(f32({2, 3}, {1, 2, 3, 0, 0, 0}))}, {{"axis", int64_t{-1}}});
  REQUIRE(r.status.is_ok());
  auto row0 = softmax_of({1, 2, 3});
  check_values(r.out(), {row0[0], row0[1], row0[2], 1.f / 3, 1.f / 3, 1.f / 3});
  // exp(1000) overflows float and double; shifting by the max must keep this finite.
  auto big = run_op(OpKind::kSoftmax, {in(floats({1000, 1001}))}, {{"axis", int64_t{0}}});
  REQUIRE(big.status.is_ok());
  auto small = softmax_of({0, 1});
  check_values(big.out(), small);
}

TEST_CASE("Softmax axis semantics: single axis vs legacy_2d", "[ref-spatial]") {
  auto x = f32({2, 2}, {0, 1, 2, 3});
  auto single = run_op(OpKind::kSoftmax, {in(x)}, {{"axis", int64_t{0}}});
  REQUIRE(single.status.is_ok());
  // Columns normalized separately: each column is softmax({a, a + 2}).
  auto col = softmax_of({0, 2});
  check_values(single.out(), {col[0], col[0], col[1], col[1]});
  auto legacy = run_op(OpKind::kSoftmax, {in(x)}, {{"axis", int64_t{0}}, {"legacy_2d", int64_t{1}}});
  REQUIRE(legacy.status.is_ok());
  check_values(legacy.out(), softmax_of({0, 1, 2, 3}));

  // 3-D, axis 1: legacy flattens dims 1..2 into one row of 4; single normalizes along dim 1 only.
  auto y = iota({1, 2, 2});
  auto legacy3 = run_op(OpKind::kSoftmax, {in(y)}, {{"axis", int64_t{1}}, {"legacy_2d", int64_t{1}}});
  REQUIRE(legacy3.status.is_ok());
  check_values(legacy3.out(), softmax_of({0, 1, 2, 3}));
  auto single3 = run_op(OpKind::kSoftmax, {in(y)}, {{"axis", int64_t{1}}});
  REQUIRE(single3.status.is_ok());
  check_values(single3.out(), {col[0], col[0], col[1], col[1]});
}

TEST_CASE("LogSoftmax both semantics", "[ref-spatial]") {
  auto x = f32({2, 2}, {0, 1, 2, 3});
  auto single = run_op(OpKind::kLogSoftmax, {in(x)}, {{"axis", int64_t{1}}});
  REQUIRE(single.status.is_ok());
  const float l0 = static_cast<float>(-std::log(1 + std::exp(1.0))),
              l1 = static_cast<float>(1 - std::log(1 + std::exp(1.0)));
  check_values(single.out(), {l0, l1, l0, l1});
  auto legacy = run_op(OpKind::kLogSoftmax, {in(x)}, {{"axis", int64_t{0}}, {"legacy_2d", int64_t{1}}});
  REQUIRE(legacy.status.is_ok());
  const double lse = std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  check_values(legacy.out(), {static_cast<float>(-lse), static_cast<float>(1 - lse),
                              static_cast<float>(2 - lse), static_cast<float>(3 - lse)});
  auto big = run_op(OpKind::kLogSoftmax, {in(floats({1000, 1000}))}, {{"axis", int64_t{0}}});
  REQUIRE(big.status.is_ok());
  check_values(big.out(), {static_cast<float>(-std::log(2.0)), static_cast<float>(-std::log(2.0))});
}

// ---------------------------------------------------------------------------------------------
// ReduceMean

TEST_CASE("ReduceMean axes, keepdims, defaults", "[ref-spatial]") {
  auto x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto keep = run_op(OpKind::kReduceMean, {in(x), cst(ints({1}))});
  REQUIRE(keep.status.is_ok());
  CHECK(keep.out().shape() == Shape{2, 1});
  check_values(keep.out(), {2, 5});
  auto drop = run_op(OpKind::kReduceMean, {in(x), cst(ints({-2}))}, {{"keepdims", int64_t{0}}});
  REQUIRE(drop.status.is_ok());
  CHECK(drop.out().shape() == Shape{3});
  check_values(drop.out(), {2.5f, 3.5f, 4.5f});
  auto all = run_op(OpKind::kReduceMean, {in(x)});
  REQUIRE(all.status.is_ok());
  CHECK(all.out().shape() == Shape{1, 1});
  check_values(all.out(), {3.5f});
  auto all_drop = run_op(OpKind::kReduceMean, {in(x), cst(ints({}))}, {{"keepdims", int64_t{0}}});
  REQUIRE(all_drop.status.is_ok());
  CHECK(all_drop.out().shape() == Shape{});
  check_values(all_drop.out(), {3.5f});
  auto noop = run_op(OpKind::kReduceMean, {in(x)}, {{"noop_with_empty_axes", int64_t{1}}});
  REQUIRE(noop.status.is_ok());
  CHECK(noop.out().shape() == Shape{2, 3});
  check_values(noop.out(), {1, 2, 3, 4, 5, 6});
}

TEST_CASE("ReduceMean of middle and outer axes of a 3-D tensor", "[ref-spatial]") {
  auto x = iota({2, 3, 4});
  auto r = run_op(OpKind::kReduceMean, {in(x), cst(ints({0, 2}))});
  REQUIRE(r.status.is_ok());
  CHECK(r.out().shape() == Shape{1, 3, 1});
  // Element (a, b, c) = 12a + 4b + c: the mean over a and c is 6 + 4b + 1.5.
  check_values(r.out(), {7.5f, 11.5f, 15.5f});
  auto bad = run_op(OpKind::kReduceMean, {in(x), cst(ints({3}))});
  CHECK(bad.status.code() == StatusCode::kBadInput);
}

}  // namespace
}  // namespace qf
