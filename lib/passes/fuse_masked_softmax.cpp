// SPDX-License-Identifier: Apache-2.0
// An attention mask is written into the scores before the Softmax, as a fill far below any score:
//
//   scores -> Where(mask, fill, .)  -> s -> Softmax(last axis) -> p      (masked_fill; or Where(keep, ., fill))
//   scores -> Add(M)                -> s -> Softmax(last axis) -> p      (M: 0 where kept, the fill where masked)
//
// with a constant mask and fill = -inf, or a finite fill of -1e4 or less (HF's -10000 and
// float32's lowest). Both become
//
//   scores -> Softmax(last axis, masked) -> p                            masked: a constant bool of the mask's shape
//
// where the masked positions get probability 0 (what exp(fill - max) is for a -inf fill; for a
// finite one as long as the scores span less than 9000, since exp(-9000) is 0 in double). An
// all-masked row gets zeros (the Where form gives NaN there). s held values no 8-bit grid holds
// (an infinite or huge fill), so on the integer path it could not be a tensor of codes: the
// scores can, and the Softmax on codes skips the masked positions.
#include <cmath>

#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "fuse_masked_softmax";
constexpr double kLargestFill = -1e4;

bool is_fill(double v) { return v <= kLargestFill; }

struct Masking {
  Value* scores = nullptr;
  Tensor masked;  // bool, the mask constant's shape
};

// Where(mask, fill, scores) or Where(keep, scores, fill).
std::optional<Masking> where_masking(const Node& where) {
  const Tensor* cond = constant_input(where, 0);
  if (!cond || cond->dtype() != DType::kBool || where.inputs.size() != 3) return std::nullopt;
  for (size_t fill_at : {size_t{1}, size_t{2}}) {
    const auto fill = scalar_input(where, fill_at);
    Value* scores = where.input(fill_at == 1 ? 2 : 1);
    if (!fill || !is_fill(*fill) || scores->is_constant()) continue;
    Masking m{scores, Tensor(DType::kBool, cond->shape())};
    for (int64_t i = 0; i < cond->numel(); ++i) {
      const bool c = cond->data<bool>()[i];
      m.masked.data<bool>()[i] = fill_at == 1 ? c : !c;
    }
    return m;
  }
  return std::nullopt;
}

// Add(scores, M) with M's every entry 0 or a fill, at least one a fill.
std::optional<Masking> add_masking(const Node& add) {
  for (size_t m_at : {size_t{0}, size_t{1}}) {
    const Tensor* mask = constant_input(add, m_at);
    Value* scores = add.input(1 - m_at);
    if (!mask || mask->dtype() != DType::kF32 || !scores || scores->is_constant()) continue;
    Masking m{scores, Tensor(DType::kBool, mask->shape())};
    bool any = false, only_zeros_and_fills = true;
    for (int64_t i = 0; i < mask->numel(); ++i) {
      const double v = mask->data<float>()[i];
      m.masked.data<bool>()[i] = is_fill(v);
      any = any || is_fill(v);
      only_zeros_and_fills = only_zeros_and_fills && (v == 0.0 || is_fill(v));
    }
    if (any && only_zeros_and_fills) return m;
  }
  return std::nullopt;
}

Result<bool> fuse_one(Graph& graph, Node* softmax) {
  if (softmax->input(1) || softmax->outputs.size() != 1) return false;
  Value* s = softmax->input(0);
  const Shape& shape = s->type.shape;
  const auto rank = static_cast<int64_t>(shape.size());
  if (rank == 0 || !s->type.is_static()) return false;
  const int64_t axis = softmax->attr_int("axis", -1);
  if (axis != -1 && axis != rank - 1) return false;
  Node* producer = sole_producer(graph, s, softmax);
  if (!producer || producer->outputs.size() != 1) return false;
  std::optional<Masking> m;
  if (producer->kind == OpKind::kWhere) m = where_masking(*producer);
  if (producer->kind == OpKind::kAdd) m = add_masking(*producer);
  // The scores must already have the output's shape: the mask broadcasts onto them, not they onto it.
  if (!m || m->scores->type.shape != shape || !broadcasts_to(m->masked.shape(), shape)) return false;

  Value* mask = graph.add_constant(graph.unique_name(softmax->name + "_masked"), std::move(m->masked));
  auto attrs = softmax->attrs;
  QF_ASSIGN_OR_RETURN(Node * fused, replace_chain(graph, {producer, softmax}, OpKind::kSoftmax, {m->scores, mask}, kPass));
  fused->attrs = std::move(attrs);
  return true;
}

}  // namespace

Result<bool> fuse_masked_softmax(Graph& graph) {
  bool changed = false;
  for (Node* softmax : graph.nodes_of(OpKind::kSoftmax)) {
    QF_ASSIGN_OR_RETURN(bool fused, fuse_one(graph, softmax));
    changed = changed || fused;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
