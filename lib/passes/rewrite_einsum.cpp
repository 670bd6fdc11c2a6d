// SPDX-License-Identifier: Apache-2.0
// Attention written as Einsum (HF and PyTorch exports) becomes the MatMul every backend and the
// integer path know, with Transposes where the labels are not in MatMul's order:
//
//   q [b,h,i,d], k [b,h,j,d] -> Einsum("bhid,bhjd->bhij") -> s
//       becomes  k -> Transpose(0,1,3,2) -> MatMul(q, .) -> s
//   p [b,h,i,j], v [b,h,j,d] -> Einsum("bhij,bhjd->bhid") -> o      becomes  MatMul(p, v) -> o
//   x [b,i,j], w [j,k] -> Einsum("bij,jk->bik") -> y               becomes  MatMul(x, w) -> y
//
// Two operands, each label in both operands and the output (batch), in one operand and the output
// (m from A, n from B) or in both operands only (k, summed): one k, one n, and one m (several
// when there are no batch labels: they broadcast against a 2-D B as MatMul's do). Anything else
// (diagonals, a label summed within one operand, three operands) stays an Einsum and runs on
// the reference kernel.
#include <algorithm>

#include "ir/einsum.h"
#include "ir/infer.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "rewrite_einsum";

// The MatMul operand orders and the output permutation for one equation; nullopt when the
// equation is not a matrix product.
struct MatMulForm {
  std::vector<int64_t> perm_a, perm_b, perm_out;  // empty: identity
};

std::vector<int64_t> permutation(const std::string& from, const std::string& to) {
  std::vector<int64_t> perm;
  for (char c : to) perm.push_back(static_cast<int64_t>(from.find(c)));
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return perm;
  return {};
}

std::optional<MatMulForm> matmul_form(const EinsumEquation& eq) {
  if (eq.inputs.size() != 2) return std::nullopt;
  const std::string& a = eq.inputs[0];
  const std::string& b = eq.inputs[1];
  const std::string& out = eq.output;
  for (const std::string* t : {&a, &b})
    for (char c : *t)
      if (std::count(t->begin(), t->end(), c) != 1) return std::nullopt;  // a diagonal
  std::string batch, m, n, k;
  for (char c : out) {
    const bool in_a = a.find(c) != std::string::npos, in_b = b.find(c) != std::string::npos;
    (in_a && in_b ? batch : in_a ? m : n) += c;
  }
  for (char c : a) {
    if (out.find(c) != std::string::npos) continue;
    if (b.find(c) == std::string::npos) return std::nullopt;  // summed within A alone
    k += c;
  }
  for (char c : b)
    if (out.find(c) == std::string::npos && a.find(c) == std::string::npos) return std::nullopt;
  if (k.size() != 1 || n.size() != 1 || m.empty() || (m.size() > 1 && !batch.empty())) return std::nullopt;
  if (b.size() != batch.size() + 2) return std::nullopt;
  MatMulForm form;
  form.perm_a = permutation(a, batch + m + k);
  form.perm_b = permutation(b, batch + k + n);
  form.perm_out = permutation(batch + m + n, out);
  return form;
}

Result<Value*> transposed(Graph& graph, Node& einsum, Value* in, const std::vector<int64_t>& perm,
                          const std::string& suffix) {
  if (perm.empty()) return in;
  QF_ASSIGN_OR_RETURN(Value * out, graph.add_value(graph.unique_name(einsum.name + suffix)));
  QF_ASSIGN_OR_RETURN(Node * t, graph.add_node(OpKind::kTranspose, graph.unique_name(einsum.name + suffix), {in}, {out}));
  t->attrs["perm"] = perm;
  QF_RETURN_IF_ERROR(infer_node(*t));
  return out;
}

Result<bool> rewrite(Graph& graph, Node* einsum) {
  if (einsum->inputs.size() != 2 || einsum->outputs.size() != 1) return false;
  std::vector<Shape> shapes;
  for (const Value* v : einsum->inputs) {
    if (!v || !v->type.is_static()) return false;
    shapes.push_back(v->type.shape);
  }
  Result<EinsumEquation> eq = parse_einsum(*einsum, einsum->attr_string("equation", ""), shapes);
  if (!eq.is_ok()) return eq.status();
  // Broadcast ellipsis dims (1 against N) would need MatMul's broadcasting to line up: decline.
  const EinsumSizes sizes = einsum_label_sizes(*eq, shapes);
  for (size_t i = 0; i < 2; ++i)
    for (size_t d = 0; d < shapes[i].size(); ++d)
      if (shapes[i][d] != sizes.size[static_cast<unsigned char>((*eq).inputs[i][d])]) return false;
  const std::optional<MatMulForm> form = matmul_form(*eq);
  if (!form) return false;

  Value* out = einsum->outputs[0];
  const std::string name = einsum->name;
  QF_ASSIGN_OR_RETURN(Value * a, transposed(graph, *einsum, einsum->inputs[0], form->perm_a, "_a"));
  QF_ASSIGN_OR_RETURN(Value * b, transposed(graph, *einsum, einsum->inputs[1], form->perm_b, "_b"));
  graph.erase_node(einsum);
  if (form->perm_out.empty()) {
    QF_ASSIGN_OR_RETURN(Node * mm, graph.add_node(OpKind::kMatMul, name, {a, b}, {out}));
    QF_RETURN_IF_ERROR(infer_node(*mm));
    return true;
  }
  QF_ASSIGN_OR_RETURN(Value * product, graph.add_value(graph.unique_name(name + "_product")));
  QF_ASSIGN_OR_RETURN(Node * mm, graph.add_node(OpKind::kMatMul, name, {a, b}, {product}));
  QF_RETURN_IF_ERROR(infer_node(*mm));
  QF_ASSIGN_OR_RETURN(Node * t, graph.add_node(OpKind::kTranspose, graph.unique_name(name + "_out"), {product}, {out}));
  t->attrs["perm"] = form->perm_out;
  QF_RETURN_IF_ERROR(infer_node(*t));
  return true;
}

}  // namespace

Result<bool> rewrite_einsum(Graph& graph) {
  bool changed = false;
  for (Node* n : graph.nodes_of(OpKind::kEinsum)) {
    QF_ASSIGN_OR_RETURN(bool done, rewrite(graph, n));
    changed = changed || done;
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf
