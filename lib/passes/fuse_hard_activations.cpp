// SPDX-License-Identifier: Apache-2.0
// Exporters (Paddle2ONNX, older PyTorch) spell HardSwish and HardSigmoid as elementwise chains:
//
//   x -> Add(3) -> Clip(0, 6) -> Mul(x, .) -> Div(6) -> y        becomes   x -> HardSwish -> y
//   x -> HardSigmoid(alpha 1/6, beta 1/2) -> Mul(x, .) -> y      becomes   x -> HardSwish -> y
//   x -> Add(a) -> Clip(0, d) -> Div(d) -> y                     becomes   x -> HardSigmoid(1/d, a/d) -> y
//
// (Div by c may also be Mul by 1/c, and the commutative operands may come in either order.)
// One node instead of four is one kernel and one encoding instead of four.
#include <cmath>

#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fuse_hard_activations";
constexpr float kHardSwishShift = 3.f;
constexpr float kHardSwishRange = 6.f;
constexpr float kHardSwishAlpha = 1.f / 6.f;
constexpr float kHardSwishBeta = 0.5f;
constexpr float kTolerance = 1e-6f;

bool near(float a, float b) { return std::fabs(a - b) <= kTolerance * std::max(1.f, std::fabs(b)); }

// For Div(v, c) or Mul(v, 1/c) (Mul operands in either order): v and c.
struct Divided {
  Value* value = nullptr;
  float divisor = 0;
};
std::optional<Divided> as_division(const Node& n) {
  if (n.kind == OpKind::kDiv) {
    if (auto c = scalar_input(n, 1)) return Divided{n.input(0), *c};
  } else if (n.kind == OpKind::kMul) {
    for (size_t i = 0; i < 2; ++i)
      if (auto c = scalar_input(n, 1 - i); c && *c != 0.f) return Divided{n.input(i), 1.f / *c};
  }
  return std::nullopt;
}

// Clip(v, lo, hi) with constant bounds: v and the bounds.
struct Clipped {
  Value* value;
  float lo, hi;
};
std::optional<Clipped> as_clip(const Node* n) {
  if (!n || n->kind != OpKind::kClip) return std::nullopt;
  auto lo = scalar_input(*n, 1), hi = scalar_input(*n, 2);
  if (!lo || !hi) return std::nullopt;
  return Clipped{n->input(0), *lo, *hi};
}

// x * clip(x + 3, 0, 6) / 6, ending at `div`.
Result<bool> match_hard_swish_chain(Graph& graph, Node* div) {
  auto d = as_division(*div);
  if (!d || !near(d->divisor, kHardSwishRange)) return false;
  Node* mul = sole_producer_of(graph, d->value, div, OpKind::kMul);
  if (!mul) return false;
  for (size_t i = 0; i < 2; ++i) {
    Value* x = mul->input(i);
    Node* clip_node = sole_producer_of(graph, mul->input(1 - i), mul, OpKind::kClip);
    auto clip = as_clip(clip_node);
    if (!clip || !near(clip->lo, 0.f) || !near(clip->hi, kHardSwishRange)) continue;
    Node* add_node = sole_producer_of(graph, clip->value, clip_node, OpKind::kAdd);
    auto shift = scalar_operand(add_node, OpKind::kAdd);
    if (!shift || shift->value != x || !near(shift->scalar, kHardSwishShift)) continue;
    QF_RETURN_IF_ERROR(replace_chain(graph, {add_node, clip_node, mul, div}, OpKind::kHardSwish, {x}, kPass).status());
    return true;
  }
  return false;
}

// x * HardSigmoid(x) with HardSwish's alpha and beta, ending at `mul`.
Result<bool> match_hard_swish_of_sigmoid(Graph& graph, Node* mul) {
  if (mul->kind != OpKind::kMul) return false;
  for (size_t i = 0; i < 2; ++i) {
    Value* x = mul->input(i);
    Node* hs = sole_producer_of(graph, mul->input(1 - i), mul, OpKind::kHardSigmoid);
    if (!hs || hs->input(0) != x) continue;
    if (!near(hs->attr_float("alpha", 0.2f), kHardSwishAlpha) || !near(hs->attr_float("beta", 0.5f), kHardSwishBeta))
      continue;
    QF_RETURN_IF_ERROR(replace_chain(graph, {hs, mul}, OpKind::kHardSwish, {x}, kPass).status());
    return true;
  }
  return false;
}

// clip(x + a, 0, d) / d, ending at `div`.
Result<bool> match_hard_sigmoid_chain(Graph& graph, Node* div) {
  auto d = as_division(*div);
  if (!d || d->divisor <= 0.f) return false;
  Node* clip_node = sole_producer_of(graph, d->value, div, OpKind::kClip);
  auto clip = as_clip(clip_node);
  if (!clip || !near(clip->lo, 0.f) || !near(clip->hi, d->divisor)) return false;
  Node* add_node = sole_producer_of(graph, clip->value, clip_node, OpKind::kAdd);
  auto shift = scalar_operand(add_node, OpKind::kAdd);
  if (!shift) return false;
  QF_ASSIGN_OR_RETURN(Node* hs, replace_chain(graph, {add_node, clip_node, div}, OpKind::kHardSigmoid, {shift->value}, kPass));
  hs->attrs["alpha"] = 1.f / d->divisor;
  hs->attrs["beta"] = shift->scalar / d->divisor;
  return true;
}

}  // namespace

Result<bool> fuse_hard_activations(Graph& graph) {
  bool changed = false;
  // HardSigmoid chains first: a HardSwish spelled with a HardSigmoid is then one pattern.
  // Candidates are visited in topological order: a match erases only nodes before the one it
  // ends at, which have been visited already.
  for (auto matcher : {&match_hard_sigmoid_chain, &match_hard_swish_chain, &match_hard_swish_of_sigmoid}) {
    QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
    for (Node* n : order) {
      if (n->kind != OpKind::kDiv && n->kind != OpKind::kMul) continue;
      QF_ASSIGN_OR_RETURN(bool matched, matcher(graph, n));
      changed = changed || matched;
    }
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
