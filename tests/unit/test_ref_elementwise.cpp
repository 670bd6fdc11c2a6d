// SPDX-License-Identifier: Apache-2.0
// Shape inference and reference kernels of the elementwise and data-movement ops, on small
// hand-computed cases (and naive loops where the case is too big to write out).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>

#include "ir/infer.h"
#include "runtime/reference/broadcast.h"
#include "runtime/reference/reference_kernels.h"

using namespace qf;

namespace {

// Builds one node by hand, infers its output types, allocates the outputs and runs the reference
// kernel: the path the executor and constant folding take.
class OneNode {
 public:
  // A graph input carrying `t` at run time (type known, not constant).
  Value* input(Tensor t) {
    Value* v = graph_.add_value(fmt::format("in{}", counter_++)).value();
    v->type = TensorType{t.dtype(), t.shape(), true};
    runtime_[v] = t;
    return v;
  }
  // An input whose type is declared (possibly with unknown dims) but that is never run.
  Value* typed(DType dtype, Shape shape) {
    Value* v = graph_.add_value(fmt::format("in{}", counter_++)).value();
    v->type = TensorType{dtype, std::move(shape), true};
    return v;
  }
  Value* constant(Tensor t) { return graph_.add_constant(fmt::format("c{}", counter_++), std::move(t)); }

  Node* node(OpKind kind, std::vector<Value*> inputs, size_t num_outputs = 1,
             std::map<std::string, AttrValue> attrs = {}) {
    std::vector<Value*> outs;
    for (size_t i = 0; i < num_outputs; ++i)
      outs.push_back(graph_.add_value(fmt::format("out{}", counter_++)).value());
    Node* n = graph_.add_node(kind, fmt::format("n{}", counter_++), std::move(inputs), outs).value();
    n->attrs = std::move(attrs);
    return n;
  }

  Status infer(Node* n) { return infer_node(*n); }

  // Infers, allocates and runs; returns the outputs.
  Result<std::vector<Tensor>> run(Node* n) {
    QF_RETURN_IF_ERROR(infer_node(*n));
    std::vector<const Tensor*> ins;
    for (Value* v : n->inputs) {
      if (!v) {
        ins.push_back(nullptr);
      } else if (v->is_constant()) {
        ins.push_back(&*v->constant);
      } else {
        ins.push_back(&runtime_.at(v));
      }
    }
    std::vector<Tensor> outs;
    for (Value* v : n->outputs) {
      if (!v->type.is_static()) return internal_error("output '{}' has no static shape", v->name);
      outs.emplace_back(v->type.dtype, v->type.shape);
    }
    std::vector<Tensor*> out_ptrs;
    for (Tensor& t : outs) out_ptrs.push_back(&t);
    QF_RETURN_IF_ERROR(reference_kernel(n->kind)(*n, ins, out_ptrs));
    return outs;
  }

  // Runs a node that must succeed and has one output.
  Tensor run1(OpKind kind, std::vector<Value*> inputs, std::map<std::string, AttrValue> attrs = {}) {
    Node* n = node(kind, std::move(inputs), 1, std::move(attrs));
    auto r = run(n);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return r.value()[0];
  }

 private:
  Graph graph_;
  std::map<const Value*, Tensor> runtime_;
  int counter_ = 0;
};

Tensor f32(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(shape), v); }
Tensor i32(Shape shape, std::vector<int32_t> v) { return Tensor::from_vector<int32_t>(std::move(shape), v); }

template <typename T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

void check_floats(const Tensor& t, const std::vector<float>& expected, float tol = 1e-6f) {
  REQUIRE(t.dtype() == DType::kF32);
  REQUIRE(t.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(t.data<float>()[i] == Approx(expected[i]).margin(tol));
  }
}

constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();

}  // namespace

// ---------------------------------------------------------------- broadcasting helper

TEST_CASE("for_each_index visits broadcast offsets like a naive loop", "[ref-elementwise]") {
  const Shape out{2, 3, 4};
  const Shape a{3, 1};
  Shape seen_a, seen_o;
  for_each_index<1>(out, {broadcast_strides(a, out)}, [&](int64_t o, const std::array<int64_t, 1>& off) {
    seen_o.push_back(o);
    seen_a.push_back(off[0]);
  });
  REQUIRE(seen_o.size() == 24);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) {
        const auto o = static_cast<size_t>((i * 3 + j) * 4 + k);
        CHECK(seen_o[o] == static_cast<int64_t>(o));
        CHECK(seen_a[o] == j);  // a[j][0]
      }
  int calls = 0;
  for_each_index<1>(Shape{}, {Shape{}}, [&](int64_t o, const std::array<int64_t, 1>& off) {
    CHECK(o == 0);
    CHECK(off[0] == 0);
    ++calls;
  });
  CHECK(calls == 1);
  for_each_index<1>(Shape{2, 0, 3}, {Shape{0, 0, 1}},
                    [&](int64_t, const std::array<int64_t, 1>&) { ++calls; });
  CHECK(calls == 1);
}

// ---------------------------------------------------------------- binary ops

TEST_CASE("Add broadcasts [2,3] with [3] and [2,1] with [1,3]", "[ref-elementwise]") {
  OneNode t;
  Tensor y =
      t.run1(OpKind::kAdd, {t.input(f32({2, 3}, {1, 2, 3, 4, 5, 6})), t.input(f32({3}, {10, 20, 30}))});
  CHECK(y.shape() == Shape{2, 3});
  check_floats(y, {11, 22, 33, 14, 25, 36});

  Tensor z = t.run1(OpKind::kAdd, {t.input(f32({2, 1}, {100, 200})), t.input(f32({1, 3}, {1, 2, 3}))});
  CHECK(z.shape() == Shape{2, 3});
  check_floats(z, {101, 102, 103, 201, 202, 203});
}

TEST_CASE("binary ops broadcast a scalar and agree with a naive loop on rank 4", "[ref-elementwise]") {
  OneNode t;
  Tensor s = t.run1(OpKind::kSub, {t.input(f32({3}, {1, 2, 3})), t.input(Tensor::scalar(0.5f))});
  check_floats(s, {0.5f, 1.5f, 2.5f});
  Tensor r = t.run1(OpKind::kSub, {t.input(Tensor::scalar(10.f)), t.input(f32({2}, {1, 4}))});
  check_floats(r, {9, 6});

  // [2,1,3,1] * [4,1,1]: out[i][j][k][0] = a[i][0][k][0] * b[j][0][0]
  std::vector<float> a(6), b(4);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i + 1);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(10 * (i + 1));
  Tensor m = t.run1(OpKind::kMul, {t.input(f32({2, 1, 3, 1}, a)), t.input(f32({4, 1, 1}, b))});
  REQUIRE(m.shape() == Shape{2, 4, 3, 1});
  std::vector<float> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        expected.push_back(a[static_cast<size_t>(i * 3 + k)] * b[static_cast<size_t>(j)]);
  check_floats(m, expected);
}

TEST_CASE("Div on int64 truncates toward zero; by zero is an error", "[ref-elementwise]") {
  OneNode t;
  Tensor q = t.run1(OpKind::kDiv,
                    {t.input(i64({5}, {7, -7, 7, -7, kMin64})), t.input(i64({5}, {2, 2, -2, -2, -1}))});
  CHECK(q.dtype() == DType::kS64);
  CHECK(values<int64_t>(q) == std::vector<int64_t>{3, -3, -3, 3, kMin64});

  Tensor q32 = t.run1(OpKind::kDiv, {t.input(i32({2}, {-9, 9})), t.input(i32({1}, {4}))});
  CHECK(values<int32_t>(q32) == std::vector<int32_t>{-2, 2});

  Node* n = t.node(OpKind::kDiv, {t.input(i64({2}, {1, 2})), t.input(i64({2}, {1, 0}))});
  auto r = t.run(n);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kBadInput);
  CHECK(r.status().message().find(n->describe()) != std::string::npos);

  Tensor fd = t.run1(OpKind::kDiv, {t.input(f32({2}, {1, -3})), t.input(f32({2}, {4, 2}))});
  check_floats(fd, {0.25f, -1.5f});
}

TEST_CASE("int64 Add/Sub/Mul for shape arithmetic", "[ref-elementwise]") {
  OneNode t;
  Value* a = t.input(i64({3}, {1, 2, 3}));
  Value* b = t.input(i64({}, {4}));
  CHECK(values<int64_t>(t.run1(OpKind::kAdd, {a, b})) == std::vector<int64_t>{5, 6, 7});
  CHECK(values<int64_t>(t.run1(OpKind::kSub, {a, b})) == std::vector<int64_t>{-3, -2, -1});
  CHECK(values<int64_t>(t.run1(OpKind::kMul, {a, b})) == std::vector<int64_t>{4, 8, 12});
  // 8-bit integers wrap like numpy: 200 + 100 = 300 - 256 = 44, 3 - 5 = 256 - 2 = 254.
  Value* u = t.input(Tensor::from_vector<uint8_t>({2}, {200, 3}));
  Value* v = t.input(Tensor::from_vector<uint8_t>({2}, {100, 5}));
  CHECK(values<uint8_t>(t.run1(OpKind::kAdd, {u, v})) == std::vector<uint8_t>{44, 8});
  CHECK(values<uint8_t>(t.run1(OpKind::kSub, {u, v})) == std::vector<uint8_t>{100, 254});
  CHECK(values<uint8_t>(t.run1(OpKind::kDiv, {u, v})) == std::vector<uint8_t>{2, 0});
  Tensor s8 = t.run1(OpKind::kDiv, {t.input(Tensor::from_vector<int8_t>({2}, {-128, -7})),
                                    t.input(Tensor::from_vector<int8_t>({2}, {-1, 2}))});
  CHECK(values<int8_t>(s8) == std::vector<int8_t>{-128, -3});
}

TEST_CASE("binary shape inference: mismatches and unknown dims", "[ref-elementwise]") {
  OneNode t;
  Node* bad = t.node(OpKind::kAdd, {t.typed(DType::kF32, {2, 3}), t.typed(DType::kF32, {4})});
  CHECK(t.infer(bad).code() == StatusCode::kBadInput);
  Node* mixed = t.node(OpKind::kMul, {t.typed(DType::kF32, {2}), t.typed(DType::kS64, {2})});
  CHECK(t.infer(mixed).code() == StatusCode::kBadInput);
  Node* dyn = t.node(OpKind::kAdd, {t.typed(DType::kF32, {-1, 3}), t.typed(DType::kF32, {3})});
  REQUIRE(t.infer(dyn).is_ok());
  CHECK(dyn->outputs[0]->type.shape == Shape{-1, 3});
  Node* unary_dtype = t.node(OpKind::kRelu, {t.input(i64({1}, {1}))});
  auto r = t.run(unary_dtype);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kUnsupported);
}

TEST_CASE("Pow with float and integer exponents", "[ref-elementwise]") {
  OneNode t;
  check_floats(t.run1(OpKind::kPow, {t.input(f32({3}, {1, 2, 3})), t.input(f32({}, {2}))}), {1, 4, 9});
  check_floats(t.run1(OpKind::kPow, {t.input(f32({2}, {4, 2})), t.input(f32({2}, {0.5f, -1}))}), {2, 0.5f});
  check_floats(t.run1(OpKind::kPow, {t.input(f32({2}, {2, -3})), t.input(i64({2}, {3, 2}))}), {8, 9});
  Tensor ip = t.run1(OpKind::kPow, {t.input(i64({3}, {2, 3, -2})), t.input(i64({3}, {10, 3, 3}))});
  CHECK(ip.dtype() == DType::kS64);
  CHECK(values<int64_t>(ip) == std::vector<int64_t>{1024, 27, -8});
}

TEST_CASE("PRelu slope broadcasts per channel", "[ref-elementwise]") {
  OneNode t;
  // x [1,2,1,2], slope [2,1,1]: channel 0 slope 0.1, channel 1 slope 0.5.
  Tensor y = t.run1(OpKind::kPRelu,
                    {t.input(f32({1, 2, 1, 2}, {-1, 2, -4, 3})), t.input(f32({2, 1, 1}, {0.1f, 0.5f}))});
  CHECK(y.shape() == Shape{1, 2, 1, 2});
  check_floats(y, {-0.1f, 2, -2, 3});
  // A slope that would grow the output is refused.
  Node* bad = t.node(OpKind::kPRelu, {t.typed(DType::kF32, {2}), t.typed(DType::kF32, {3, 2})});
  CHECK(t.infer(bad).code() == StatusCode::kBadInput);
}

// ---------------------------------------------------------------- unary ops

TEST_CASE("activations match their formulas", "[ref-elementwise]") {
  OneNode t;
  check_floats(t.run1(OpKind::kRelu, {t.input(f32({3}, {-1, 0, 2}))}), {0, 0, 2});
  check_floats(t.run1(OpKind::kLeakyRelu, {t.input(f32({2}, {-2, 3}))}), {-0.02f, 3});
  check_floats(t.run1(OpKind::kLeakyRelu, {t.input(f32({2}, {-2, 3}))}, {{"alpha", 0.5f}}), {-1, 3});
  // sigmoid: 0 -> 1/2, ln(3) -> 3/4, -ln(3) -> 1/4, extremes saturate without NaN.
  check_floats(t.run1(OpKind::kSigmoid, {t.input(f32({5}, {0, std::log(3.f), -std::log(3.f), -200, 200}))}),
               {0.5f, 0.75f, 0.25f, 0, 1});
  // HardSigmoid defaults alpha 0.2, beta 0.5: max(0, min(1, 0.2x + 0.5)).
  check_floats(t.run1(OpKind::kHardSigmoid, {t.input(f32({4}, {-3, 0, 1, 3}))}), {0, 0.5f, 0.7f, 1});
  check_floats(t.run1(OpKind::kHardSigmoid, {t.input(f32({2}, {1, -1}))}, {{"alpha", 0.5f}, {"beta", 0.25f}}),
               {0.75f, 0});
  // HardSwish: x * max(0, min(1, x/6 + 1/2)); -1 -> -1/3, 1 -> 2/3.
  check_floats(t.run1(OpKind::kHardSwish, {t.input(f32({7}, {-4, -3, -1, 0, 1, 3, 4}))}),
               {0, 0, -1.f / 3, 0, 2.f / 3, 3, 4});
  check_floats(t.run1(OpKind::kTanh, {t.input(f32({3}, {0, 0.5f, -20}))}), {0, 0.46211716f, -1});
  check_floats(t.run1(OpKind::kErf, {t.input(f32({3}, {0, 1, -0.5f}))}), {0, 0.84270079f, -0.52049988f});
  check_floats(t.run1(OpKind::kExp, {t.input(f32({3}, {0, 1, -1}))}), {1, 2.71828183f, 0.36787944f});
  Tensor s = t.run1(OpKind::kSqrt, {t.input(f32({3}, {4, 0, -1}))});
  CHECK(s.data<float>()[0] == 2.f);
  CHECK(s.data<float>()[1] == 0.f);
  CHECK(std::isnan(s.data<float>()[2]));
  Tensor nan_relu = t.run1(OpKind::kRelu, {t.input(f32({1}, {std::nanf("")}))});
  CHECK(std::isnan(nan_relu.data<float>()[0]));
}

TEST_CASE("Clip with missing bounds, crossed bounds and int8", "[ref-elementwise]") {
  OneNode t;
  Value* x = t.input(f32({4}, {-5, 0.5f, 3, -0.5f}));
  check_floats(t.run1(OpKind::kClip, {x, nullptr, t.constant(Tensor::scalar(1))}), {-5, 0.5f, 1, -0.5f});
  check_floats(t.run1(OpKind::kClip, {x, t.constant(Tensor::scalar(0))}), {0, 0.5f, 3, 0});
  check_floats(t.run1(OpKind::kClip, {x}), {-5, 0.5f, 3, -0.5f});
  // min > max: every output is max.
  check_floats(t.run1(OpKind::kClip, {x, t.constant(Tensor::scalar(2)), t.constant(Tensor::scalar(1))}),
               {1, 1, 1, 1});
  Tensor q = t.run1(OpKind::kClip, {t.input(Tensor::from_vector<int8_t>({3}, {-100, 5, 100})),
                                    t.constant(Tensor::from_vector<int8_t>({}, {-10})), nullptr});
  CHECK(values<int8_t>(q) == std::vector<int8_t>{-10, 5, 100});
}

// ---------------------------------------------------------------- Concat / Split

TEST_CASE("Concat along axis 1 and along a negative axis", "[ref-elementwise]") {
  OneNode t;
  Tensor y =
      t.run1(OpKind::kConcat,
             {t.input(f32({2, 1}, {1, 2})), t.input(f32({2, 2}, {3, 4, 5, 6})), t.input(f32({2, 0}, {}))},
             {{"axis", int64_t{1}}});
  CHECK(y.shape() == Shape{2, 3});
  check_floats(y, {1, 3, 4, 2, 5, 6});
  Tensor z =
      t.run1(OpKind::kConcat, {t.input(i64({2}, {1, 2})), t.input(i64({1}, {-1}))}, {{"axis", int64_t{-1}}});
  CHECK(values<int64_t>(z) == std::vector<int64_t>{1, 2, -1});
  Node* bad = t.node(OpKind::kConcat, {t.typed(DType::kF32, {2, 3}), t.typed(DType::kF32, {3, 3})}, 1,
                     {{"axis", int64_t{1}}});
  CHECK(t.infer(bad).code() == StatusCode::kBadInput);
}

TEST_CASE("Split unevenly by num_outputs and by explicit sizes", "[ref-elementwise]") {
  OneNode t;
  Node* n =
      t.node(OpKind::kSplit, {t.input(f32({7}, {0, 1, 2, 3, 4, 5, 6}))}, 3, {{"num_outputs", int64_t{3}}});
  auto r = t.run(n);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  check_floats(r.value()[0], {0, 1, 2});
  check_floats(r.value()[1], {3, 4, 5});
  check_floats(r.value()[2], {6});

  // [2,5] split [1,4] along axis 1 (given as an input, as opset 13+ does).
  Node* m = t.node(OpKind::kSplit,
                   {t.input(f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})), t.constant(i64({2}, {1, 4}))}, 2,
                   {{"axis", int64_t{-1}}});
  auto s = t.run(m);
  INFO(s.status().message());
  REQUIRE(s.is_ok());
  CHECK(s.value()[0].shape() == Shape{2, 1});
  CHECK(s.value()[1].shape() == Shape{2, 4});
  check_floats(s.value()[0], {0, 5});
  check_floats(s.value()[1], {1, 2, 3, 4, 6, 7, 8, 9});

  Node* bad = t.node(OpKind::kSplit, {t.typed(DType::kF32, {5}), t.constant(i64({2}, {1, 3}))}, 2);
  CHECK(t.infer(bad).code() == StatusCode::kBadInput);
}

// ---------------------------------------------------------------- Slice

TEST_CASE("Slice clamps out-of-range starts/ends and walks negative steps", "[ref-elementwise]") {
  OneNode t;
  Value* x = t.input(f32({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  auto slice = [&](std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> steps) {
    const auto n = static_cast<int64_t>(starts.size());
    return t.run1(OpKind::kSlice, {x, t.constant(i64({n}, starts)), t.constant(i64({n}, ends)), nullptr,
                                   t.constant(i64({n}, steps))});
  };
  check_floats(slice({2}, {1000}, {1}), {2, 3, 4, 5, 6, 7, 8, 9});
  check_floats(slice({-3}, {kMax64}, {1}), {7, 8, 9});
  check_floats(slice({-1}, {kMin64}, {-3}), {9, 6, 3, 0});
  check_floats(slice({100}, {-100}, {-1}), {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  check_floats(slice({7}, {2}, {-2}), {7, 5, 3});
  check_floats(slice({1}, {9}, {kMax64}), {1});
  Tensor empty = slice({5}, {2}, {1});
  CHECK(empty.shape() == Shape{0});
}

TEST_CASE("Slice with axes on a 2-D int64 tensor", "[ref-elementwise]") {
  OneNode t;
  // [[0..4],[5..9],[10..14]] -> rows from the end backwards, every second column.
  std::vector<int64_t> v(15);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i);
  Tensor y = t.run1(OpKind::kSlice,
                    {t.input(i64({3, 5}, v)), t.constant(i64({2}, {0, -1})), t.constant(i64({2}, {5, -4})),
                     t.constant(i64({2}, {1, 0})), t.constant(i64({2}, {2, -1}))});
  REQUIRE(y.shape() == Shape{3, 3});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{10, 12, 14, 5, 7, 9, 0, 2, 4});
  Node* zero_step = t.node(OpKind::kSlice, {t.typed(DType::kF32, {4}), t.constant(i64({1}, {0})),
                                            t.constant(i64({1}, {4})), nullptr, t.constant(i64({1}, {0}))});
  CHECK(t.infer(zero_step).code() == StatusCode::kBadInput);
  Node* dynamic = t.node(OpKind::kSlice,
                         {t.typed(DType::kF32, {4}), t.typed(DType::kS64, {1}), t.constant(i64({1}, {4}))});
  CHECK(t.infer(dynamic).code() == StatusCode::kUnsupported);
}

// ---------------------------------------------------------------- Reshape family

TEST_CASE("Reshape with 0, -1 and allowzero", "[ref-elementwise]") {
  OneNode t;
  std::vector<float> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  Value* x = t.input(f32({2, 3, 4}, v));
  Tensor a = t.run1(OpKind::kReshape, {x, t.constant(i64({2}, {0, -1}))});
  CHECK(a.shape() == Shape{2, 12});
  check_floats(a, v);
  CHECK(t.run1(OpKind::kReshape, {x, t.constant(i64({2}, {-1, 4}))}).shape() == Shape{6, 4});
  CHECK(t.run1(OpKind::kReshape, {x, t.constant(i64({4}, {0, 0, 2, -1}))}).shape() == Shape{2, 3, 2, 2});

  Value* empty = t.input(Tensor(DType::kF32, {0, 3}));
  CHECK(
      t.run1(OpKind::kReshape, {empty, t.constant(i64({2}, {3, 0}))}, {{"allowzero", int64_t{1}}}).shape() ==
      Shape{3, 0});
  // Without allowzero the 0 copies the input's dim 1.
  CHECK(t.run1(OpKind::kReshape, {empty, t.constant(i64({2}, {-1, 0}))}).shape() == Shape{0, 3});

  Node* two = t.node(OpKind::kReshape, {t.typed(DType::kF32, {6}), t.constant(i64({2}, {-1, -1}))});
  CHECK(t.infer(two).code() == StatusCode::kBadInput);
  Node* wrong = t.node(OpKind::kReshape, {t.typed(DType::kF32, {6}), t.constant(i64({2}, {4, -1}))});
  CHECK(t.infer(wrong).code() == StatusCode::kBadInput);
  // A dynamic batch copied through 0 still lets -1 resolve.
  Node* dyn = t.node(OpKind::kReshape, {t.typed(DType::kF32, {-1, 3, 4}), t.constant(i64({2}, {0, -1}))});
  REQUIRE(t.infer(dyn).is_ok());
  CHECK(dyn->outputs[0]->type.shape == Shape{-1, 12});
}

TEST_CASE("Flatten, Squeeze, Unsqueeze shapes", "[ref-elementwise]") {
  OneNode t;
  std::vector<float> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) - 3;
  Value* x = t.input(f32({2, 3, 4}, v));
  CHECK(t.run1(OpKind::kFlatten, {x}).shape() == Shape{2, 12});
  CHECK(t.run1(OpKind::kFlatten, {x}, {{"axis", int64_t{0}}}).shape() == Shape{1, 24});
  CHECK(t.run1(OpKind::kFlatten, {x}, {{"axis", int64_t{-1}}}).shape() == Shape{6, 4});
  Tensor f3 = t.run1(OpKind::kFlatten, {x}, {{"axis", int64_t{3}}});
  CHECK(f3.shape() == Shape{24, 1});
  check_floats(f3, v);

  Value* y = t.input(f32({1, 3, 1, 2}, {1, 2, 3, 4, 5, 6}));
  Tensor s = t.run1(OpKind::kSqueeze, {y});
  CHECK(s.shape() == Shape{3, 2});
  check_floats(s, {1, 2, 3, 4, 5, 6});
  CHECK(t.run1(OpKind::kSqueeze, {y, t.constant(i64({1}, {-2}))}).shape() == Shape{1, 3, 2});
  Node* not_one = t.node(OpKind::kSqueeze, {t.typed(DType::kF32, {1, 3}), t.constant(i64({1}, {1}))});
  CHECK(t.infer(not_one).code() == StatusCode::kBadInput);

  Value* z = t.input(i64({3, 2}, {1, 2, 3, 4, 5, 6}));
  Tensor u = t.run1(OpKind::kUnsqueeze, {z, t.constant(i64({2}, {0, -1}))});
  CHECK(u.shape() == Shape{1, 3, 2, 1});
  CHECK(values<int64_t>(u) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(t.run1(OpKind::kUnsqueeze, {z, t.constant(i64({1}, {1}))}).shape() == Shape{3, 1, 2});
  CHECK(t.run1(OpKind::kUnsqueeze, {t.input(i64({}, {7})), t.constant(i64({1}, {0}))}).shape() == Shape{1});
  Node* dup = t.node(OpKind::kUnsqueeze, {t.typed(DType::kF32, {3}), t.constant(i64({2}, {0, -3}))});
  CHECK(t.infer(dup).code() == StatusCode::kBadInput);
}

TEST_CASE("Identity and inference-mode Dropout copy their input", "[ref-elementwise]") {
  OneNode t;
  Value* x = t.input(f32({2, 2}, {1, -2, 3, -4}));
  check_floats(t.run1(OpKind::kIdentity, {x}), {1, -2, 3, -4});
  Node* d = t.node(OpKind::kDropout, {x, t.constant(Tensor::scalar(0.3f))}, 2);
  auto r = t.run(d);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  check_floats(r.value()[0], {1, -2, 3, -4});
  CHECK(r.value()[1].dtype() == DType::kBool);
  CHECK(values<uint8_t>(r.value()[1]) == std::vector<uint8_t>{1, 1, 1, 1});
  Node* train = t.node(OpKind::kDropout, {x, t.constant(Tensor::scalar(0.3f)),
                                          t.constant(Tensor::from_vector<bool>({}, {true}))});
  auto tr = t.run(train);
  REQUIRE_FALSE(tr.is_ok());
  CHECK(tr.status().code() == StatusCode::kUnsupported);
}

// ---------------------------------------------------------------- Transpose

TEST_CASE("Transpose with explicit and default perm matches naive index math", "[ref-elementwise]") {
  OneNode t;
  Tensor y = t.run1(OpKind::kTranspose, {t.input(f32({2, 3}, {1, 2, 3, 4, 5, 6}))},
                    {{"perm", std::vector<int64_t>{1, 0}}});
  CHECK(y.shape() == Shape{3, 2});
  check_floats(y, {1, 4, 2, 5, 3, 6});

  // [2,3,4] with perm [2,0,1]: out[k][i][j] = in[i][j][k].
  std::vector<int64_t> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i * 7 % 24);
  Value* x = t.input(i64({2, 3, 4}, v));
  Tensor p = t.run1(OpKind::kTranspose, {x}, {{"perm", std::vector<int64_t>{2, 0, 1}}});
  REQUIRE(p.shape() == Shape{4, 2, 3});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k)
        CHECK(p.data<int64_t>()[(k * 2 + i) * 3 + j] == v[static_cast<size_t>((i * 3 + j) * 4 + k)]);
  // Default perm reverses: out[k][j][i] = in[i][j][k].
  Tensor r = t.run1(OpKind::kTranspose, {x});
  REQUIRE(r.shape() == Shape{4, 3, 2});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k)
        CHECK(r.data<int64_t>()[(k * 3 + j) * 2 + i] == v[static_cast<size_t>((i * 3 + j) * 4 + k)]);
  Node* bad =
      t.node(OpKind::kTranspose, {t.typed(DType::kF32, {2, 3})}, 1, {{"perm", std::vector<int64_t>{0, 0}}});
  CHECK(t.infer(bad).code() == StatusCode::kBadInput);
}

// ---------------------------------------------------------------- Gather

TEST_CASE("Gather with negative indices on axis 1", "[ref-elementwise]") {
  OneNode t;
  Value* data = t.input(f32({2, 3}, {1, 2, 3, 4, 5, 6}));
  Tensor y = t.run1(OpKind::kGather, {data, t.input(i64({2}, {-1, 0}))}, {{"axis", int64_t{1}}});
  CHECK(y.shape() == Shape{2, 2});
  check_floats(y, {3, 1, 6, 4});
  Tensor z = t.run1(OpKind::kGather, {data, t.input(i32({2, 1}, {0, -2}))}, {{"axis", int64_t{-1}}});
  CHECK(z.shape() == Shape{2, 2, 1});
  check_floats(z, {1, 2, 4, 5});
  // A scalar index drops the axis (the Shape -> Gather pattern).
  Tensor s = t.run1(OpKind::kGather, {t.input(i64({4}, {1, 3, 224, 224})), t.input(i64({}, {1}))});
  CHECK(s.shape() == Shape{});
  CHECK(s.data<int64_t>()[0] == 3);
  Tensor rows = t.run1(OpKind::kGather, {data, t.input(i64({3}, {1, 1, 0}))});
  check_floats(rows, {4, 5, 6, 4, 5, 6, 1, 2, 3});
  Node* oob = t.node(OpKind::kGather, {data, t.input(i64({1}, {3}))}, 1, {{"axis", int64_t{1}}});
  auto r = t.run(oob);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kBadInput);
}

// ---------------------------------------------------------------- Cast

TEST_CASE("Cast truncates float to int, maps nonzero to true", "[ref-elementwise]") {
  OneNode t;
  auto cast = [&](Tensor x, DType to) {
    return t.run1(OpKind::kCast, {t.input(std::move(x))}, {{"to", int64_t{dtype_to_onnx(to)}}});
  };
  Tensor q = cast(f32({6}, {1.9f, -1.9f, 127.7f, -128.9f, 0.5f, -0.5f}), DType::kS8);
  CHECK(q.dtype() == DType::kS8);
  CHECK(values<int8_t>(q) == std::vector<int8_t>{1, -1, 127, -128, 0, 0});
  CHECK(values<uint8_t>(cast(f32({2}, {3.99f, 255.2f}), DType::kU8)) == std::vector<uint8_t>{3, 255});
  CHECK(values<int64_t>(cast(f32({2}, {-7.5f, 1e10f}), DType::kS64)) ==
        std::vector<int64_t>{-7, 10000000000});
  Tensor b = cast(f32({4}, {0.f, -0.f, 0.1f, std::nanf("")}), DType::kBool);
  CHECK(b.dtype() == DType::kBool);
  CHECK(values<uint8_t>(b) == std::vector<uint8_t>{0, 0, 1, 1});
  check_floats(cast(Tensor::from_vector<bool>({2}, {true, false}), DType::kF32), {1, 0});
  check_floats(cast(i64({2}, {-3, 1 << 20}), DType::kF32), {-3, 1 << 20});
  // int32 -> int8 wraps like numpy's astype: 300 = 256 + 44.
  CHECK(values<int8_t>(cast(i32({2}, {300, -129}), DType::kS8)) == std::vector<int8_t>{44, 127});
  // float16: 1.5 is 0x3E00, -2 is 0xC000.
  Tensor h = cast(f32({2}, {1.5f, -2.f}), DType::kF16);
  CHECK(values<uint16_t>(h) == std::vector<uint16_t>{0x3E00, 0xC000});
  check_floats(cast(h, DType::kF32), {1.5f, -2});
  Tensor d = cast(f32({1}, {0.1f}), DType::kF64);
  CHECK(d.data<double>()[0] == static_cast<double>(0.1f));
  Node* unknown = t.node(OpKind::kCast, {t.typed(DType::kF32, {1})}, 1, {{"to", int64_t{8}}});  // 8 = string
  CHECK(t.infer(unknown).code() == StatusCode::kUnsupported);
}

// ---------------------------------------------------------------- Constant / Shape

TEST_CASE("Constant and Shape produce constants for folding", "[ref-elementwise]") {
  OneNode t;
  Node* c = t.node(OpKind::kConstant, {}, 1, {{"value", i64({2}, {5, -6})}});
  REQUIRE(t.infer(c).is_ok());
  REQUIRE(c->outputs[0]->is_constant());
  CHECK(c->outputs[0]->type.shape == Shape{2});
  CHECK(values<int64_t>(t.run(c).value()[0]) == std::vector<int64_t>{5, -6});

  Value* x = t.input(f32({2, 3, 4}, std::vector<float>(24, 0.f)));
  Node* s = t.node(OpKind::kShape, {x});
  REQUIRE(t.infer(s).is_ok());
  REQUIRE(s->outputs[0]->is_constant());
  CHECK(s->outputs[0]->constant->to_int_vector() == std::vector<int64_t>{2, 3, 4});
  CHECK(values<int64_t>(t.run(s).value()[0]) == std::vector<int64_t>{2, 3, 4});

  Tensor tail = t.run1(OpKind::kShape, {x}, {{"start", int64_t{-2}}});
  CHECK(values<int64_t>(tail) == std::vector<int64_t>{3, 4});
  Tensor mid = t.run1(OpKind::kShape, {x}, {{"start", int64_t{1}}, {"end", int64_t{-1}}});
  CHECK(values<int64_t>(mid) == std::vector<int64_t>{3});
  CHECK(t.run1(OpKind::kShape, {x}, {{"start", int64_t{5}}}).shape() == Shape{0});

  Node* dyn = t.node(OpKind::kShape, {t.typed(DType::kF32, {-1, 3})});
  REQUIRE(t.infer(dyn).is_ok());
  CHECK(dyn->outputs[0]->type.shape == Shape{2});
  CHECK_FALSE(dyn->outputs[0]->is_constant());
  Node* dyn_tail = t.node(OpKind::kShape, {t.typed(DType::kF32, {-1, 3})}, 1, {{"start", int64_t{1}}});
  REQUIRE(t.infer(dyn_tail).is_ok());
  CHECK(dyn_tail->outputs[0]->is_constant());
}
