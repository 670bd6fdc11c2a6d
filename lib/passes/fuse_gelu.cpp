// SPDX-License-Identifier: Apache-2.0
// Exports before opset 20 spell GELU as elementwise chains (PyTorch's nn.GELU(), HF's gelu_new):
//
//   erf:  x -> Div(√2) -> Erf -> Add(1) -> Mul(x, .) -> Mul(0.5) -> y          (Div by √2 may be Mul by 1/√2;
//                                                                            0.5 may multiply x first)
//   tanh: x -> Pow(3) -> Mul(0.044715) -> Add(x, .) -> Mul(√(2/π)) -> Tanh -> Add(1) -> Mul(x, .) -> Mul(0.5) -> y
//
// become   x -> Gelu(approximate = none | tanh) -> y
//
// One node is one kernel and one encoding (and one 256-entry table on the integer path) in place
// of five to nine, whose intermediate encodings would each round.
#include <cmath>

#include "ir/infer.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fuse_gelu";
constexpr float kTolerance = 1e-4f;  // exports write these constants rounded to 4-8 digits
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kCubicCoefficient = 0.044715;

bool near(float a, double b) { return std::fabs(a - b) <= kTolerance * std::max(1.0, std::fabs(b)); }

// x / c as Div(x, c) or Mul(x, 1/c): x.
Value* divided_by(const Node* n, double c) {
  if (auto d = scalar_operand(n, OpKind::kDiv); d && near(d->scalar, c)) return d->value;
  if (auto m = scalar_operand(n, OpKind::kMul); m && near(m->scalar, 1.0 / c)) return m->value;
  return nullptr;
}

// The chain into Erf / Tanh's input: x and the nodes from x up to (not including) Erf / Tanh.
struct Argument {
  Value* x = nullptr;
  std::vector<Node*> nodes;
};

std::optional<Argument> erf_argument(const Graph& graph, const Node& erf) {
  Node* div = sole_producer(graph, erf.input(0), &erf);
  Value* x = divided_by(div, kSqrt2);
  if (!x) return std::nullopt;
  return Argument{x, {div}};
}

// √(2/π) * (x + 0.044715 * x³), with x³ as Pow(x, 3) or x * x * x is not matched (no export writes it).
std::optional<Argument> tanh_argument(const Graph& graph, const Node& tanh) {
  Node* scale = sole_producer_of(graph, tanh.input(0), &tanh, OpKind::kMul);
  auto scaled = scalar_operand(scale, OpKind::kMul);
  if (!scaled || !near(scaled->scalar, kSqrt2OverPi)) return std::nullopt;
  Node* add = sole_producer_of(graph, scaled->value, scale, OpKind::kAdd);
  if (!add) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    Value* x = add->input(i);
    Node* cubic_mul = sole_producer_of(graph, add->input(1 - i), add, OpKind::kMul);
    auto coefficient = scalar_operand(cubic_mul, OpKind::kMul);
    if (!coefficient || !near(coefficient->scalar, kCubicCoefficient)) continue;
    Node* pow = sole_producer_of(graph, coefficient->value, cubic_mul, OpKind::kPow);
    auto exponent = scalar_operand(pow, OpKind::kPow);
    if (!exponent || exponent->value != x || !near(exponent->scalar, 3.0)) continue;
    return Argument{x, {pow, cubic_mul, add, scale}};
  }
  return std::nullopt;
}

// From Erf / Tanh on: Add(1), then x * (.) * 0.5 in either grouping. Replaces the whole chain.
Result<bool> fuse_tail(Graph& graph, Node* core, const Argument& arg, std::string_view approximate) {
  Node* plus_one = nullptr;
  for (Node* c : core->outputs[0]->consumers) plus_one = c;
  if (core->outputs[0]->consumers.size() != 1 || graph.is_output(core->outputs[0])) return false;
  auto one = scalar_operand(plus_one, OpKind::kAdd);
  if (!one || !near(one->scalar, 1.0)) return false;
  Value* f = plus_one->outputs[0];
  if (f->consumers.size() != 1 || graph.is_output(f)) return false;
  Node* mul = f->consumers[0];
  if (mul->kind != OpKind::kMul || mul->inputs.size() != 2) return false;
  Value* other = mul->input(0) == f ? mul->input(1) : mul->input(0);
  std::vector<Node*> chain = arg.nodes;
  chain.push_back(core);
  chain.push_back(plus_one);
  if (other == arg.x) {
    // (x * f) * 0.5
    Value* g = mul->outputs[0];
    if (g->consumers.size() != 1 || graph.is_output(g)) return false;
    Node* half = g->consumers[0];
    auto h = scalar_operand(half, OpKind::kMul);
    if (!h || h->value != g || !near(h->scalar, 0.5)) return false;
    chain.push_back(mul);
    chain.push_back(half);
  } else {
    // (x * 0.5) * f
    Node* half = sole_producer_of(graph, other, mul, OpKind::kMul);
    auto h = scalar_operand(half, OpKind::kMul);
    if (!h || h->value != arg.x || !near(h->scalar, 0.5)) return false;
    chain.push_back(half);
    chain.push_back(mul);
  }
  QF_ASSIGN_OR_RETURN(Node * gelu, replace_chain(graph, chain, OpKind::kGelu, {arg.x}, kPass));
  gelu->attrs["approximate"] = std::string(approximate);
  QF_RETURN_IF_ERROR(infer_node(*gelu));
  return true;
}

}  // namespace

Result<bool> fuse_gelu(Graph& graph) {
  bool changed = false;
  for (Node* erf : graph.nodes_of(OpKind::kErf)) {
    const std::optional<Argument> arg = erf_argument(graph, *erf);
    if (!arg) continue;
    QF_ASSIGN_OR_RETURN(bool fused, fuse_tail(graph, erf, *arg, "none"));
    changed = changed || fused;
  }
  for (Node* tanh : graph.nodes_of(OpKind::kTanh)) {
    const std::optional<Argument> arg = tanh_argument(graph, *tanh);
    if (!arg) continue;
    QF_ASSIGN_OR_RETURN(bool fused, fuse_tail(graph, tanh, *arg, "tanh"));
    changed = changed || fused;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
