// SPDX-License-Identifier: Apache-2.0
// QuantizeLinear / DequantizeLinear pairs (PyTorch QAT and converted-model exports, ORT's
// quantizer) say which grid a tensor lives on. They become encodings, and the nodes go away:
//
//   x -> Q(s, z) -> DQ(s, z) -> y          becomes   x[encoding s, z] -> y's readers
//   w_int8 -> DQ(s, z, axis) -> y          becomes   y = constant (w_int8 - z) * s  [encoding s, z, axis]
//   w_float -> Q(s, z) -> DQ(s, z) -> y    becomes   y = constant DQ(Q(w_float))    [encoding s, z]
//
// The activation keeps the name of whichever side a graph output needs; the encoding's source
// is kQdq. A Q or DQ outside such a pattern (a model whose inputs or outputs are integers) is
// unsupported. With keep_encodings false (--ignore_quantization_overrides) the nodes are removed
// and their encodings dropped.
#include <fmt/ranges.h>

#include "core/log.h"
#include "passes/passes.h"
#include "passes/rewrite.h"
#include "runtime/reference/reference_kernels.h"

namespace qf {
namespace {

constexpr std::string_view kPass = "absorb_qdq";

// The encoding a Q or DQ node's scale / zero point describe.
Result<Encoding> qdq_encoding(const Node& node) {
  const Tensor* scale = constant_input(node, 1);
  if (!scale) return unsupported("{}: the scale must be a constant", node.describe());
  const Tensor* zp = constant_input(node, 2);
  if (node.input(2) && !zp) return unsupported("{}: the zero point must be a constant", node.describe());
  Encoding e;
  const DType zp_type = zp ? zp->dtype() : DType::kU8;
  e.bitwidth = zp_type == DType::kS32 ? 32 : 8;
  e.is_signed = zp_type != DType::kU8;
  for (int64_t c = 0; c < scale->numel(); ++c) {
    const double s = scale->element_as_double(c);
    if (!(s > 0) || !std::isfinite(s)) return bad_input("{}: scale {} is not positive", node.describe(), s);
    e.scale.push_back(static_cast<float>(s));
    e.offset.push_back(zp ? -zp->element_as_int(zp->numel() == 1 ? 0 : c) : 0);
  }
  if (scale->numel() > 1) {
    int64_t axis = node.attr_int("axis", 1);
    const auto rank = static_cast<int64_t>(node.input(0)->type.shape.size());
    if (axis < 0) axis += rank;
    e.axis = static_cast<int>(axis);
  }
  e.symmetric = e.is_signed && std::all_of(e.offset.begin(), e.offset.end(), [](int64_t o) { return o == 0; });
  return e;
}

// Runs a Q or DQ node's reference kernel on constant inputs.
Result<Tensor> evaluate(const Node& node, const Tensor& input) {
  std::vector<const Tensor*> inputs{&input};
  for (size_t i = 1; i < node.inputs.size(); ++i) inputs.push_back(constant_input(node, i));
  const Value* out = node.outputs[0];
  Tensor result(out->type.dtype, out->type.shape);
  Tensor* outputs[] = {&result};
  QF_RETURN_IF_ERROR(run_reference(node, inputs, outputs));
  return result;
}

// y = DQ(...) becomes a constant holding `values`.
void make_constant(Graph& graph, Node* dq, Tensor values, const Encoding& e, bool keep_encodings) {
  Value* y = dq->outputs[0];
  graph.erase_node(dq);
  y->constant = std::move(values);
  if (keep_encodings) {
    y->encoding = e;
    y->encoding_source = EncodingSource::kQdq;
  }
}

class Absorber {
 public:
  Absorber(Graph& graph, bool keep_encodings) : graph_(graph), keep_(keep_encodings) {}

  Result<bool> run() {
    // Exporters put no-op Casts between Q and DQ (PyTorch: Q -> Cast(uint8) -> DQ).
    QF_RETURN_IF_ERROR(remove_identity(graph_).status());
    QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph_.topo_order());
    std::vector<Node*> dqs;
    for (Node* n : order)
      if (n->kind == OpKind::kDequantizeLinear) dqs.push_back(n);
    for (Node* dq : dqs) QF_RETURN_IF_ERROR(absorb(dq));
    // Q nodes whose DQs are all gone.
    std::vector<Node*> dead;
    for (const auto& n : graph_.nodes())
      if (n->kind == OpKind::kQuantizeLinear && n->outputs[0]->consumers.empty() &&
          !graph_.is_output(n->outputs[0]))
        dead.push_back(n.get());
    for (Node* q : dead) graph_.erase_node(q);
    std::vector<std::string> left;
    for (const auto& n : graph_.nodes())
      if (n->kind == OpKind::kQuantizeLinear || n->kind == OpKind::kDequantizeLinear) left.push_back(n->describe());
    if (!left.empty())
      return unsupported("quantized graph inputs or outputs are not supported (no matching Q/DQ pair): {}",
                         fmt::join(left, ", "));
    if (!dqs.empty()) graph_.remove_dead_values();
    return !dqs.empty();
  }

 private:
  Status absorb(Node* dq) {
    QF_ASSIGN_OR_RETURN(Encoding e, qdq_encoding(*dq));
    Value* q_out = dq->input(0);
    if (q_out->is_constant()) {
      // An integer initializer (weights, an int32 bias) read through a DequantizeLinear.
      QF_ASSIGN_OR_RETURN(Tensor values, evaluate(*dq, *q_out->constant));
      graph_.record_removed(q_out->name, dq->outputs[0]->name, kPass, false);
      make_constant(graph_, dq, std::move(values), e, keep_);
      return Status::ok();
    }
    Node* q = q_out->producer;
    if (!q || q->kind != OpKind::kQuantizeLinear) return Status::ok();  // reported as left over
    QF_ASSIGN_OR_RETURN(Encoding from_q, qdq_encoding(*q));
    if (from_q.scale != e.scale || from_q.offset != e.offset)
      spdlog::warn("{} and {} disagree on the encoding; using the DequantizeLinear's", q->describe(), dq->describe());
    Value* x = q->input(0);
    if (x->is_constant()) {
      // Fake-quantized float weights: keep the values the model computes.
      QF_ASSIGN_OR_RETURN(Tensor quantized, evaluate(*q, *x->constant));
      QF_ASSIGN_OR_RETURN(Tensor values, evaluate(*dq, quantized));
      make_constant(graph_, dq, std::move(values), e, keep_);
      return Status::ok();
    }
    Value* y = dq->outputs[0];
    const bool only_pair = x->consumers.size() == 1 && q_out->consumers.size() == 1;
    if (only_pair && x->producer && !graph_.is_output(x)) {
      // y's name survives (it may be a graph output): x's producer produces y directly.
      Node* producer = x->producer;
      const auto slot = std::find(producer->outputs.begin(), producer->outputs.end(), x) - producer->outputs.begin();
      graph_.erase_node(dq);
      graph_.erase_node(q);
      graph_.set_output(producer, static_cast<size_t>(slot), y);
      graph_.record_removed(x->name, y->name, kPass, false);
      set_encoding(y, e);
    } else if (!graph_.is_output(y)) {
      graph_.replace_all_uses_with(y, x);
      graph_.erase_node(dq);
      graph_.record_removed(y->name, x->name, kPass, false);
      set_encoding(x, e);
    }
    return Status::ok();
  }

  void set_encoding(Value* v, const Encoding& e) {
    if (!keep_) return;
    if (v->encoding && (v->encoding->scale != e.scale || v->encoding->offset != e.offset)) {
      spdlog::warn("tensor '{}' has two different Q/DQ encodings; keeping the first", v->name);
      return;
    }
    v->encoding = e;
    v->encoding_source = EncodingSource::kQdq;
  }

  Graph& graph_;
  bool keep_;
};

}  // namespace

Result<bool> absorb_qdq(Graph& graph, bool keep_encodings) { return Absorber(graph, keep_encodings).run(); }

}  // namespace qf
